// The audit log read: filters by kind/actor/time, costs of unpriced requests read as unknown (old entries too),
// and the CSV export defuses spreadsheet formulas. A real SQLite file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { auditCsv, queryAudit } from '../../../main/core/audit/log.js';
import { tempDir } from '../../support/paths.js';

let db: Db;
let cleanup: () => void;

function add(at: string, actor: string, action: string, details: Record<string, unknown>): void {
  db.prepare(`INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, ?, ?)`).run(at, actor, action, JSON.stringify(details));
}

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = openDatabase(join(t.dir, 'a.sqlite'));
  add('2026-01-01T10:00:00.000Z', 'Ada', 'teacher.egress.on', { via: 'browser' });
  add('2026-01-02T10:00:00.000Z', 'browser', 'teacher.request', { promptTokens: 100, completionTokens: 10, costUsd: 0.5, priced: true });
  add('2026-01-02T11:00:00.000Z', 'browser', 'teacher.request', { promptTokens: 100, completionTokens: 10, costUsd: 0, priced: false });
  // Written before 'priced' existed: zero cost for tokens paid is unknown, not free.
  add('2026-01-03T11:00:00.000Z', 'cli:bob', 'teacher.request', { promptTokens: 50, completionTokens: 5, costUsd: 0 });
  add('2026-01-04T11:00:00.000Z', 'cli:bob', 'teacher.config', { changed: ['=cmd|calc'] });
});
afterEach(() => {
  db.close();
  cleanup();
});

describe('queryAudit', () => {
  it('filters by kind, actor and time, newest first', () => {
    expect(queryAudit(db, { kind: 'egress', offset: 0, limit: 10 }).entries.map((e) => e.actor)).toEqual(['Ada']);
    expect(queryAudit(db, { actor: 'cli:bob', offset: 0, limit: 10 }).total).toBe(2);
    const jan2 = queryAudit(db, { from: '2026-01-02T00:00:00.000Z', to: '2026-01-03T00:00:00.000Z', offset: 0, limit: 10 });
    expect(jan2.entries.map((e) => e.at)).toEqual(['2026-01-02T11:00:00.000Z', '2026-01-02T10:00:00.000Z']);
    expect(queryAudit(db, { search: 'calc', offset: 0, limit: 10 }).entries.map((e) => e.action)).toEqual(['teacher.config']);
    // A LIKE wildcard typed by the user is a literal character.
    expect(queryAudit(db, { search: '%', offset: 0, limit: 10 }).total).toBe(0);
  });

  it('sums the requests of the selection, known cost apart from the unpriced', () => {
    const p = queryAudit(db, { kind: 'requests', offset: 0, limit: 1 });
    expect(p.total).toBe(3);
    expect(p.entries).toHaveLength(1);
    expect(p.requests).toEqual({ count: 3, promptTokens: 250, completionTokens: 25, costUsd: 0.5, unpricedCount: 2 });
    const all = queryAudit(db, { kind: 'requests', offset: 0, limit: 10 }).entries.map((e) => e.costUsd);
    expect(all).toEqual([null, null, 0.5]);
  });
});

describe('auditCsv', () => {
  it('writes every matching row, cost empty where unknown, formulas defused', () => {
    add('2026-01-05T11:00:00.000Z', '=HYPERLINK("x")', 'teacher.egress.off', {});
    const lines = auditCsv(db, {}).trim().split('\r\n');
    expect(lines).toHaveLength(7);
    const unknown = lines.find((l) => l.includes('"cli:bob","teacher.request"'))!;
    expect(unknown).toContain(',50,5,"","no",');
    const priced = lines.find((l) => l.includes('"yes"'))!;
    expect(priced).toContain(',100,10,0.5,"yes",');
    const evil = lines.find((l) => l.includes('HYPERLINK'))!;
    expect(evil).toContain(`"'=HYPERLINK(""x"")"`);
    expect(auditCsv(db, { kind: 'egress' }).trim().split('\r\n')).toHaveLength(3);
  });
});
