import { z } from 'zod';
import type { EmmaApi, EmmaMethod } from './contract.js';
import { configPatchSchema } from './teacher/settings.js';
import { CoreError } from './errors.js';

// Every argument that crosses a process boundary is checked here, once, for every binding.
const id = z.number().int().positive();
const labelSource = z.enum(['human', 'teacher', 'student']);
const labelStatus = z.enum(['proposed', 'accepted', 'edited', 'rejected']);
/** An operator's name as recorded in the review history. */
const reviewer = z.string().trim().min(1).max(80);
const filePath = z.string().trim().min(1).max(4096);
const labelFilter = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any') }),
  z.object({ kind: z.literal('unlabelled') }),
  z.object({ kind: z.literal('labelled') }),
  z.object({ kind: z.literal('class'), className: z.string().min(1).max(200) }),
]);

const trainRequest = z.object({
  preset: z.enum(['default', 'fast', 'multi', 'large']).optional(),
  minutes: z.number().positive().max(600).optional(),
  quick: z.boolean().optional(),
});

const isoTime = z
  .string()
  .max(40)
  .refine((t) => !Number.isNaN(Date.parse(t)), 'an ISO date-time');
const auditQuery = z.object({
  kind: z.enum(['all', 'egress', 'requests', 'runs', 'configuration', 'models', 'exports']).optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  search: z.string().max(500).optional(),
});

const teacherRunRequest = z.object({
  imageIds: z.array(id).min(1).max(100_000).optional(),
  limit: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  budgetUsd: z.number().positive().max(1_000_000).optional(),
  budgetTokens: z.number().int().positive().optional(),
  resumeRunId: id.optional(),
  retryInvalid: z.boolean().optional(),
});

/**
 * One schema per method, typed against the contract: a method without its schema, or a schema whose parsed value
 * is not the method's parameter list, is a compile error (so validation cannot drift from the interface).
 */
export type ArgumentSchemas = { [M in EmmaMethod]: z.ZodType<Parameters<EmmaApi[M]>> };

