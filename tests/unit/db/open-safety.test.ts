// Opening a file that Emma must not use changes nothing in it (issue 12, points 4 and 5): a database from a newer
// Emma keeps every byte (no WAL switch), a damaged or foreign file is refused with a message naming it and how to
// restore, before any write.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCheckOf, openDatabase } from '../../../main/core/db/database.js';
import { DatabaseDamagedError, preflight } from '../../../main/core/db/integrity.js';
import { DatabaseFromFutureError } from '../../../main/core/db/migrate.js';
import { damageMiddle, filledDatabase } from '../../support/damage.js';
import { tempDir } from '../../support/paths.js';

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());
function tmp(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return t.dir;
}

describe('opening a file Emma must not use', () => {
  it('a database from a newer Emma (journal_mode=delete) is refused and keeps every byte', () => {
    const file = join(tmp(), 'future.sqlite');
    const raw = new Database(file);
    raw.pragma('journal_mode = DELETE');
    raw.exec(`CREATE TABLE t (x); INSERT INTO t VALUES (1);`);
    raw.pragma('user_version = 999');
    raw.close();
    const before = readFileSync(file);
    expect(before[18]).toBe(1); // file format bytes: 1 = rollback journal, 2 = WAL
    expect(() => openDatabase(file)).toThrow(DatabaseFromFutureError);
    expect(() => openDatabase(file)).toThrow(/Nothing was changed/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(existsSync(`${file}-journal`)).toBe(false);
  });

  it('a file with 8 KiB overwritten mid-file is refused before any write, naming the file and the way to restore', () => {
    const file = join(tmp(), 'emma.sqlite');
    filledDatabase(file);
    expect(openCheckOf(openDatabase(file))).toMatchObject({ quickCheck: 'ok' });
    damageMiddle(file);
    const before = readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseDamagedError);
    expect((error as DatabaseDamagedError).problems.length).toBeGreaterThan(0);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/damaged.*emma backup.*emma check/s);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a file that is not a database is refused as such', () => {
    const file = join(tmp(), 'notes.sqlite');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(300));
    expect(() => openDatabase(file)).toThrow(DatabaseDamagedError);
    expect(() => openDatabase(file)).toThrow(/SQLITE_NOTADB/);
    expect(readFileSync(file, 'utf8')).toMatch(/^these are my notes/);
  });

  it('quick_check can be skipped (a worker re-opening a file just checked), and says so', () => {
    const file = join(tmp(), 'emma.sqlite');
    filledDatabase(file, 10);
    expect(preflight(file, { quickCheck: false })!.check).toMatchObject({ quickCheck: 'skipped', note: 'not checked at this open' });
    expect(preflight(file)!.check.quickCheck).toBe('ok');
  });
});
