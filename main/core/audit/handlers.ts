// The audit domain's part of the API: the append-only log of egress, teacher requests, configuration and model
// changes, queried or exported as CSV.
import type { AuditContract } from './contract.js';
import type { Db } from '../db/database.js';
import { auditCsv, queryAudit } from './log.js';

export type AuditMethod = keyof AuditContract;

export function auditHandlers(db: Db): AuditContract {
  return {
    listAuditLog: async (query) => queryAudit(db, query),
    exportAuditCsv: async (query) => auditCsv(db, query),
  };
}
