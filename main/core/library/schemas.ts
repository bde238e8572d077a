// Argument schemas of the library methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { id, reviewer } from '../util/schema-parts.js';
import type { LibraryContract } from './contract.js';

const labelSource = z.enum(['human', 'teacher', 'student']);

const labelStatus = z.enum(['proposed', 'accepted', 'edited', 'rejected']);

const labelFilter = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any') }),
  z.object({ kind: z.literal('unlabelled') }),
  z.object({ kind: z.literal('labelled') }),
  z.object({ kind: z.literal('class'), className: z.string().min(1).max(200) }),
]);

/** One schema per method of LibraryContract, typed against it: a missing or mismatched schema is a compile error. */
export const librarySchemas: { [M in keyof LibraryContract]: z.ZodType<Parameters<LibraryContract[M]>> } = {
  getStatus: z.tuple([]),
  listImages: z.tuple([
    z.object({
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
      filter: labelFilter.optional(),
      source: labelSource.optional(),
      status: labelStatus.optional(),
      search: z.string().max(500).optional(),
    }),
  ]),
  getImage: z.tuple([id]),
  listClasses: z.tuple([]),
  startImport: z.tuple([z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000), labelsFromFolders: z.boolean().optional() })]),
  startUpload: z.tuple([
    z
      .array(z.object({ name: z.string().min(1).max(255), bytes: z.instanceof(Uint8Array) }))
      .min(1)
      .max(10_000),
  ]),
  importUploads: z.tuple([
    z
      .array(z.string().regex(/^[0-9a-f]{32}$/, 'an upload id from POST /api/upload'))
      .min(1)
      .max(10_000),
  ]),
  getImageCalibration: z.tuple([id]),
  getDataBarImage: z.tuple([id]),
  setImageScale: z.tuple([
    z.object({ imageId: id, lineLengthPx: z.number().positive().max(1e6), lengthNm: z.number().positive().max(1e12), by: reviewer }).strict(),
  ]),
};
