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
    // Manual calibrations: positive values only, gone with their image.
    db.pragma('foreign_keys = ON');
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at) VALUES ('a', '/a.jpg', 'a.jpg', 1, 'jpeg', 2, 2, 8, ?)`,
    ).run(now);
    const cal = db.prepare(
      `INSERT INTO image_calibrations (image_id, pixel_size_nm, previous_nm, method, line_px, length_nm, set_by, at) VALUES (1, ?, NULL, 'scale bar', ?, 2000, 'mei', ?)`,
    );
    cal.run(10, 200, now);
    expect(() => cal.run(0, 200, now)).toThrow(/CHECK/);
    expect(() => cal.run(10, 0, now)).toThrow(/CHECK/);
    db.prepare(`DELETE FROM images WHERE id = 1`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM image_calibrations`).get()).toEqual({ n: 0 });
    db.close();
  });
});
