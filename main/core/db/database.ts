import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { damageOf, preflight, type OpenCheck } from './integrity.js';
import { DatabaseFromFutureError, LATEST_VERSION, migrate } from './migrate.js';

export type Db = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /**
   * Run PRAGMA quick_check before opening (default true; bounded by size, see integrity.ts). A second connection
   * of the same process to a file it has just checked (a worker thread) passes false.
   */
  quickCheck?: boolean;
}

const checks = new WeakMap<Db, OpenCheck>();

/** What the open-time check of this connection did (null for a new or in-memory file). */
export function openCheckOf(db: Db): OpenCheck | null {
  return checks.get(db) ?? null;
}

/**
 * Opens (creating if needed) the one SQLite file that holds a site's library, and brings it up to date.
 * An existing file is first looked at read-only: a database from a newer Emma is refused and a damaged one
 * (quick_check, or SQLite's corruption codes) stops with DatabaseDamagedError, both before anything is written
 * (no WAL switch, no migration).
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const memory = file === ':memory:' || file === '';
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  let check: OpenCheck | null = null;
  if (!memory && existsSync(file) && statSync(file).size > 0) {
    const pf = preflight(file, { quickCheck: options.quickCheck });
    if (pf) {
      if (!options.readonly && pf.userVersion > LATEST_VERSION) throw new DatabaseFromFutureError(pf.userVersion, LATEST_VERSION);
      check = pf.check;
    }
  }
  const db = new Database(file, { readonly: options.readonly ?? false });
  try {
    // Again on this connection, before any pragma that writes (the read-only look may have been impossible).
    const version = db.pragma('user_version', { simple: true }) as number;
    if (!options.readonly && version > LATEST_VERSION) throw new DatabaseFromFutureError(version, LATEST_VERSION);
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // NORMAL is durable with WAL except for the last transactions on power loss; never corrupting.
    db.pragma('synchronous = NORMAL');
    if (!options.readonly) migrate(db);
    if (check) checks.set(db, check);
    return db;
  } catch (error) {
    db.close();
    throw (memory ? null : damageOf(error, file)) ?? error;
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
