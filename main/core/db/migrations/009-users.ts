import type { Migration } from '../migrate.js';

// Lab-server accounts and sessions (main/server/auth). Passwords are stored only as scrypt hashes with their own
// salt and parameters ("scrypt$N$r$p$salt$hash"); sessions only as the SHA-256 of the random id the browser holds,
// so a copy of the database opens no session. A disabled user keeps their row: review decisions name them.
export const migration009: Migration = {
  version: 9,
  name: 'lab-server users and sessions',
  up: `
    CREATE TABLE users (
      id                  INTEGER PRIMARY KEY,
      name                TEXT    NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
      role                TEXT    NOT NULL CHECK (role IN ('operator', 'lead')),
      password_hash       TEXT    NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
      disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
      created_at          TEXT    NOT NULL,
      password_changed_at TEXT    NOT NULL,
      last_login_at       TEXT
    );
    CREATE TABLE user_sessions (
      id_hash      TEXT    PRIMARY KEY,
      user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at   INTEGER NOT NULL,
      expires_at   INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      ip           TEXT
    ) WITHOUT ROWID;
    CREATE INDEX user_sessions_user ON user_sessions (user_id);
  `,
};
