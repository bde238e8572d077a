// The audit domain's slice of the contract: the lab lead's read of the append-only audit log (main/core/audit).
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.

export interface AuditQuery {
  /** A kind of entry: egress switches, paid requests, runs, configuration, model import/export, exports. */
  kind?: 'all' | 'egress' | 'requests' | 'runs' | 'configuration' | 'models' | 'exports';
  /** Exactly this person or process ('browser', 'cli', an operator's name). */
  actor?: string;
  /** Exactly this action ('teacher.request', 'teacher.egress.on'...). */
  action?: string;
  /** ISO timestamps: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  /** Substring of the details, action or actor. */
  search?: string;
  offset: number;
  limit: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  /** Tokens of a teacher request entry (null for other entries). */
  promptTokens: number | null;
  completionTokens: number | null;
  /** US$; null where unknown (the model had no price) or not a paid entry. */
  costUsd: number | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Entries matching the query (all pages). */
  total: number;
  /** Every actor and action in the log, for the filter pickers. */
  actors: string[];
  actions: string[];
  /** The teacher requests among the matching entries: counts, tokens, known cost, and how many had no price. */
  requests: { count: number; promptTokens: number; completionTokens: number; costUsd: number; unpricedCount: number };
}

/** The audit methods of EmmaApi (contract.ts merges every domain's). */
export interface AuditContract {
  listAuditLog(query: AuditQuery): Promise<AuditPage>;
  /** The same selection, unpaged, as CSV text (the caller saves it). */
  exportAuditCsv(query: Omit<AuditQuery, 'offset' | 'limit'>): Promise<string>;
}

/** Method names of AuditContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const AUDIT_METHODS = ['listAuditLog', 'exportAuditCsv'] as const satisfies readonly (keyof AuditContract)[];
