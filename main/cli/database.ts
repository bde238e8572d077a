// `emma backup | check`: a consistent copy of the database while Emma runs, and the full integrity check.
import { parseArgs } from 'node:util';
import { backupDatabase, checkDatabase, damageOf } from '../core/db/integrity.js';
import { resolveDataLocation } from '../core/paths.js';

export const DATABASE_COMMANDS = ['backup', 'check'] as const;

export const DATABASE_USAGE = `  emma backup <dest-file> [--db FILE] [--json]              consistent copy, safe while Emma runs (SQLite online backup)
  emma check [--db FILE] [--json]                          full integrity_check + foreign_key_check; exit 1 on problems`;

function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

/** The database a command line names (--db, EMMA_DB, or the per-user default), for error messages. */
function dbOf(argv: readonly string[]): string {
  let db: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--db') db = argv[i + 1];
    else if (a.startsWith('--db=')) db = a.slice(5);
  });
  return resolveDataLocation(db).dbPath;
}

/** SQLITE_CORRUPT / SQLITE_NOTADB from anywhere in a command, as the message naming the file (null otherwise). */
export function damagedDatabaseError(error: unknown, argv: readonly string[]): Error | null {
  return damageOf(error, dbOf(argv));
}

export async function databaseCommand(command: string, rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { db: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const json = values.json ?? false;
  const file = resolveDataLocation(values.db).dbPath;
  if (command === 'backup') {
    if (positionals.length !== 1) throw new Error('emma backup takes one destination file: emma backup <dest-file> [--db FILE]');
    const r = await backupDatabase(file, positionals[0]);
    out(
      json,
      r,
      `backed up ${r.source} to ${r.dest}: ${(r.bytes / 1048576).toFixed(1)} MiB, ${r.pages} pages, schema ${r.userVersion}, quick_check ok, ${r.seconds.toFixed(1)} s`,
    );
    return 0;
  }
  const r = checkDatabase(file);
  out(
    json,
    r,
    r.ok
      ? `${r.file}: ok (integrity_check and foreign_key_check found nothing; ${(r.bytes / 1048576).toFixed(1)} MiB in ${r.seconds.toFixed(1)} s)`
      : [
          `${r.file}: ${r.integrity.length + r.foreignKeys.length} problem(s)`,
          ...r.integrity.map((p) => `  integrity: ${p}`),
          ...r.foreignKeys.map((f) => `  foreign key: ${f.table} row ${f.rowid ?? '?'} points at a missing ${f.parent} row`),
          'Restore the latest backup made with `emma backup` (close Emma, move this file and its -wal/-shm aside, copy the backup in its place).',
        ].join('\n'),
  );
  return r.ok ? 0 : 1;
}
