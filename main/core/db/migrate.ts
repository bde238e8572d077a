import type Database from 'better-sqlite3';
import { migration001 } from './migrations/001-initial.js';
import { migration002 } from './migrations/002-teacher.js';
import { migration003 } from './migrations/003-review.js';
import { migration004 } from './migrations/004-student.js';
import { migration005 } from './migrations/005-chat.js';
import { migration006 } from './migrations/006-student-features.js';
import { migration007 } from './migrations/007-job-owners.js';
import { migration008 } from './migrations/008-masks.js';
import { migration009 } from './migrations/009-users.js';
import { migration010 } from './migrations/010-teacher-run-images.js';
import { migration011 } from './migrations/011-teacher-paraphrases.js';
import { migration012 } from './migrations/012-image-facts.js';
import { migration013 } from './migrations/013-chat-grounding.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL run inside the migration's transaction. */
  up: string;
}

/** Every migration, in order. Append only: a shipped migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
  migration012,
  migration013,
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export class DatabaseFromFutureError extends Error {
  constructor(
    readonly fileVersion: number,
    readonly appVersion: number,
  ) {
    super(
      `This database was written by a newer Emma (schema ${fileVersion}; this Emma knows up to ${appVersion}). ` +
        'Open it with that version, or restore a backup made by this one. Nothing was changed.',
    );
    this.name = 'DatabaseFromFutureError';
  }
}

/** Applies pending migrations, each in its own transaction, tracking progress in PRAGMA user_version. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, target?: number): number {
  const latest = target ?? migrations[migrations.length - 1]?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) throw new DatabaseFromFutureError(current, latest);
  for (const m of migrations) {
    if (m.version <= current || m.version > latest) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
