// Point 3 of issue 12 with the real command: `kill -9` of `emma train` mid-run. The next open marks the run failed
// with the reason and removes its files; the version that was active stays active and still classifies.
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);
const bin = join(repoRoot, 'bin', 'emma.mjs');

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function trainingRow(db: string): number | null {
  try {
    const raw = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (raw.prepare(`SELECT id FROM model_versions WHERE status = 'training'`).pluck().get() as number | undefined) ?? null;
    } finally {
      raw.close();
    }
  } catch {
    return null; // busy for a moment: ask again
  }
}

describe('kill -9 during emma train (issue 12, point 3)', () => {
  it.skipIf(!hasSharedData)(
    'leaves no version "training"; the active version stays active and usable',
    async () => {
      const t = tempDir();
      try {
        const db = join(t.dir, 'emma.sqlite');
        expect(emma('import', join(sharedData, 'nffa'), '--labels-from-folders', '--db', db, '--json').code).toBe(0);
        const first = emma('train', '--preset', 'fast', '--db', db, '--json');
        expect(first.code, first.stderr).toBe(0);
        expect(JSON.parse(first.stdout)).toMatchObject({ modelVersion: 1, activated: true });

        const child = spawn(process.execPath, [bin, 'train', '--preset', 'fast', '--db', db, '--json'], { cwd: repoRoot, stdio: 'ignore' });
        const exited = new Promise((r) => child.once('exit', r));
        let id: number | null = null;
        for (let i = 0; i < 3000 && id === null && child.exitCode === null; i++) {
          id = trainingRow(db);
          if (id === null) await new Promise((r) => setTimeout(r, 10));
        }
        expect(id, 'the second run never showed as training').not.toBeNull();
        await new Promise((r) => setTimeout(r, 300)); // into the run (stem, features)
        child.kill('SIGKILL');
        await exited;
        expect(child.signalCode).toBe('SIGKILL');
        expect(trainingRow(db)).toBe(id); // what the bug left behind: 'training' with nobody training it

        const models = emma('models', '--db', db, '--json');
        expect(models.code, models.stderr).toBe(0);
        const versions = JSON.parse(models.stdout).versions as { id: number; status: string; active: boolean; error: string | null }[];
        expect(versions.find((v) => v.id === id)).toMatchObject({ status: 'failed', active: false });
        // `emma train` runs as a job (as the app's Train does): the version names its job, which names the dead process.
        expect(versions.find((v) => v.id === id)!.error).toMatch(
          new RegExp(`^interrupted: its training job #\\d+ ended \\(failed: interrupted: its process \\(pid ${child.pid} on .+\\) is gone`),
        );
        expect(versions.find((v) => v.id === 1)).toMatchObject({ status: 'completed', active: true });
        expect(existsSync(join(t.dir, 'models', `v${id}`))).toBe(false);
        expect(existsSync(join(t.dir, 'models', 'v1'))).toBe(true);
        const sample = readdirSync(join(sharedData, 'nffa', 'Particles'))
          .slice(0, 2)
          .map((f) => join(sharedData, 'nffa', 'Particles', f));
        const r = emma('classify', ...sample, '--db', db, '--json');
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ modelVersion: 1, results: [expect.anything(), expect.anything()] });
      } finally {
        t.cleanup();
      }
    },
    180_000,
  );
});
