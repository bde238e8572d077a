// Migration 006: the per-image stem feature cache, added in place to a version-5 file without touching its data.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 006 (student feature cache)', () => {
  it('upgrades a version-5 file in place; one row per (stem, image); the blob holds exactly dim float32s', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 5);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO model_versions (status, preset, created_at) VALUES ('completed', 'fast', ?)`).run(now);
    migrate(db, MIGRATIONS, 6);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(db.prepare(`SELECT count(*) AS n FROM images`).get()).toEqual({ n: 1 });
    expect(db.prepare(`SELECT count(*) AS n FROM model_versions`).get()).toEqual({ n: 1 });

    const ins = db.prepare(`INSERT INTO student_features (stem_hash, image_sha256, dim, data, created_at) VALUES (?, ?, ?, ?, ?)`);
    const f = Float32Array.from([1.5, -2, 3.25]);
    ins.run('s1', 'a', 3, Buffer.from(f.buffer), now);
    ins.run('s2', 'a', 3, Buffer.from(f.buffer), now);
    expect(() => ins.run('s1', 'a', 3, Buffer.from(f.buffer), now)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => ins.run('s1', 'b', 4, Buffer.from(f.buffer), now)).toThrow(/CHECK/);
    expect(() => ins.run('s1', 'c', 0, Buffer.alloc(0), now)).toThrow(/CHECK/);
    const row = db.prepare(`SELECT data FROM student_features WHERE stem_hash = 's2' AND image_sha256 = 'a'`).get() as { data: Buffer };
    expect(Array.from(new Float32Array(row.data.buffer.slice(row.data.byteOffset, row.data.byteOffset + row.data.byteLength)))).toEqual([1.5, -2, 3.25]);
    // A cache: deleting an image leaves its rows (keyed by content hash), nothing cascades into the library.
    db.prepare(`DELETE FROM images WHERE sha256 = 'a'`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM student_features`).get()).toEqual({ n: 2 });
    db.close();
  });
});
