// Argument schemas of the chat methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import { filePath, id, reviewer } from '../util/schema-parts.js';
import type { ChatContract } from './contract.js';

/** One schema per method of ChatContract, typed against it: a missing or mismatched schema is a compile error. */
export const chatSchemas: { [M in keyof ChatContract]: z.ZodType<Parameters<ChatContract[M]>> } = {
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
  searchImagesByText: z.tuple([z.string().trim().min(1).max(1000), z.number().int().min(1).max(100)]),
};
