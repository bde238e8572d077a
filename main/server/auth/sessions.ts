// Login sessions (table `user_sessions`). The browser holds a random 256-bit id in an HttpOnly cookie; the
// database holds only its SHA-256, so reading the database (or a backup) opens no session.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../core/db/database.js';
import type { User } from './users.js';
import { UserStore } from './users.js';

export interface SessionPolicy {
  /** A session ends this long after login, however busy (default 12 h: one lab shift). */
  maxAgeMs: number;
  /** ...or after this long without a request (default 2 h). */
  idleMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { maxAgeMs: 12 * 3600_000, idleMs: 2 * 3600_000 };

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

export class SessionStore {
  private readonly users: UserStore;

  constructor(
    private readonly db: Db,
    private readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    /** The clock; tests move it instead of waiting. */
    private readonly now: () => number = Date.now,
  ) {
    this.users = new UserStore(db);
  }

  /** A new session for the user; returns the id for the cookie (never stored). */
  create(user: User, ip: string | null): { id: string; expiresAt: number } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + this.policy.maxAgeMs;
    this.db.prepare(`DELETE FROM user_sessions WHERE expires_at <= ? OR last_seen_at <= ?`).run(now, now - this.policy.idleMs);
    this.db
      .prepare(`INSERT INTO user_sessions (id_hash, user_id, created_at, expires_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(hashId(id), user.id, now, expiresAt, now, ip);
    return { id, expiresAt };
  }

  /** The session's user, or null when the id is unknown, expired, idle too long or its user is disabled. */
  lookup(id: string | undefined): User | null {
    const found = this.check(id, true);
    if (!found) return null;
    // Written at most once a minute: a busy page does not turn every read into a database write.
    const now = this.now();
    if (now - found.lastSeen > 60_000) this.db.prepare(`UPDATE user_sessions SET last_seen_at = ? WHERE id_hash = ?`).run(now, found.key);
    return found.user;
  }

  /**
   * Whether the session is still valid, without counting this as use (an open event stream must not keep a session
   * from idling out) and without writing anything.
   */
  valid(id: string | undefined): boolean {
    return this.check(id, false) !== null;
  }

  /** The session's live user and row; an expired or idle session is deleted when `tidy`. */
  private check(id: string | undefined, tidy: boolean): { user: User; key: string; lastSeen: number } | null {
    if (!id || id.length > 100) return null;
    const key = hashId(id);
    const row = this.db.prepare(`SELECT user_id, expires_at, last_seen_at FROM user_sessions WHERE id_hash = ?`).get(key) as
      { user_id: number; expires_at: number; last_seen_at: number } | undefined;
    if (!row) return null;
    const now = this.now();
    if (row.expires_at <= now || row.last_seen_at + this.policy.idleMs <= now) {
      if (tidy) this.db.prepare(`DELETE FROM user_sessions WHERE id_hash = ?`).run(key);
      return null;
    }
    const user = this.users.get(row.user_id);
    return user && !user.disabled ? { user, key, lastSeen: row.last_seen_at } : null;
  }

  end(id: string | undefined): void {
    if (id) this.db.prepare(`DELETE FROM user_sessions WHERE id_hash = ?`).run(hashId(id));
  }
}
