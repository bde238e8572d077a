// Issue 12, point 6 with the real command: paths that are not regular files (a FIFO, /dev/zero) fail at once with
// the reason instead of hanging; what a folder walk passes over (hidden files and folders, non-images, FIFOs) is
// listed as skipped with why; the exit code is non-zero when nothing was imported and something failed.
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../../support/paths.js';

const bin = join(repoRoot, 'bin', 'emma.mjs');
let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

function emma(...args: string[]) {
  // Bounded: before the fix a FIFO or /dev/zero made the import wait forever.
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 45_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const canFifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

async function png(path: string, seed: number): Promise<void> {
  const px = Buffer.alloc(64 * 48);
  for (let i = 0; i < px.length; i++) px[i] = ((i + seed) * 2654435761) >>> 24;
  await sharp(px, { raw: { width: 64, height: 48, channels: 1 } })
    .png()
    .toFile(path);
}

describe('emma import on what is not a regular image file (issue 12, point 6)', () => {
  it.skipIf(!canFifo)('a FIFO or /dev/zero given as a path fails at once, with the reason; exit 1 when nothing came in', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const fifo = join(t.dir, 'pipe.tif');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const db = join(t.dir, 'emma.sqlite');
    const r = emma('import', fifo, '/dev/zero', '--db', db, '--json');
    expect(r.signal, 'the import hung').toBeNull();
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.imported).toBe(0);
    expect(report.failed).toEqual([
      { path: fifo, error: 'not a regular file: a FIFO (named pipe); only image files and folders can be imported' },
      { path: '/dev/zero', error: 'not a regular file: a character device; only image files and folders can be imported' },
    ]);
  });

  it.skipIf(!canFifo)('a folder walk lists hidden files and folders, non-images and FIFOs as skipped, with why', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dir = join(t.dir, 'batch');
    mkdirSync(join(dir, '.thumbs'), { recursive: true });
    await png(join(dir, 'a.png'), 1);
    await png(join(dir, '.hidden.png'), 2);
    await png(join(dir, '.thumbs', 'b.png'), 3);
    writeFileSync(join(dir, 'readme.txt'), 'notes');
    writeFileSync(join(dir, 'Makefile'), 'all:');
    expect(spawnSync('mkfifo', [join(dir, 'stream.tif')]).status).toBe(0);
    const db = join(t.dir, 'emma.sqlite');
    const r = emma('import', dir, '--db', db, '--json');
    expect(r.signal, 'the import hung').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ imported: 1, duplicates: 0, failed: [] });
    expect(report.skipped).toEqual([
      { path: join(dir, '.hidden.png'), reason: 'hidden file' },
      { path: join(dir, '.thumbs'), reason: 'hidden folder (not walked)' },
      { path: join(dir, 'Makefile'), reason: 'not an image file (no extension)' },
      { path: join(dir, 'readme.txt'), reason: 'not an image file (extension .txt)' },
      { path: join(dir, 'stream.tif'), reason: 'not a regular file: a FIFO (named pipe)' },
    ]);
    const human = emma('import', dir, '--db', db);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/imported 0, duplicates 1, failed 0, skipped 5\n/);
    expect(human.stdout).toContain(`  skipped: ${join(dir, 'stream.tif')}: not a regular file: a FIFO (named pipe)`);
  });

  it('exit code: 1 when every file failed, 0 when something was imported or nothing failed', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = join(t.dir, 'emma.sqlite');
    const bad = join(t.dir, 'bad.png');
    writeFileSync(bad, 'not a png');
    const allBad = emma('import', bad, join(t.dir, 'missing.tif'), '--db', db, '--json');
    expect(allBad.code).toBe(1);
    expect(JSON.parse(allBad.stdout).failed).toHaveLength(2);
    await png(join(t.dir, 'good.png'), 4);
    expect(emma('import', bad, join(t.dir, 'good.png'), '--db', db, '--json').code).toBe(0);
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    expect(emma('import', empty, '--db', db, '--json').code).toBe(0);
    expect(existsSync(db)).toBe(true);
  });
});
