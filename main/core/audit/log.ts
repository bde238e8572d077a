// The audit log for a lab lead: one filtered, paged read over every entry (teacher requests, egress switches,
// configuration, taxonomy, model export/import, review exports) and the same selection as CSV. Reads only.
import type { AuditEntry, AuditPage, AuditQuery } from '../contract.js';
import type { Db } from '../db/database.js';

interface Row {
  id: number;
  at: string;
  actor: string;
  action: string;
  details_json: string;
}

/** Kinds of entry a lab lead filters by; each is a set of action names (prefix match with a trailing '.'). */
const KIND_ACTIONS: Record<NonNullable<AuditQuery['kind']>, string[]> = {
  all: [],
  egress: ['teacher.egress'],
  requests: ['teacher.request'],
  runs: ['teacher.run.'],
  configuration: ['teacher.config', 'teacher.key.', 'teacher.template', 'teacher.test', 'teacher.taxonomy.', 'taxonomy.'],
  models: ['model.'],
  exports: ['review.export', 'model.export'],
};

function where(q: AuditQuery): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const actions = KIND_ACTIONS[q.kind ?? 'all'];
  if (actions.length) {
    parts.push(`(${actions.map(() => `(action = ? OR action LIKE ? ESCAPE '\\')`).join(' OR ')})`);
    for (const a of actions) {
      const base = a.endsWith('.') ? a.slice(0, -1) : a;
      params.push(base, `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
    }
  }
  if (q.actor) (parts.push('actor = ?'), params.push(q.actor));
  if (q.action) (parts.push('action = ?'), params.push(q.action));
  if (q.from) (parts.push('at >= ?'), params.push(q.from));
  if (q.to) (parts.push('at < ?'), params.push(q.to));
  if (q.search)
    (parts.push(`(details_json LIKE ? ESCAPE '\\' OR action LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\')`),
      params.push(...Array(3).fill(`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Tokens and cost of an entry that records a paid request; cost null when it is unknown (no price). */
function toEntry(r: Row): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(r.details_json) as Record<string, unknown>;
  } catch {
    details = { unreadable: r.details_json };
  }
  const promptTokens = num(details.promptTokens);
  const completionTokens = num(details.completionTokens);
  let costUsd = num(details.costUsd);
  const tokens = (promptTokens ?? 0) + (completionTokens ?? 0);
  // Entries written before 'priced' was recorded: a zero cost for a paid request is unknown, not free.
  if (costUsd !== null && (details.priced === false || (details.priced === undefined && costUsd === 0 && tokens > 0))) costUsd = null;
  return { id: r.id, at: r.at, actor: r.actor, action: r.action, details, promptTokens, completionTokens, costUsd };
}

export function queryAudit(db: Db, q: AuditQuery): AuditPage {
  const w = where(q);
  const rows = db
    .prepare(`SELECT id, at, actor, action, details_json FROM audit_log ${w.sql} ORDER BY id DESC LIMIT ? OFFSET ?`)
    .all(...w.params, q.limit, q.offset) as Row[];
  const total = (db.prepare(`SELECT count(*) AS n FROM audit_log ${w.sql}`).get(...w.params) as { n: number }).n;
  // Totals over the whole selection (not just this page), from the request entries in it.
  const req = db
    .prepare(
      `SELECT count(*) AS n,
              coalesce(sum(json_extract(details_json, '$.promptTokens')), 0) AS p,
              coalesce(sum(json_extract(details_json, '$.completionTokens')), 0) AS c,
              coalesce(sum(json_extract(details_json, '$.costUsd')), 0) AS usd,
              coalesce(sum(CASE WHEN json_extract(details_json, '$.priced') = 0
                                  OR (json_extract(details_json, '$.priced') IS NULL AND coalesce(json_extract(details_json, '$.costUsd'), 0) = 0
                                      AND coalesce(json_extract(details_json, '$.promptTokens'), 0) + coalesce(json_extract(details_json, '$.completionTokens'), 0) > 0)
                             THEN 1 ELSE 0 END), 0) AS unpriced
       FROM audit_log ${w.sql ? `${w.sql} AND` : 'WHERE'} action = 'teacher.request'`,
    )
    .get(...w.params) as { n: number; p: number; c: number; usd: number; unpriced: number };
  const actors = (db.prepare(`SELECT DISTINCT actor FROM audit_log ORDER BY actor`).all() as { actor: string }[]).map((r) => r.actor);
  const actions = (db.prepare(`SELECT DISTINCT action FROM audit_log ORDER BY action`).all() as { action: string }[]).map((r) => r.action);
  return {
    entries: rows.map(toEntry),
    total,
    actors,
    actions,
    requests: { count: req.n, promptTokens: req.p, completionTokens: req.c, costUsd: Math.round(req.usd * 1e6) / 1e6, unpricedCount: req.unpriced },
  };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // Quote always; a leading formula character is defused so a spreadsheet shows it as text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The whole selection (no paging) as CSV, newest first; cost is empty where it is unknown. */
export function auditCsv(db: Db, q: Omit<AuditQuery, 'offset' | 'limit'>): string {
  const w = where({ ...q, offset: 0, limit: 1 });
  const rows = db.prepare(`SELECT id, at, actor, action, details_json FROM audit_log ${w.sql} ORDER BY id DESC`).all(...w.params) as Row[];
  const lines = [['id', 'at', 'actor', 'action', 'prompt_tokens', 'completion_tokens', 'cost_usd', 'cost_known', 'details'].map(csvCell).join(',')];
  for (const r of rows) {
    const e = toEntry(r);
    const paid = e.action === 'teacher.request';
    lines.push(
      [
        e.id,
        e.at,
        e.actor,
        e.action,
        e.promptTokens ?? '',
        e.completionTokens ?? '',
        e.costUsd ?? '',
        paid ? (e.costUsd === null ? 'no' : 'yes') : '',
        JSON.stringify(e.details),
      ]
        .map((v) => (typeof v === 'number' ? String(v) : csvCell(v)))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
