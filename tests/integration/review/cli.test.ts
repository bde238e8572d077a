// `emma review export|stats` as a script would use them: a real process on a real database file.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCore } from '../../../main/core/api.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

describe.skipIf(!hasSharedData)('emma review CLI', () => {
  it('exports the reviewed set and prints stats, both as JSON', async () => {
    const t = tempDir();
    try {
      const db = join(t.dir, 'emma.sqlite');
      const core = createCore({ dbPath: db, mode: 'test' });
      await core.importNow({ paths: [join(sharedData, 'uhcs')], labelsFromFolders: false });
      const ids = (await core.api.listImages({ offset: 0, limit: 6 })).items.map((i) => i.id);
      await core.api.saveTaxonomyClass({ name: 'pearlite', description: '' });
      await core.api.saveTaxonomyClass({ name: 'spheroidite', description: '' });
      await core.api.assignLabels({ imageIds: ids.slice(0, 4), className: 'pearlite', reviewer: 'mei' });
      await core.api.assignLabels({ imageIds: ids.slice(2, 6), className: 'spheroidite', reviewer: 'okafor' });
      await core.close();

      const stats = emma('review', 'stats', '--db', db, '--json');
      expect(stats.code, stats.stderr).toBe(0);
      const s = JSON.parse(stats.stdout);
      expect(s.reviewedImages).toBe(6);
      expect(s.kappa).toEqual([expect.objectContaining({ a: 'mei', b: 'okafor', n: 2 })]);
      const text = emma('review', 'stats', '--db', db);
      expect(text.stdout).toMatch(/kappa mei vs okafor/);

      const out = join(t.dir, 'out.csv');
      const r = emma('review', 'export', '--format', 'csv', '--out', out, '--db', db, '--json');
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout);
      expect(info).toMatchObject({ format: 'csv', images: 6, classes: { pearlite: 2, spheroidite: 4 } });
      expect(existsSync(out)).toBe(true);
      expect(readFileSync(out, 'utf8').trimEnd().split('\r\n')).toHaveLength(7);
      const tree = emma('review', 'export', '--format', 'imagefolder', '--out', join(t.dir, 'tree'), '--class', 'pearlite', '--link', 'hardlink', '--db', db);
      expect(tree.code, tree.stderr).toBe(0);
      expect(tree.stdout).toMatch(/2 images/);
      const bad = emma('review', 'export', '--format', 'zip', '--out', out, '--db', db);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--format must be one of/);
      const again = emma('review', 'export', '--format', 'csv', '--out', out, '--db', db);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/exists/);
    } finally {
      t.cleanup();
    }
  });
});
