// Migration 012: the student's per-image facts (per version, cascading with it) and the chat's measurement
// summaries (by content hash and method key), added in place to a version-10 file without touching its data.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 012 (image facts, measurement summaries)', () => {
  it('upgrades a version-10 file in place; facts go with their version; blobs and JSON are checked', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 10);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    const v = Number(db.prepare(`INSERT INTO model_versions (status, preset, created_at) VALUES ('completed', 'fast', ?)`).run(now).lastInsertRowid);
    migrate(db, MIGRATIONS, 12);
    expect(db.pragma('user_version', { simple: true })).toBe(12);
    expect(db.prepare(`SELECT count(*) AS n FROM images`).get()).toEqual({ n: 1 });

    const ins = db.prepare(`INSERT INTO student_image_facts (version_id, image_sha256, probs, near_json, created_at) VALUES (?, ?, ?, ?, ?)`);
    const p = Buffer.from(Float32Array.from([0.25, 0.75]).buffer);
    ins.run(v, 'a', p, '[{"index":0,"similarity":0.9}]', now);
    expect(() => ins.run(v, 'a', p, '[]', now)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => ins.run(v, 'b', Buffer.alloc(3), '[]', now)).toThrow(/CHECK/);
    expect(() => ins.run(v, 'c', p, 'not json', now)).toThrow(/CHECK/);
    expect(() => ins.run(v + 1, 'd', p, '[]', now)).toThrow(/FOREIGN KEY/);

    const sum = db.prepare(`INSERT INTO measurement_summaries (image_sha256, method_key, summary_json, created_at) VALUES (?, ?, ?, ?)`);
    sum.run('a', 'k1', '{"method":"classical"}', now);
    sum.run('a', 'k2', '{"method":"v3"}', now);
    expect(() => sum.run('a', 'k1', '{}', now)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => sum.run('a', 'k3', '{', now)).toThrow(/CHECK/);

    // Derived data: deleting the version drops its facts; the library and the summaries are untouched.
    db.prepare(`DELETE FROM model_versions WHERE id = ?`).run(v);
    expect(db.prepare(`SELECT count(*) AS n FROM student_image_facts`).get()).toEqual({ n: 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM measurement_summaries`).get()).toEqual({ n: 2 });
    expect(db.prepare(`SELECT count(*) AS n FROM images`).get()).toEqual({ n: 1 });
    db.close();
  });
});
