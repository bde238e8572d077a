// Argument schemas of the teacher methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { id, reviewer } from '../util/schema-parts.js';
import { configPatchSchema } from './settings.js';
import type { TeacherContract } from './contract.js';

const teacherRunRequest = z.object({
  imageIds: z.array(id).min(1).max(100_000).optional(),
  limit: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  budgetUsd: z.number().positive().max(1_000_000).optional(),
  budgetTokens: z.number().int().positive().optional(),
  resumeRunId: id.optional(),
  retryInvalid: z.boolean().optional(),
});

/** One schema per method of TeacherContract, typed against it: a missing or mismatched schema is a compile error. */
export const teacherSchemas: { [M in keyof TeacherContract]: z.ZodType<Parameters<TeacherContract[M]>> } = {
  getTeacherSettings: z.tuple([]),
  updateTeacherConfig: z.tuple([configPatchSchema]),
  setTeacherEgress: z.union([z.tuple([z.boolean()]), z.tuple([z.boolean(), reviewer.nullable()])]),
  setTeacherApiKey: z.tuple([z.string().trim().min(1).max(1000).nullable()]),
  testTeacherConnection: z.union([z.tuple([]), z.tuple([configPatchSchema])]),
  listTaxonomySets: z.tuple([]),
  applyTaxonomySet: z.union([z.tuple([z.string().min(1).max(100)]), z.tuple([z.string().min(1).max(100), z.enum(['replace', 'merge'])])]),
  listTaxonomy: z.tuple([]),
  saveTaxonomyClass: z.tuple([z.object({ name: z.string().min(1).max(80), description: z.string().max(1000) })]),
  listTeacherTemplates: z.tuple([]),
  saveTeacherTemplate: z.tuple([
    z.object({ name: z.string().min(1).max(80), system: z.string().max(20_000), user: z.string().min(1).max(20_000), notes: z.string().max(2000).optional() }),
  ]),
  startTeacherRun: z.union([z.tuple([teacherRunRequest]), z.tuple([teacherRunRequest, configPatchSchema])]),
  listTeacherRuns: z.tuple([z.number().int().min(1).max(1000)]),
  getTeacherRun: z.tuple([id]),
  listTeacherOutputs: z.tuple([
    z.object({
      imageId: id.optional(),
      runId: id.optional(),
      status: z.enum(['valid', 'invalid', 'failed']).optional(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
  ]),
  teacherAsk: z.tuple([
    z.object({
      imageId: id,
      question: z.string().trim().min(1).max(4000),
      streamId: z
        .string()
        .regex(/^[\w.:-]{1,100}$/)
        .optional(),
    }),
  ]),
  listTeacherAudit: z.tuple([z.number().int().min(1).max(10_000)]),
  renameTaxonomyClass: z.tuple([z.string().min(1).max(80), z.string().min(1).max(80)]),
};
