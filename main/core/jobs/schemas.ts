// Argument schemas of the jobs methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { id } from '../util/schema-parts.js';
import type { JobsContract } from './contract.js';

/** One schema per method of JobsContract, typed against it: a missing or mismatched schema is a compile error. */
export const jobsSchemas: { [M in keyof JobsContract]: z.ZodType<Parameters<JobsContract[M]>> } = {
  getJob: z.tuple([id]),
  listJobs: z.tuple([z.number().int().min(1).max(1000)]),
  cancelJob: z.tuple([id]),
};
