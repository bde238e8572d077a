// Lab-server accounts (table `users`, migration 009). Two roles: operator and lead (see roles.ts).
import type { Db } from '../../core/db/database.js';
import { nowIso } from '../../core/db/database.js';
import { generatePassword, hashPassword, passwordProblem } from './passwords.js';
import { CoreError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/contract.js';

export type Role = 'operator' | 'lead';
export const ROLES: readonly Role[] = ['operator', 'lead'];

export interface User {
  id: number;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export class UserError extends CoreError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;

interface Row {
  id: number;
  name: string;
  role: Role;
  disabled: number;
  created_at: string;
  last_login_at: string | null;
  password_hash: string;
}

function toUser(r: Row): User {
  return { id: r.id, name: r.name, role: r.role, disabled: r.disabled === 1, createdAt: r.created_at, lastLoginAt: r.last_login_at };
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export class UserStore {
  constructor(private readonly db: Db) {}

  count(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM users`).get() as { n: number }).n;
  }

  list(): User[] {
    return (this.db.prepare(`SELECT * FROM users ORDER BY name`).all() as Row[]).map(toUser);
  }

  get(id: number): User | null {
    const row = this.db.prepare(`SELECT * FROM users WHERE id = ?`).get(id) as Row | undefined;
    return row ? toUser(row) : null;
  }

  /** The user and their stored hash, by name (case-insensitive); null when there is none. */
  credentials(name: string): { user: User; hash: string } | null {
    const row = this.db.prepare(`SELECT * FROM users WHERE name = ?`).get(name) as Row | undefined;
    return row ? { user: toUser(row), hash: row.password_hash } : null;
  }

  /** Adds a user; without a password one is generated and returned (shown once, stored only as a hash). */
  async add(name: string, role: Role, password?: string): Promise<{ user: User; password: string }> {
    if (!NAME.test(name)) {
      throw new UserError('bad_name', 'A user name is 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit.');
    }
    if (!isRole(role)) throw new UserError('bad_role', `A role is one of: ${ROLES.join(', ')}.`);
    const secret = password ?? generatePassword();
    const problem = passwordProblem(secret);
    if (problem) throw new UserError('weak_password', problem);
    if (this.credentials(name)) throw new UserError('exists', `There is already a user called ${name}.`);
    const hash = await hashPassword(secret);
    const now = nowIso();
    const id = Number(
      this.db.prepare(`INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)`).run(name, role, hash, now, now)
        .lastInsertRowid,
    );
    return { user: this.get(id)!, password: secret };
  }

  /** New password (generated when none is given); every session of the user ends. */
  async setPassword(name: string, password?: string): Promise<{ user: User; password: string }> {
    const found = this.require(name);
    const secret = password ?? generatePassword();
    const problem = passwordProblem(secret);
    if (problem) throw new UserError('weak_password', problem);
    const hash = await hashPassword(secret);
    this.db.transaction(() => {
      this.db.prepare(`UPDATE users SET password_hash = ?, password_changed_at = ?, disabled = 0 WHERE id = ?`).run(hash, nowIso(), found.id);
      this.db.prepare(`DELETE FROM user_sessions WHERE user_id = ?`).run(found.id);
    })();
    return { user: this.get(found.id)!, password: secret };
  }

  /** Disables (or re-enables) a user; disabling ends their sessions at once. */
  setDisabled(name: string, disabled: boolean): User {
    const found = this.require(name);
    this.db.transaction(() => {
      this.db.prepare(`UPDATE users SET disabled = ? WHERE id = ?`).run(disabled ? 1 : 0, found.id);
      if (disabled) this.db.prepare(`DELETE FROM user_sessions WHERE user_id = ?`).run(found.id);
    })();
    return this.get(found.id)!;
  }

  setRole(name: string, role: Role): User {
    if (!isRole(role)) throw new UserError('bad_role', `A role is one of: ${ROLES.join(', ')}.`);
    const found = this.require(name);
    this.db.prepare(`UPDATE users SET role = ? WHERE id = ?`).run(role, found.id);
    return this.get(found.id)!;
  }

  noteLogin(id: number): void {
    this.db.prepare(`UPDATE users SET last_login_at = ? WHERE id = ?`).run(nowIso(), id);
  }

  private require(name: string): User {
    const found = this.credentials(name);
    if (!found) throw new UserError('not_found', `There is no user called ${name}.`);
    return found.user;
  }
}

/**
 * First start of lab-server mode: with no account yet, create "admin" (a lead) with a generated password, to be
 * shown once. Returns null when accounts exist.
 */
export async function ensureFirstAdmin(db: Db): Promise<{ user: User; password: string } | null> {
  const users = new UserStore(db);
  if (users.count() > 0) return null;
  return users.add('admin', 'lead');
}
