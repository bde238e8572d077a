// Migration 011: teacher_requests rebuilt to accept the purpose 'paraphrase' (rows, ids and the outputs' links kept,
// with foreign keys on as openDatabase runs it), and the paraphrase cache table with its checks.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 011 (teacher paraphrases)', () => {
  it('rebuilds teacher_requests in place and adds the paraphrase cache', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 10);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at) VALUES ('a', '/a.jpg', 'a.jpg', 1, 'jpeg', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, notes, created_at) VALUES ('t', 1, 's', 'u', '', ?)`).run(now);
    db.prepare(
      `INSERT INTO teacher_runs (config_key, template_id, provider, endpoint_host, model, config_json, selection_json, state, created_at, updated_at)
       VALUES ('k', 1, 'openai', 'h', 'm', '{}', 'null', 'done', ?, ?)`,
    ).run(now, now);
    const req = db.prepare(
      `INSERT INTO teacher_requests (id, run_id, image_id, image_sha256, purpose, attempt, response_format, endpoint_host, model, started_at, outcome, prompt_tokens, cost_usd, raw_response)
       VALUES (?, 1, 1, 'a', ?, 1, 'json_schema', 'h', 'm', ?, 'ok', 10, 0.5, '{"raw":1}')`,
    );
    req.run(7, 'answer', now);
    req.run(9, 'repair', now);
    expect(() => req.run(10, 'paraphrase', now)).toThrow(/CHECK/);
    db.prepare(
      `INSERT INTO teacher_outputs (run_id, image_id, config_key, template_id, status, request_id, created_at, updated_at) VALUES (1, 1, 'k', 1, 'valid', 9, ?, ?)`,
    ).run(now, now);

    migrate(db, MIGRATIONS, 11);
    expect(db.pragma('user_version', { simple: true })).toBe(11);
    expect(db.prepare(`SELECT id, purpose, prompt_tokens, cost_usd, raw_response FROM teacher_requests ORDER BY id`).all()).toEqual([
      { id: 7, purpose: 'answer', prompt_tokens: 10, cost_usd: 0.5, raw_response: '{"raw":1}' },
      { id: 9, purpose: 'repair', prompt_tokens: 10, cost_usd: 0.5, raw_response: '{"raw":1}' },
    ]);
    // The output still points at its request; the schema is consistent.
    expect(db.prepare(`SELECT request_id FROM teacher_outputs`).get()).toEqual({ request_id: 9 });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'teacher_requests' ORDER BY name`).pluck().all();
    expect(indexes).toEqual(['teacher_requests_image', 'teacher_requests_run']);
    req.run(10, 'paraphrase', now);
    expect(() => req.run(11, 'oracle', now)).toThrow(/CHECK/);
    // Deleting a request still nulls the output's link (the foreign key came through the rebuild).
    db.prepare(`DELETE FROM teacher_requests WHERE id = 9`).run();
    expect(db.prepare(`SELECT request_id FROM teacher_outputs`).get()).toEqual({ request_id: null });

    const para = db.prepare(
      `INSERT INTO teacher_paraphrases (cache_key, run_id, request_id, endpoint_host, model, status, reason, sources_json, paraphrases_json, paraphrase_count, created_at, updated_at)
       VALUES (?, 1, 10, 'h', 'm', ?, ?, '[]', ?, ?, ?, ?)`,
    );
    para.run('c1', 'valid', null, '[{"intent":"which","source":"what is this","text":"what am i looking at"}]', 1, now, now);
    expect(() => para.run('c1', 'valid', null, '[]', 1, now, now)).toThrow(/UNIQUE/);
    // Invalid rows keep no paraphrases; valid rows must have some.
    expect(() => para.run('c2', 'invalid', 'not JSON', '[]', 1, now, now)).toThrow(/CHECK/);
    expect(() => para.run('c3', 'valid', null, null, 0, now, now)).toThrow(/CHECK/);
    para.run('c4', 'invalid', 'not JSON', null, 0, now, now);
    db.prepare(`DELETE FROM teacher_runs WHERE id = 1`).run();
    expect(db.prepare(`SELECT cache_key, run_id FROM teacher_paraphrases ORDER BY id`).all()).toEqual([
      { cache_key: 'c1', run_id: null },
      { cache_key: 'c4', run_id: null },
    ]);
    db.close();
  });
});
