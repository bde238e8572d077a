// A damaged database file must stop Emma with a clear message instead of being written into (issue 12, point 4):
// a read-only look before anything is changed (schema version, PRAGMA quick_check), a typed error for SQLite's
// corruption codes wherever they appear, `emma check` (the full integrity_check + foreign_key_check) and
// `emma backup` (SQLite's online backup API: a consistent copy while the app keeps writing).
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CoreError } from '../errors.js';

/**
 * quick_check reads every page, so its time grows with the file: files above this size are not checked at open
 * (the open says so; `emma check` checks them). Measured: a 1.03 GiB file (1,000,000 rows of ~1 KB, one table and
 * its unique index) took 1.7 s for quick_check and 2.5 s for integrity_check on 2 shared CPU cores (load 4.4).
 * A library of 100,000 images is a few hundred MB, so an ordinary file is always checked.
 */
export const QUICK_CHECK_MAX_BYTES = 1024 ** 3;
/** At most this many problems are collected from a check (the first ones say enough). */
const MAX_PROBLEMS = 100;

export class DatabaseDamagedError extends CoreError<'database_damaged'> {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(
      'database_damaged',
      `The database file ${file} is damaged (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}). ` +
        'Emma stopped so as not to write into it. To restore: close Emma, move this file (and its -wal and -shm files) aside, ' +
        'and copy your latest backup (made with `emma backup`) in its place. ' +
        `\`emma check --db ${file}\` lists every problem.`,
    );
    this.name = 'DatabaseDamagedError';
  }
}

/** True for SQLite's "this file is damaged / not a database" result codes (SQLITE_CORRUPT_*, SQLITE_NOTADB). */
export function isDamageCode(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/** The typed error for a corruption result code (naming the file), or null for anything else. */
export function damageOf(e: unknown, file: string): DatabaseDamagedError | null {
  if (e instanceof DatabaseDamagedError) return e;
  if (!isDamageCode(e)) return null;
  const err = e as { code: string; message?: string };
  return new DatabaseDamagedError(file, [`${err.code}: ${err.message ?? 'damaged'}`]);
}

/** What the open-time check did: checked (ok), or skipped and why. */
export interface OpenCheck {
  readonly file: string;
  readonly quickCheck: 'ok' | 'skipped';
  readonly note: string | null;
  readonly bytes: number;
  readonly ms: number;
}

export interface Preflight {
  readonly userVersion: number;
  readonly check: OpenCheck;
}

function readOnly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/**
 * Looks at an existing file without changing it: its schema version, then quick_check (bounded by size).
 * Throws DatabaseDamagedError for a damaged file or one that is not a database. Returns null when a read-only
 * look is impossible for another reason (a rollback journal left by a crash needs a writer to undo it, a lock):
 * the caller then reads the version on its own connection before writing anything.
 */
export function preflight(file: string, options: { quickCheck?: boolean } = {}): Preflight | null {
  const bytes = statSync(file).size;
  let db: Database.Database;
  try {
    db = readOnly(file);
  } catch (e) {
    const damage = damageOf(e, file);
    if (damage) throw damage;
    if (/^SQLITE_(READONLY|CANTOPEN|BUSY|LOCKED)/.test(String((e as { code?: unknown }).code))) return null;
    throw e;
  }
  let userVersion: number;
  try {
    userVersion = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    db.close();
    const damage = damageOf(e, file);
    if (damage) throw damage;
    if (/^SQLITE_(READONLY|CANTOPEN|BUSY|LOCKED)/.test(String((e as { code?: unknown }).code))) return null;
    throw e;
  }
  try {
    const t0 = performance.now();
    if (options.quickCheck === false) {
      return { userVersion, check: { file, quickCheck: 'skipped', note: 'not checked at this open', bytes, ms: 0 } };
    }
    if (bytes > QUICK_CHECK_MAX_BYTES) {
      const note = `quick_check skipped at open: the file is ${(bytes / 1024 ** 3).toFixed(1)} GiB, above the ${(QUICK_CHECK_MAX_BYTES / 1024 ** 3).toFixed(0)} GiB bound; run \`emma check --db ${file}\``;
      return { userVersion, check: { file, quickCheck: 'skipped', note, bytes, ms: 0 } };
    }
    const rows = db.pragma(`quick_check(${MAX_PROBLEMS})`, { simple: false }) as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length) throw new DatabaseDamagedError(file, problems);
    return { userVersion, check: { file, quickCheck: 'ok', note: null, bytes, ms: performance.now() - t0 } };
  } catch (e) {
    throw damageOf(e, file) ?? e;
  } finally {
    db.close();
  }
}

