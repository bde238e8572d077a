// Migration 010: teacher_runs gains planned_images, added in place to a version-6 file without touching its rows.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 010 (teacher run image count)', () => {
  it('adds a nullable, non-negative planned_images to existing runs', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    migrate(db, MIGRATIONS, 6);
    const now = new Date().toISOString();
    db.prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, notes, created_at) VALUES ('t', 1, 's', 'u', '', ?)`).run(now);
    const insertRun = `INSERT INTO teacher_runs (config_key, template_id, provider, endpoint_host, model, config_json, selection_json, state, created_at, updated_at)
                       VALUES ('k', 1, 'openai', 'h', 'm', '{}', 'null', 'done', ?, ?)`;
    db.prepare(insertRun).run(now, now);
    migrate(db, MIGRATIONS, 10);
    expect(db.pragma('user_version', { simple: true })).toBe(10);
    expect(db.prepare(`SELECT id, planned_images FROM teacher_runs`).all()).toEqual([{ id: 1, planned_images: null }]);
    db.prepare(`UPDATE teacher_runs SET planned_images = 40 WHERE id = 1`).run();
    expect(db.prepare(`SELECT planned_images FROM teacher_runs`).get()).toEqual({ planned_images: 40 });
    expect(() => db.prepare(`UPDATE teacher_runs SET planned_images = -1 WHERE id = 1`).run()).toThrow(/CHECK/);
    db.close();
  });
});
