// Migration 009: lab-server accounts and sessions, added in place to a version-6 file without touching its data.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../../main/core/db/migrate.js';
import { hashPassword, verifyPassword } from '../../../main/server/auth/passwords.js';
import { UserStore } from '../../../main/server/auth/users.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe('migration 009 (users and sessions)', () => {
  it('upgrades a version-6 file in place; names unique regardless of case; only scrypt hashes; sessions cascade', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = new Database(join(t.dir, 'emma.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, 6);
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
       VALUES ('a', '/a.tif', 'a.tif', 1, 'tiff', 2, 2, 8, ?)`,
    ).run(now);
    migrate(db, MIGRATIONS, 9);
    expect(db.pragma('user_version', { simple: true })).toBe(9);
    expect(db.prepare(`SELECT count(*) AS n FROM images`).get()).toEqual({ n: 1 });

    const users = new UserStore(db);
    const { user, password } = await users.add('Olga', 'operator');
    expect(password.length).toBeGreaterThanOrEqual(20);
    await expect(users.add('olga', 'lead', 'another-password')).rejects.toThrow(/already/);
    expect(() =>
      db.prepare(`INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES ('x', 'admin', 'scrypt$1', ?, ?)`).run(now, now),
    ).toThrow(/CHECK/);
    expect(() =>
      db.prepare(`INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES ('y', 'lead', 'plain', ?, ?)`).run(now, now),
    ).toThrow(/CHECK/);
    const stored = (db.prepare(`SELECT password_hash FROM users WHERE id = ?`).get(user.id) as { password_hash: string }).password_hash;
    expect(stored).not.toContain(password);
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword(`${password}x`, stored)).toBe(false);
    // Per-user salt: the same password hashes differently.
    expect(await hashPassword('same-password-1')).not.toBe(await hashPassword('same-password-1'));

    db.prepare(`INSERT INTO user_sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES ('h', ?, 0, 1, 0)`).run(user.id);
    db.prepare(`DELETE FROM users WHERE id = ?`).run(user.id);
    expect(db.prepare(`SELECT count(*) AS n FROM user_sessions`).get()).toEqual({ n: 0 });
    db.close();
  });
});
