// Argument schemas of the measure methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { filePath, id, reviewer } from '../util/schema-parts.js';
import type { MeasureContract } from './contract.js';

/** One schema per method of MeasureContract, typed against it: a missing or mismatched schema is a compile error. */
export const measureSchemas: { [M in keyof MeasureContract]: z.ZodType<Parameters<MeasureContract[M]>> } = {
  measureImage: z.tuple([id]),
  startMeasure: z.tuple([z.array(id).min(1).max(100_000)]),
  startMeasureFiles: z.tuple([z.object({ paths: z.array(filePath).min(1).max(100_000), maskOut: filePath.optional(), classical: z.boolean().optional() })]),
  importMasks: z.union([z.tuple([filePath]), z.tuple([filePath, reviewer])]),
  startMaskImport: z.union([z.tuple([filePath]), z.tuple([filePath, reviewer])]),
  getEditableMask: z.union([z.tuple([id]), z.tuple([id, z.enum(['stored', 'measured'])])]),
  saveImageMask: z.tuple([
    z
      .object({
        imageId: id,
        width: z.number().int().min(1).max(65_536),
        height: z.number().int().min(1).max(65_536),
        // 2 bytes a pixel; 2^28 bytes is a 16k x 8k image.
        labels: z.instanceof(Uint8Array).refine((b) => b.length <= 2 ** 28, 'at most 2^28 bytes'),
        by: reviewer,
      })
      .strict(),
  ]),
};
