// Argument schemas of the audit methods: every argument that crosses a process boundary is checked, once, for every
// binding (validation.ts merges the domains' maps).
import { z } from 'zod';
import type { AuditContract } from './contract.js';

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

/** One schema per method of AuditContract, typed against it: a missing or mismatched schema is a compile error. */
export const auditSchemas: { [M in keyof AuditContract]: z.ZodType<Parameters<AuditContract[M]>> } = {
  listAuditLog: z.tuple([auditQuery.extend({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000) }).strict()]),
  exportAuditCsv: z.tuple([auditQuery.strict()]),
};
