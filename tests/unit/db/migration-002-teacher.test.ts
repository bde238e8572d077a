// Migration 002: the teacher's tables, upgraded in place from a version-1 file with images and labels.
// One final output per image and configuration (a resumed run never duplicates), provenance values enforced,
// and deleting an image deletes its outputs and annotations but keeps the request log (image_id set NULL).
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 002 (teacher)', () => {
  it("upgrades a version-1 file with data in place and enforces the teacher tables' rules", () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 1);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('bridges', ?)`).run(now);
    db.prepare(`INSERT INTO labels (image_id, class_id, source, status, created_at) VALUES (1, 1, 'human', 'accepted', ?)`).run(now);

    migrate(db, MIGRATIONS, 2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare(`SELECT count(*) AS n FROM labels`).get()).toEqual({ n: 1 });

    db.prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, created_at) VALUES ('default', 1, 's', 'u', ?)`).run(now);
    expect(() =>
      db.prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, created_at) VALUES ('default', 1, 's2', 'u2', ?)`).run(now),
    ).toThrow(/UNIQUE/);
    const run = (state: string) =>
      db
        .prepare(
          `INSERT INTO teacher_runs (config_key, template_id, provider, endpoint_host, model, config_json, selection_json, state, created_at, updated_at)
           VALUES ('k', 1, 'openai', 'host', 'm', '{}', '{}', ?, ?, ?)`,
        )
        .run(state, now, now);
    run('running');
    expect(() => run('paused')).toThrow(/CHECK/);
    db.prepare(
      `INSERT INTO teacher_requests (run_id, image_id, purpose, attempt, response_format, endpoint_host, model, started_at, outcome)
       VALUES (1, 1, 'answer', 1, 'json_schema', 'host', 'm', ?, 'ok')`,
    ).run(now);
    const output = () =>
      db
        .prepare(
          `INSERT INTO teacher_outputs (run_id, image_id, config_key, template_id, status, class_name, request_id, created_at, updated_at)
           VALUES (1, 1, 'k', 1, 'valid', 'bridges', 1, ?, ?)`,
        )
        .run(now, now);
    output();
    expect(output).toThrow(/UNIQUE/); // one final outcome per image and configuration
    db.prepare(
      `INSERT INTO annotations (image_id, kind, question, answer, source, status, teacher_output_id, created_at, updated_at)
       VALUES (1, 'qa', 'bridges?', 'yes', 'teacher', 'proposed', 1, ?, ?)`,
    ).run(now, now);
    expect(() =>
      db
        .prepare(`INSERT INTO annotations (image_id, kind, answer, source, status, created_at, updated_at) VALUES (1, 'poem', 'x', 'human', 'accepted', ?, ?)`)
        .run(now, now),
    ).toThrow(/CHECK/);

    db.prepare(`DELETE FROM labels`).run();
    db.prepare(`DELETE FROM images WHERE id = 1`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM teacher_outputs`).get()).toEqual({ n: 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM annotations`).get()).toEqual({ n: 0 });
    expect(db.prepare(`SELECT image_id FROM teacher_requests`).all()).toEqual([{ image_id: null }]);
    db.close();
  });
});
