// Migration 004: model versions, upgraded in place from a version-3 file. At most one active version, and only a
// completed one can become active (a failed or cancelled training never changes which version classifies).
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 004 (model versions)', () => {
  it('upgrades a version-3 file in place; one active version, and only a completed one', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 3);
    const now = new Date().toISOString();
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('kept', ?)`).run(now);

    migrate(db, MIGRATIONS, 4);
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    expect(db.prepare(`SELECT name FROM classes`).all()).toEqual([{ name: 'kept' }]);

    const version = (status: string) =>
      Number(db.prepare(`INSERT INTO model_versions (status, preset, created_at) VALUES (?, 'fast', ?)`).run(status, now).lastInsertRowid);
    const training = version('training');
    const first = version('completed');
    const second = version('completed');
    expect(() => version('paused')).toThrow(/CHECK/);
    const activate = (id: number) => db.prepare(`UPDATE model_versions SET active = 1 WHERE id = ?`).run(id);

    expect(() => activate(training)).toThrow(/only a completed model version can be active/);
    activate(first);
    expect(() => activate(second)).toThrow(/UNIQUE/);
    db.transaction(() => {
      db.prepare(`UPDATE model_versions SET active = 0 WHERE active = 1`).run();
      activate(second);
    })();
    expect(db.prepare(`SELECT id FROM model_versions WHERE active = 1`).all()).toEqual([{ id: second }]);
    expect(() => db.prepare(`INSERT INTO model_versions (status, preset, parent_id, created_at) VALUES ('completed', 'fast', 99, ?)`).run(now)).toThrow(
      /FOREIGN KEY/,
    );
    db.close();
  });
});