export interface CheckReport {
  readonly file: string;
  readonly ok: boolean;
  readonly userVersion: number | null;
  /** integrity_check's findings ('ok' removed). */
  readonly integrity: string[];
  /** Rows that point at a missing parent: table, rowid, parent table. */
  readonly foreignKeys: { table: string; rowid: number | null; parent: string }[];
  readonly bytes: number;
  readonly seconds: number;
}

/** The full check (`emma check`): PRAGMA integrity_check and foreign_key_check, read-only. */
export function checkDatabase(file: string): CheckReport {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new Error(`${abs}: no such database file`);
  const bytes = statSync(abs).size;
  const t0 = performance.now();
  const done = (r: Omit<CheckReport, 'file' | 'bytes' | 'seconds' | 'ok'>): CheckReport => ({
    file: abs,
    ok: r.integrity.length === 0 && r.foreignKeys.length === 0,
    bytes,
    seconds: (performance.now() - t0) / 1000,
    ...r,
  });
  let db: Database.Database;
  try {
    db = readOnly(abs);
  } catch (e) {
    if (isDamageCode(e)) return done({ userVersion: null, integrity: [`${(e as { code: string }).code}: ${(e as Error).message}`], foreignKeys: [] });
    throw e;
  }
  try {
    let userVersion: number | null = null;
    const integrity: string[] = [];
    try {
      userVersion = db.pragma('user_version', { simple: true }) as number;
      const rows = db.pragma(`integrity_check(${MAX_PROBLEMS})`) as { integrity_check: string }[];
      integrity.push(...rows.map((r) => r.integrity_check).filter((r) => r !== 'ok'));
    } catch (e) {
      if (!isDamageCode(e)) throw e;
      integrity.push(`${(e as { code: string }).code}: ${(e as Error).message}`);
    }
    let foreignKeys: CheckReport['foreignKeys'] = [];
    try {
      foreignKeys = (db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[])
        .slice(0, MAX_PROBLEMS)
        .map((r) => ({ table: r.table, rowid: r.rowid, parent: r.parent }));
    } catch (e) {
      if (!isDamageCode(e)) throw e;
      integrity.push(`foreign_key_check: ${(e as { code: string }).code}: ${(e as Error).message}`);
    }
    return done({ userVersion, integrity, foreignKeys });
  } finally {
    db.close();
  }
}

export interface BackupReport {
  readonly source: string;
  readonly dest: string;
  readonly bytes: number;
  readonly pages: number;
  readonly userVersion: number;
  readonly quickCheck: 'ok';
  readonly seconds: number;
}

/**
 * Copies a database with SQLite's online backup API, from a read-only connection: the copy is one consistent
 * state even while Emma (another connection or process) writes, because every page is copied in one step (a step
 * runs in one read transaction; with several steps, another writer would restart the copy). Written under a
 * temporary name and renamed, so a failed backup leaves no half file; an existing destination is never overwritten.
 * The copy is checked (quick_check) before it is reported.
 */
export async function backupDatabase(source: string, dest: string): Promise<BackupReport> {
  const src = resolve(source);
  const out = resolve(dest);
  if (!existsSync(src)) throw new Error(`${src}: no such database file`);
  if (existsSync(out)) throw new Error(`${out} already exists: choose a new name (a backup never overwrites a file)`);
  if (!existsSync(dirname(out))) throw new Error(`${dirname(out)}: no such folder for the backup`);
  const t0 = performance.now();
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  const db = readOnly(src);
  try {
    await db.backup(tmp, { progress: () => 0x7fffffff });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw damageOf(e, src) ?? e;
  } finally {
    db.close();
  }
  // One self-contained file: the copy leaves WAL mode (no -wal/-shm beside it), then is checked.
  let userVersion: number;
  let pages: number;
  try {
    const copy = new Database(tmp, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      const problems = (copy.pragma('quick_check(20)') as { quick_check: string }[]).map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (problems.length) throw new DatabaseDamagedError(src, problems);
      userVersion = copy.pragma('user_version', { simple: true }) as number;
      pages = copy.pragma('page_count', { simple: true }) as number;
    } finally {
      copy.close();
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw damageOf(e, src) ?? e;
  }
  renameSync(tmp, out);
  return { source: src, dest: out, bytes: statSync(out).size, pages, userVersion, quickCheck: 'ok', seconds: (performance.now() - t0) / 1000 };
}
