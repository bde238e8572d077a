// Point 4 of issue 12 with real damaged files and real processes: every command refuses a damaged database with the
// file and the way to restore; `emma check` lists the problems; `emma backup` copies a database consistently while
// another process writes to it, and the copy restores a working library.
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../../main/core/api.js';
import { DatabaseDamagedError } from '../../../main/core/db/integrity.js';
import { damageMiddle, filledDatabase } from '../../support/damage.js';
import { hasSharedData, repoRoot, sharedData, tempDir } from '../../support/paths.js';

const bin = join(repoRoot, 'bin', 'emma.mjs');
let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());
function tmp(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return t.dir;
}

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('a damaged database (issue 12, point 4)', () => {
  it('list, models, import and serve refuse it with the file and the way to restore; check lists the problems', () => {
    const dir = tmp();
    const db = join(dir, 'emma.sqlite');
    filledDatabase(db);
    expect(emma('check', '--db', db, '--json').code).toBe(0);
    damageMiddle(db);
    for (const args of [['list'], ['models'], ['import', join(repoRoot, 'README.md')], ['serve', '--port', '0']]) {
      const r = emma(...args, '--db', db);
      expect(r.signal, `${args[0]} did not stop`).toBeNull();
      expect(r.code, `${args[0]}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toContain(`The database file ${db} is damaged`);
      expect(r.stderr).toMatch(/emma backup/);
      expect(r.stdout).not.toMatch(/running in browser mode/);
    }
    const check = emma('check', '--db', db, '--json');
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout);
    expect(report.ok).toBe(false);
    expect(report.integrity.length).toBeGreaterThan(0);
    const human = emma('check', '--db', db);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/problem\(s\)\n {2}integrity: /);
  });

  it.skipIf(!hasSharedData)('damage found after the open stops the import with that message, not a report of failed files', async () => {
    const dir = tmp();
    const db = join(dir, 'emma.sqlite');
    filledDatabase(db);
    const core = createCore({ dbPath: db, mode: 'cli' });
    try {
      // The disk goes bad under a running Emma: every page but the first overwritten.
      const size = Number(core.db.pragma('page_count', { simple: true })) * 4096;
      damageMiddle(db, size - 4096 * 2);
      await expect(core.importNow({ paths: [join(sharedData, 'nffa')] })).rejects.toThrow(DatabaseDamagedError);
    } finally {
      await core.close().catch(() => undefined);
    }
  });
});

describe('emma backup (issue 12, point 4)', () => {
  it('copies consistently while another process writes; the copy restores a working library', async () => {
    const dir = tmp();
    const db = join(dir, 'emma.sqlite');
    filledDatabase(db, 500);
    const writer = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tests', 'integration', 'robust', 'writer-child.ts'), db], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('writing')) resolve();
        });
        writer.once('exit', (c) => reject(new Error(`writer exited (${c})`)));
      });
      const backups: { file: string; batches: number }[] = [];
      for (let i = 0; i < 3; i++) {
        const file = join(dir, `backup-${i}.sqlite`);
        const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const p = spawn(process.execPath, [bin, 'backup', file, '--db', db, '--json'], { cwd: repoRoot });
          let out = '';
          let err = '';
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (err += d));
          p.on('exit', (code) => resolve({ code, out, err }));
        });
        expect(r.code, r.err).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ dest: file, quickCheck: 'ok' });
        expect(existsSync(`${file}-wal`)).toBe(false);
        // Consistent: whole batches only (a torn copy would hold a batch in part, or fail integrity_check).
        const copy = new Database(file, { readonly: true });
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        const counts = copy.prepare(`SELECT action, count(*) AS n FROM audit_log WHERE actor = 'writer' GROUP BY action`).all() as { n: number }[];
        expect(counts.length).toBeGreaterThan(0);
        expect(counts.every((c) => c.n === 50)).toBe(true);
        expect(copy.prepare(`SELECT count(*) FROM images`).pluck().get()).toBe(500);
        backups.push({ file, batches: counts.length });
        copy.close();
      }
      // The writer kept writing between backups: later copies hold more.
      expect(backups[2].batches).toBeGreaterThan(backups[0].batches);
      const again = emma('backup', backups[0].file, '--db', db);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already exists/);
    } finally {
      writer.kill('SIGKILL');
    }
    // Restore: the damaged file replaced by a backup gives a working library.
    damageMiddle(db);
    expect(emma('list', '--db', db).code).toBe(1);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    copyFileSync(join(dir, 'backup-2.sqlite'), db);
    const list = emma('list', '--db', db, '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).total).toBe(500);
  }, 120_000);
});
