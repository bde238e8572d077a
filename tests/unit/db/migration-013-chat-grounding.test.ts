// Migration 013: a student answer's grounding saved beside it, added in place to a version-12 file whose chats keep
// their text (old answers have no grounding); what is stored must be JSON, and a stored value that is not a grounding
// (hand-edited, another format) reads back as none, never as made-up evidence.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { groundingFromJson } from '../../../main/core/chat/api.js';
import type { AnswerGrounding } from '../../../main/core/contract.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

const GROUNDING: AnswerGrounding = {
  intent: 'yesno',
  intentProbability: 0.91,
  refused: false,
  reason: null,
  offerTeacher: false,
  className: 'bridges',
  yes: false,
  prediction: [
    { className: 'open', probability: 0.51 },
    { className: 'bridges', probability: 0.12 },
  ],
  similar: [{ imageId: 4, className: 'open', similarity: 0.83 }],
  measurement: null,
  pixelSizeNm: 2.5,
  source: 'the classifier of v3',
};

describe('migration 013 (chat answer grounding)', () => {
  it('upgrades a version-12 file with chats in place; grounding is JSON or NULL', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 12);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    const q = db.prepare(`INSERT INTO chat_messages (image_id, role, text, created_at) VALUES (1, 'user', 'bridges?', ?)`).run(now).lastInsertRowid;
    db.prepare(
      `INSERT INTO chat_messages (image_id, role, text, confidence, model_ref, reply_to, created_at) VALUES (1, 'student', 'No: …', 0.88, 'v1', ?, ?)`,
    ).run(q, now);
    migrate(db, MIGRATIONS, 13);
    expect(db.pragma('user_version', { simple: true })).toBe(13);
    expect(db.prepare(`SELECT role, text, grounding_json FROM chat_messages ORDER BY id`).all()).toEqual([
      { role: 'user', text: 'bridges?', grounding_json: null },
      { role: 'student', text: 'No: …', grounding_json: null },
    ]);
    const ins = db.prepare(`INSERT INTO chat_messages (image_id, role, text, reply_to, created_at, grounding_json) VALUES (1, 'student', 'x', ?, ?, ?)`);
    ins.run(q, now, JSON.stringify(GROUNDING));
    expect(() => ins.run(q, now, '{not json')).toThrow(/CHECK/);
    const saved = db.prepare(`SELECT grounding_json FROM chat_messages WHERE text = 'x'`).get() as { grounding_json: string };
    expect(groundingFromJson(saved.grounding_json)).toEqual(GROUNDING);
    db.close();
  });

  it('reads back only what is a grounding', () => {
    expect(groundingFromJson(null)).toBeNull();
    expect(groundingFromJson('[]')).toBeNull();
    expect(groundingFromJson('"which"')).toBeNull();
    expect(groundingFromJson(JSON.stringify({ ...GROUNDING, prediction: [{ className: 3, probability: 'high' }] }))).toBeNull();
    expect(groundingFromJson(JSON.stringify({ ...GROUNDING, similar: [{ imageId: 'x', similarity: 1, className: null }] }))).toBeNull();
    const { source: _source, ...noSource } = GROUNDING;
    expect(groundingFromJson(JSON.stringify(noSource))).toBeNull();
    expect(groundingFromJson(JSON.stringify({ ...GROUNDING, yes: null, className: null }))).toEqual({ ...GROUNDING, yes: null, className: null });
  });
});
