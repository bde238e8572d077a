import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../../main/core/db/database.js';
import { DatabaseFromFutureError, LATEST_VERSION, migrate, MIGRATIONS, type Migration } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

function tmpDb(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return join(t.dir, 'emma.sqlite');
}

describe('migrations', () => {
  it('versions start at 1 and strictly increase (numbers are assigned per branch, so gaps are allowed)', () => {
    expect(MIGRATIONS[0].version).toBe(1);
    MIGRATIONS.forEach((m, i) => i > 0 && expect(m.version).toBeGreaterThan(MIGRATIONS[i - 1].version));
  });

  it('a new file gets every migration, WAL and foreign keys', () => {
    const db = openDatabase(tmpDb());
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('001 creates the library tables and enforces provenance values', () => {
    const db = new Database(tmpDb());
    migrate(db, MIGRATIONS, 1);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['images', 'classes', 'labels', 'jobs', 'audit_log']));
    db.pragma('foreign_keys = ON');
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('abc', '/x.tif', 'x.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('bridge', ?)`).run(now);
    expect(() => db.prepare(`INSERT INTO labels (image_id, class_id, source, status, created_at) VALUES (1, 1, 'oracle', 'accepted', ?)`).run(now)).toThrow(
      /CHECK/,
    );
    expect(() => db.prepare(`INSERT INTO labels (image_id, class_id, source, status, created_at) VALUES (99, 1, 'human', 'accepted', ?)`).run(now)).toThrow(
      /FOREIGN KEY/,
    );
    expect(() =>
      db
        .prepare(
          `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
         VALUES ('abc', '/y.tif', 'y.tif', 1, 'tiff', 2, 2, 8, ?)`,
        )
        .run(now),
    ).toThrow(/UNIQUE/);
    db.close();
  });

  it('reopening keeps data and applies nothing twice', () => {
    const file = tmpDb();
    const db = openDatabase(file);
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('kept', 'now')`).run();
    db.close();
    const again = openDatabase(file);
    expect(again.prepare(`SELECT name FROM classes`).all()).toEqual([{ name: 'kept' }]);
    again.close();
  });

  it('refuses a database from a newer Emma and leaves it untouched', () => {
    const file = tmpDb();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(DatabaseFromFutureError);
    expect(() => openDatabase(file)).toThrow(/newer Emma/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 5);
    check.close();
  });

  it('a failing migration rolls back whole and keeps the previous version', () => {
    const db = new Database(tmpDb());
    const broken: Migration = { version: 2, name: 'broken', up: `CREATE TABLE t2 (x); INSERT INTO nope VALUES (1);` };
    expect(() => migrate(db, [MIGRATIONS[0], broken])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 't2'`).get()).toBeUndefined();
    db.close();
  });
});
