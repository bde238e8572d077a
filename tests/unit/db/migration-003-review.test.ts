// Migration 003: the review history is append-only, labels/annotations gain their decision links, exports exist.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

function tmpDb(): Database.Database {
  const t = tempDir();
  cleanup = t.cleanup;
  const db = new Database(join(t.dir, 'emma.sqlite'));
  db.pragma('foreign_keys = ON');
  return db;
}

describe('migration 003 (review)', () => {
  it('upgrades a version-2 file with data in place', () => {
    const db = tmpDb();
    migrate(db, MIGRATIONS, 2);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('bridge', ?)`).run(now);
    db.prepare(`INSERT INTO labels (image_id, class_id, source, status, created_at) VALUES (1, 1, 'teacher', 'proposed', ?)`).run(now);
    migrate(db, MIGRATIONS, 3);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare(`SELECT decision_id, supersedes_id, status FROM labels`).get()).toEqual({
      decision_id: null,
      supersedes_id: null,
      status: 'proposed',
    });
    const cols = (db.prepare(`PRAGMA table_info(annotations)`).all() as { name: string }[]).map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['decision_id', 'supersedes_id']));
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['review_decisions', 'exports']));
    db.close();
  });

  it('review history rows can be added but never changed or deleted', () => {
    const db = tmpDb();
    migrate(db, MIGRATIONS, 3);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    const ins = db.prepare(`INSERT INTO review_decisions (image_id, action, reviewer, at, undoes_id) VALUES (1, ?, 'mei', ?, ?)`);
    ins.run('accept', now, null);
    expect(() => db.prepare(`UPDATE review_decisions SET reviewer = 'someone else'`).run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM review_decisions`).run()).toThrow(/append-only/);
    expect(() => ins.run('approve', now, null)).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO review_decisions (image_id, action, reviewer, at) VALUES (99, 'accept', 'mei', ?)`).run(now)).toThrow(/FOREIGN KEY/);
    // One undo per decision.
    ins.run('undo', now, 1);
    expect(() => ins.run('undo', now, 1)).toThrow(/UNIQUE/);
    // An image with review history cannot vanish with it.
    expect(() => db.prepare(`DELETE FROM images WHERE id = 1`).run()).toThrow(/FOREIGN KEY|append-only/);
    expect((db.prepare(`SELECT count(*) AS n FROM review_decisions`).get() as { n: number }).n).toBe(2);
    expect(() =>
      db
        .prepare(
          `INSERT INTO exports (format, out_path, filter_json, snapshot_json, images, files, created_by, created_at) VALUES ('zip', '/x', '{}', '[]', 0, 0, 'a', ?)`,
        )
        .run(now),
    ).toThrow(/CHECK/);
    db.close();
  });
});