export const ARGUMENT_SCHEMAS: ArgumentSchemas = {
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
  getJob: z.tuple([id]),
  listJobs: z.tuple([z.number().int().min(1).max(1000)]),
  cancelJob: z.tuple([id]),
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
  getReviewQueue: z.tuple([
    z.object({
      queue: z.enum(['proposals', 'unlabelled', 'active', 'flagged']),
      limit: z.number().int().min(1).max(200),
      exclude: z.array(id).max(20_000).optional(),
      diversity: z.boolean().optional(),
      reviewer: reviewer.optional(),
    }),
  ]),
  getReviewItem: z.tuple([id]),
  decideReview: z.tuple([
    z.object({
      imageId: id,
      action: z.enum(['accept', 'reject', 'skip', 'flag']),
      className: z.string().min(1).max(200).optional(),
      edits: z
        .array(z.object({ annotationId: id, answer: z.string().max(20_000), question: z.string().min(1).max(4000).optional() }))
        .max(100)
        .optional(),
      reviewer,
      note: z.string().max(4000).optional(),
    }),
  ]),
  undoReview: z.tuple([z.object({ reviewer, decisionId: id.optional() })]),
  listReviewHistory: z.tuple([
    z.object({ imageId: id.optional(), reviewer: reviewer.optional(), beforeId: id.optional(), limit: z.number().int().min(1).max(1000) }),
  ]),
  assignLabels: z.tuple([z.object({ imageIds: z.array(id).min(1).max(5000), className: z.string().min(1).max(200), reviewer })]),
  addAnnotation: z.tuple([
    z.object({
      imageId: id,
      kind: z.enum(['caption', 'qa']),
      question: z.string().trim().min(1).max(4000).optional(),
      answer: z.string().trim().min(1).max(20_000),
      reviewer,
    }),
  ]),
  getReviewStats: z.tuple([]),
  exportReview: z.tuple([
    z.object({
      format: z.enum(['llava', 'jsonl', 'csv', 'imagefolder']),
      outPath: z.string().min(1).max(4096),
      filter: z
        .object({
          classNames: z.array(z.string().min(1).max(200)).max(1000).optional(),
          reviewers: z.array(reviewer).max(1000).optional(),
          reviewedOnly: z.boolean().optional(),
        })
        .optional(),
      imageMode: z.enum(['copy', 'hardlink', 'symlink']).optional(),
      cropDataBar: z.boolean().optional(),
      copyImages: z.boolean().optional(),
      actor: reviewer.optional(),
    }),
  ]),
  listReviewExports: z.tuple([z.number().int().min(1).max(1000)]),
  getTrainingPlan: z.tuple([trainRequest]),
  startTraining: z.tuple([trainRequest]),
  getTrainingProgress: z.tuple([id]),
  listModelVersions: z.tuple([]),
  getModelVersion: z.tuple([id]),
  activateModelVersion: z.tuple([id]),
  compareModelVersions: z.tuple([id, id]),
  exportModelVersion: z.tuple([id, z.string().trim().min(1).max(4096)]),
  importModelVersion: z.tuple([z.string().trim().min(1).max(4096)]),
  startClassify: z.tuple([z.object({ imageIds: z.array(id).min(1).max(100_000).optional(), force: z.boolean().optional() })]),
  startClassifyFiles: z.tuple([z.object({ paths: z.array(filePath).min(1).max(100_000) })]),
  startEvaluation: z.tuple([filePath]),
  askStudentOnce: z.tuple([z.object({ image: z.union([id, filePath]), question: z.string().trim().min(1).max(4000) })]),
  findSimilar: z.tuple([id, z.number().int().min(1).max(100)]),
  findByText: z.tuple([z.string().trim().min(1).max(1000), z.number().int().min(1).max(100)]),
  getStudentCapabilities: z.tuple([]),
  askStudent: z.tuple([
    z.object({
      imageId: id,
      question: z.string().trim().min(1).max(4000),
      history: z
        .array(z.object({ role: z.enum(['user', 'student']), text: z.string().max(20_000) }))
        .max(100)
        .optional(),
    }),
  ]),
  askTeacherInChat: z.tuple([
    z.object({
      imageId: id,
      question: z.string().trim().min(1).max(4000),
      replyTo: id.optional(),
      streamId: z
        .string()
        .regex(/^[\w.:-]{1,100}$/)
        .optional(),
    }),
  ]),
  correctChatAnswer: z.tuple([z.object({ messageId: id, answer: z.string().trim().min(1).max(20_000), reviewer })]),
  listChat: z.tuple([id]),
  importUploads: z.tuple([
    z
      .array(z.string().regex(/^[0-9a-f]{32}$/, 'an upload id from POST /api/upload'))
      .min(1)
      .max(10_000),
  ]),
  // measurement (issue 13)
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
  searchImagesByText: z.tuple([z.string().trim().min(1).max(1000), z.number().int().min(1).max(100)]),
  listAuditLog: z.tuple([auditQuery.extend({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000) }).strict()]),
  exportAuditCsv: z.tuple([auditQuery.strict()]),
  renameTaxonomyClass: z.tuple([z.string().min(1).max(80), z.string().min(1).max(80)]),
  getImageCalibration: z.tuple([id]),
  getDataBarImage: z.tuple([id]),
  setImageScale: z.tuple([
    z.object({ imageId: id, lineLengthPx: z.number().positive().max(1e6), lengthNm: z.number().positive().max(1e12), by: reviewer }).strict(),
  ]),
};

export class InvalidArgumentsError extends CoreError<'invalid_arguments'> {
  constructor(message: string) {
    super('invalid_arguments', message);
  }
}

export function validateArguments<M extends EmmaMethod>(method: M, args: unknown): Parameters<EmmaApi[M]> {
  const schema: z.ZodType<Parameters<EmmaApi[M]>> = ARGUMENT_SCHEMAS[method];
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentsError(`${method}: invalid arguments at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}
