// The `emma` command as an operator's script would use it: real process, real database file, --json on stdout.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

describe('emma CLI', () => {
  it('prints usage and fails on an unknown command', () => {
    const r = emma('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    expect(r.stderr).toMatch(/emma import/);
  });

  it.skipIf(!hasSharedData)('info --json gives the Zeiss calibration in the documented units', () => {
    const r = emma('info', join(sharedData, 'sem-tiff', 'sem', '1908248.tif'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(Object.keys(info).sort()).toEqual(
      ['bitDepth', 'dataBar', 'detector', 'height', 'instrument', 'kV', 'magnification', 'pixelSizeNm', 'width', 'workingDistanceMm'].sort(),
    );
    expect(info).toMatchObject({ width: 1024, height: 768, magnification: 50000, detector: expect.stringMatching(/InLens/i) });
    expect(info.pixelSizeNm).toBeCloseTo(7.344, 3);
    expect(info.kV).toBeCloseTo(20, 3);
    expect(info.workingDistanceMm).toBeCloseTo(2.8, 2);
    expect(info.dataBar.y).toBeGreaterThan(700);
    expect(info.dataBar.y).toBeLessThan(720);
  });

  it.skipIf(!hasSharedData)('info on an FEI TIFF converts metres to nm/px and mm', () => {
    const info = JSON.parse(emma('info', join(sharedData, 'sem-tiff', 'vendors', 'FEI-Helios-Ebeam-16bits.tif'), '--json').stdout);
    expect(info.bitDepth).toBe(16);
    expect(info.pixelSizeNm).toBeCloseTo(3372.4, 1);
    expect(info.kV).toBeCloseTo(5, 3);
    expect(info.workingDistanceMm).toBeCloseTo(4.03, 2);
    expect(info.dataBar).toEqual({ y: 442, height: 29 });
  });

  it('info on a missing or corrupt file fails with a clear message', () => {
    const r = emma('info', '/nonexistent/image.tif', '--json');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/emma: .*image\.tif/);
  });

  it.skipIf(!hasSharedData)('import --json then list --json on the same database', () => {
    const t = tempDir();
    try {
      const db = join(t.dir, 'lab.sqlite');
      const imp = emma('import', join(sharedData, 'nffa'), '--labels-from-folders', '--db', db, '--json');
      expect(imp.code, imp.stderr).toBe(0);
      expect(JSON.parse(imp.stdout)).toEqual({ imported: 9, duplicates: 0, failed: [], skipped: [] });
      const again = JSON.parse(emma('import', join(sharedData, 'nffa'), '--db', db, '--json').stdout);
      expect(again).toEqual({ imported: 0, duplicates: 9, failed: [], skipped: [] });
      const list = JSON.parse(emma('list', '--db', db, '--json').stdout);
      expect(list.total).toBe(9);
      expect(new Set(list.images.map((i: { label: string }) => i.label))).toEqual(new Set(['Nanowires', 'Particles']));
    } finally {
      t.cleanup();
    }
  });
});
