// Argument schemas of the review methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { id, reviewer } from '../util/schema-parts.js';
import type { ReviewContract } from './contract.js';

/** One schema per method of ReviewContract, typed against it: a missing or mismatched schema is a compile error. */
export const reviewSchemas: { [M in keyof ReviewContract]: z.ZodType<Parameters<ReviewContract[M]>> } = {
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
  undoReview: z.tuple([z.object({ reviewer, decisionId: id.optional(), ownOnly: z.boolean().optional() })]),
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
};
