// Masks import and measurement on the real Zeiss TiO2 SEM files (../shared/data/sem-tiff): a real database file,
// the API as the app calls it, and `emma measure --mask-out` as an operator's script calls it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { encodeLabelPng } from '../../main/core/measure/mask-file.js';
import { importMasks } from '../../main/core/measure/masks.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);
const sem = join(sharedData, 'sem-tiff', 'sem');
const masks = join(sharedData, 'sem-tiff', 'masks');

describe.skipIf(!hasSharedData)('particle masks and measurement on sem-tiff', () => {
  let t: { dir: string; cleanup: () => void };
  let core: CoreInternals;
  const dbPath = () => join(t.dir, 'emma.sqlite');
  beforeAll(async () => {
    t = tempDir();
    core = createCore({ dbPath: dbPath(), mode: 'test' });
    await core.importNow({ paths: [join(sem, '1908248.tif'), join(sem, '1908250.tif')] });
  });
  afterAll(async () => {
    await core?.close();
    t?.cleanup();
  });

  it('imports masks by file stem, with a clear reason for every file it cannot use', async () => {
    const dir = join(t.dir, 'masks');
    mkdirSync(dir);
    symlinkSync(join(masks, '1908248_m.tif'), join(dir, '1908248_m.tif'));
    writeFileSync(join(dir, '1908250.png'), encodeLabelPng(new Uint16Array(100 * 50), 100, 50)); // wrong size
    writeFileSync(join(dir, 'unknown_m.png'), encodeLabelPng(new Uint16Array(16), 4, 4)); // no such image
    writeFileSync(join(dir, 'notes.txt'), 'not a mask');
    const r = await core.api.importMasks(dir);
    expect(r.imported).toHaveLength(1);
    // 4-connected components over 5 px of the authors' mask, data bar rows included in the file (all 0 there).
    expect(r.imported[0]).toMatchObject({ particles: 126, replaced: false });
    expect(r.failed.map((f) => f.error).join('\n')).toMatch(/mask is 100x50, image .*1908250\.tif is 1024x768/);
    expect(r.failed.map((f) => f.error).join('\n')).toMatch(/no library image named unknown/);
    expect(r.skipped).toEqual(['notes.txt']);
  });

  it('emma masks import runs as a job: per-file progress in its jobs row, the same report as importMasks', async () => {
    const dir = join(t.dir, 'masks');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), 'masks', 'import', dir, '--db', dbPath(), '--json'], {
      encoding: 'utf8',
      cwd: repoRoot,
      timeout: 120_000,
    });
    // Exit 1: the folder holds files that cannot be used (reported), as in the test above.
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.imported).toHaveLength(1);
    expect(report.imported[0]).toMatchObject({ particles: 126, replaced: true });
    expect(report.failed).toHaveLength(2);
    expect(report.skipped).toEqual(['notes.txt']);
    const job = core.db.prepare(`SELECT state, progress_json FROM jobs WHERE kind = 'masks' ORDER BY id DESC LIMIT 1`).get() as
      { state: string; progress_json: string } | undefined;
    expect(job?.state).toBe('done');
    expect(JSON.parse(job!.progress_json)).toMatchObject({ done: 4, total: 4 });
    // A missing folder fails the job with the reason (and stores nothing).
    let failed = await core.api.startMaskImport(join(t.dir, 'no-such-folder'));
    for (let i = 0; i < 100 && (failed.state === 'running' || failed.state === 'queued'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      failed = (await core.api.getJob(failed.id))!;
    }
    expect(failed).toMatchObject({ kind: 'masks', state: 'failed' });
    expect(failed.error).toMatch(/no-such-folder: no such folder/);
  });

  it('a cancelled mask import stops between files and keeps what it stored', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    // Cancelled while the second file (sorted: 1908248_m.tif, 1908250.png, notes.txt, unknown_m.png) is read.
    const r = await importMasks(core.db, join(t.dir, 'masks'), 'test', {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done === 1) controller.abort();
      },
    });
    expect(seen).toEqual([0, 1]);
    expect(r.imported.map((m) => m.particles)).toEqual([126]);
    expect(r.failed).toHaveLength(1);
    expect(r.skipped).toEqual([]);
  });

  it('measureImage: calibrated ECD distribution, edge-cut particles excluded, data bar named, no lines', async () => {
    const id = (core.db.prepare(`SELECT id FROM images WHERE file_name = '1908248.tif'`).get() as { id: number }).id;
    const r = await core.api.measureImage(id);
    expect(r.calibrated).toBe(true);
    expect(r.pixelSizeNm).toBeCloseTo(7.344, 3);
    expect(r.dataBar!.y).toBeGreaterThan(700);
    expect(r.segmenter.kind).toBe('classical');
    expect(r.method).toMatch(/classical default \(no training\)/);
    expect(r.particles.count).toBeGreaterThan(50);
    expect(r.particles.items.filter((p) => p.touchesEdge)).toHaveLength(r.particles.excludedAtEdge);
    expect(r.particles.ecdNm!.n).toBe(r.particles.count);
    // The mask's median ECD is 189.9 nm (whole particles); the classical default is known to merge touching ones.
    expect(r.particles.ecdNm!.median!).toBeGreaterThan(150);
    expect(r.particles.ecdNm!.median!).toBeLessThan(260);
    expect(r.lines).toBeNull();
    expect(r.linesReason).toMatch(/direction|periodic/);
    await expect(core.api.measureImage(99999)).rejects.toThrow(/No image with id 99999/);
  });

  it('emma measure --mask-out writes a 16-bit label PNG of the image size with the data bar rows 0', async () => {
    const out = join(t.dir, 'labels');
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'emma.mjs'), 'measure', join(sem, '1908250.tif'), '--db', dbPath(), '--mask-out', out, '--json'],
      {
        encoding: 'utf8',
        cwd: repoRoot,
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const res = json.results[0];
    expect(Object.keys(res)).toEqual(expect.arrayContaining(['path', 'pixelSizeNm', 'dataBar', 'method', 'particles', 'lines']));
    expect(Object.keys(res.particles.ecdNm).sort()).toEqual(['mean', 'median', 'n', 'p10', 'p90', 'sd']);
    const png = join(out, '1908250.png');
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ width: 1024, height: 768, depth: 'ushort', channels: 1 });
    const raw = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    const v = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
    let max = 0;
    let barNonZero = 0;
    const labels = new Set<number>();
    for (let i = 0; i < v.length; i++) {
      if (v[i] > max) max = v[i];
      if (v[i]) labels.add(v[i]);
      if (i >= res.dataBar.y * 1024 && v[i]) barNonZero++;
    }
    expect(barNonZero).toBe(0);
    expect(labels.size).toBe(res.particles.count + res.particles.excludedAtEdge);
    expect(max).toBe(labels.size);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});
