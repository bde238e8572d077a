// Argument schemas of the student methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { filePath, id } from '../util/schema-parts.js';
import type { StudentContract } from './contract.js';

const trainRequest = z.object({
  preset: z.enum(['default', 'fast', 'multi', 'large']).optional(),
  minutes: z.number().positive().max(600).optional(),
  quick: z.boolean().optional(),
});

/** One schema per method of StudentContract, typed against it: a missing or mismatched schema is a compile error. */
export const studentSchemas: { [M in keyof StudentContract]: z.ZodType<Parameters<StudentContract[M]>> } = {
  getTrainingPlan: z.tuple([trainRequest]),
  startTraining: z.tuple([trainRequest]),
  getTrainingProgress: z.tuple([id]),
  listModelVersions: z.tuple([]),
  getModelVersion: z.tuple([id]),
  activateModelVersion: z.tuple([id]),
  compareModelVersions: z.tuple([id, id]),
  exportModelVersion: z.tuple([id, filePath]),
  importModelVersion: z.tuple([filePath]),
  startClassify: z.tuple([z.object({ imageIds: z.array(id).min(1).max(100_000).optional(), force: z.boolean().optional() })]),
  startClassifyFiles: z.tuple([z.object({ paths: z.array(filePath).min(1).max(100_000) })]),
  startEvaluation: z.tuple([filePath]),
};
