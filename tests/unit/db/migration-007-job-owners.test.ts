// Migration 007: owners of jobs and training runs, added in place to a version-6 file that already holds jobs and
// versions (kept as they were, with no owner), and how those owner-less rows are judged on the next open.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { createCore } from '../../../main/core/api.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 007 (job and training owners)', () => {
  it('upgrades a version-6 file with jobs and versions in place; owner-less live rows are judged by age', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'emma.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    migrate(db, MIGRATIONS, 6);
    const old = new Date(Date.now() - 3600_000).toISOString();
    const recent = new Date().toISOString();
    const job = db.prepare(`INSERT INTO jobs (kind, state, created_at, updated_at) VALUES (?, ?, ?, ?)`);
    job.run('import', 'done', old, old); // 1: finished long ago
    job.run('import', 'running', old, old); // 2: left running by a crash an hour ago
    job.run('train', 'running', recent, recent); // 3: may still be running in an Emma from before 007
    const ver = db.prepare(`INSERT INTO model_versions (status, preset, job_id, created_at) VALUES (?, 'fast', ?, ?)`);
    ver.run('completed', 1, old);
    ver.run('training', 2, old); // its job is dead: failed with the job
    ver.run('training', 3, recent); // its job may be live: kept
    migrate(db, MIGRATIONS, 7);
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    const cols = (t: string) => (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as { name: string }[]).map((c) => c.name);
    expect(cols('jobs')).toContain('owner_id');
    expect(cols('model_versions')).toContain('owner_id');
    expect(cols('owners')).toEqual(['id', 'pid', 'host', 'started_at', 'heartbeat_ms']);
    expect(db.prepare(`SELECT id, state, owner_id FROM jobs ORDER BY id`).all()).toEqual([
      { id: 1, state: 'done', owner_id: null },
      { id: 2, state: 'running', owner_id: null },
      { id: 3, state: 'running', owner_id: null },
    ]);
    expect(() => db.prepare(`INSERT INTO owners (id, pid, host, started_at) VALUES ('a', 1, 'h', 'now')`).run()).toThrow(/NOT NULL/);
    db.close();

    const core = createCore({ dbPath: file, mode: 'cli' });
    try {
      const states = core.db.prepare(`SELECT id, state, error FROM jobs ORDER BY id`).all() as { id: number; state: string; error: string | null }[];
      expect(states[0]).toMatchObject({ state: 'done' });
      expect(states[1].state).toBe('failed');
      expect(states[1].error).toMatch(/^interrupted: no owner recorded and unchanged for 3\d{3} s/);
      expect(states[2]).toMatchObject({ state: 'running', error: null });
      const versions = core.db.prepare(`SELECT id, status, error FROM model_versions ORDER BY id`).all() as {
        id: number;
        status: string;
        error: string | null;
      }[];
      expect(versions.map((v) => v.status)).toEqual(['completed', 'failed', 'training']);
      expect(versions[1].error).toMatch(/its training job #2 ended \(failed: interrupted/);
    } finally {
      await core.close();
    }
  });
});
