// Migration 008: per-image particle masks, added in place to a version-6 file; one mask per image, cascades with it.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { loadMask, saveMask, countMasks } from '../../../main/core/measure/masks.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 008 (particle masks)', () => {
  it('upgrades a version-6 file in place; masks round-trip exactly, are replaced per image and cascade on delete', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 6);
    const now = new Date().toISOString();
    const id = Number(
      db
        .prepare(
          `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
         VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 3, 2, 8, ?)`,
        )
        .run(now).lastInsertRowid,
    );
    migrate(db, MIGRATIONS, 8);
    expect(db.pragma('user_version', { simple: true })).toBe(8);
    expect(db.prepare(`SELECT count(*) AS n FROM images`).get()).toEqual({ n: 1 });

    const labels = Int32Array.from([0, 1, 1, 0, 2, 70000]);
    expect(
      saveMask(db, { imageId: id, width: 3, height: 2, labels, particles: 3, kind: 'labels' }, { sourcePath: '/m/a_m.tif', sourceSha256: 'x', by: 'test' }),
    ).toBe(false);
    const m = loadMask(db, id)!;
    expect(Array.from(m.labels)).toEqual(Array.from(labels));
    expect(m).toMatchObject({ width: 3, height: 2, particles: 3, kind: 'labels', sourcePath: '/m/a_m.tif', importedBy: 'test' });
    // Re-import replaces (one current mask per image) and says so.
    expect(
      saveMask(
        db,
        { imageId: id, width: 3, height: 2, labels: new Int32Array(6), particles: 0, kind: 'binary' },
        { sourcePath: null, sourceSha256: null, by: 'ui' },
      ),
    ).toBe(true);
    expect(countMasks(db)).toBe(1);
    expect(loadMask(db, id)!.kind).toBe('binary');
    expect(() =>
      db
        .prepare(
          `INSERT INTO image_masks (image_id, width, height, particles, kind, labels, imported_at, imported_by) VALUES (?, 0, 1, 0, 'binary', x'', ?, 't')`,
        )
        .run(id + 1, now),
    ).toThrow(/CHECK|FOREIGN/);
    expect(() => db.prepare(`UPDATE image_masks SET kind = 'guess'`).run()).toThrow(/CHECK/);
    db.prepare(`DELETE FROM images WHERE id = ?`).run(id);
    expect(countMasks(db)).toBe(0);
    db.close();
  });
});
