// Migration 005: chat messages per image, upgraded in place from a version-4 file; deleting an image deletes its chat.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 005 (chat)', () => {
  it('upgrades a version-4 file with data in place and keeps chats per image', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 4);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    db.prepare(`INSERT INTO model_versions (status, preset, created_at) VALUES ('training', 'fast', ?)`).run(now);
    migrate(db, MIGRATIONS, 5);
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect(db.prepare(`SELECT count(*) AS n FROM model_versions`).get()).toEqual({ n: 1 });
    const q = db.prepare(`INSERT INTO chat_messages (image_id, role, text, created_at) VALUES (1, 'user', 'bridges?', ?)`).run(now).lastInsertRowid;
    db.prepare(
      `INSERT INTO chat_messages (image_id, role, text, confidence, model_ref, reply_to, created_at) VALUES (1, 'student', 'yes', 0.8, 'v1', ?, ?)`,
    ).run(q, now);
    expect(() => db.prepare(`INSERT INTO chat_messages (image_id, role, text, created_at) VALUES (1, 'robot', 'x', ?)`).run(now)).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO chat_messages (image_id, role, text, created_at) VALUES (9, 'user', 'x', ?)`).run(now)).toThrow(/FOREIGN KEY/);
    expect(db.prepare(`SELECT role, text, reply_to FROM chat_messages ORDER BY id`).all()).toEqual([
      { role: 'user', text: 'bridges?', reply_to: null },
      { role: 'student', text: 'yes', reply_to: 1 },
    ]);
    db.prepare(`DELETE FROM images WHERE id = 1`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM chat_messages`).get()).toEqual({ n: 0 });
    db.close();
  });
});
