// Train with masks and no class labels: the segmenter alone, as a version of its own, used by measurement,
// compared with the one in use on the next run. Synthetic particle images written as PNG files (known truth),
// a real database file, the real training path (trainStudent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { encodeLabelPng } from '../../main/core/measure/mask-file.js';
import { activeSegmenter } from '../../main/core/measure/segmenter-store.js';
import { trainStudent } from '../../main/core/student/service.js';
import { tempDir } from '../support/paths.js';
import { discScene, rng } from '../unit/measure/synthetic.js';

function scene(seed: number) {
  const rand = rng(seed);
  const discs: { cx: number; cy: number; r: number }[] = [];
  for (let gy = 0; gy < 3; gy++)
    for (let gx = 0; gx < 3; gx++) {
      const r = 7 + rand() * 6;
      discs.push({ cx: 35 + gx * 65, cy: 28 + gy * 52, r });
      if ((gx + gy) % 2 === 0) discs.push({ cx: 35 + gx * 65 + (r + 9) * 0.95, cy: 28 + gy * 52, r: 9 });
    }
  return discScene(200, 160, discs, seed);
}

describe('segmenter training from masks only', () => {
  let t: { dir: string; cleanup: () => void };
  let core: CoreInternals;
  beforeAll(async () => {
    t = tempDir();
    const img = join(t.dir, 'images');
    const masks = join(t.dir, 'masks');
    mkdirSync(img);
    mkdirSync(masks);
    for (const seed of [1, 2, 3, 4]) {
      const s = scene(seed);
      await sharp(Buffer.from(s.gray), { raw: { width: 200, height: 160, channels: 1 } })
        .png()
        .toFile(join(img, `p${seed}.png`));
      writeFileSync(join(masks, `p${seed}.png`), encodeLabelPng(s.labels, 200, 160));
    }
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    await core.importNow({ paths: [img] });
    const r = await core.api.importMasks(masks);
    expect(r.failed).toEqual([]);
    expect(r.imported).toHaveLength(4);
  });
  afterAll(async () => {
    await core?.close();
    t?.cleanup();
  });

  it('trains the segmenter alone and says so; measurement then uses it; activation as a student is refused', async () => {
    const o = await trainStudent(core.db, { dataDir: core.location.dataDir, worker: false });
    expect(o.note).toMatch(/segmenter only: .*no class labels/);
    expect(o.classes).toEqual([]);
    expect(o.activated).toBe(false);
    expect(o.segmenter).toMatchObject({ images: 4, heldOut: 1, kept: 'new', previousScore: null });
    expect(o.segmenter!.newScore!.f1).toBeGreaterThan(0.7);
    expect(existsSync(o.segmenter!.path)).toBe(true);
    const seg = await activeSegmenter(core.db);
    expect(seg?.version).toBe(`v${o.modelVersion}`);
    const id = (core.db.prepare(`SELECT id FROM images ORDER BY id LIMIT 1`).get() as { id: number }).id;
    const m = await core.api.measureImage(id);
    expect(m.segmenter).toEqual({ kind: 'learnt', modelVersion: `v${o.modelVersion}` });
    expect(m.method).toMatch(/learnt pixel classifier/);
    expect(m.calibrated).toBe(false);
    expect(m.particles.ecdNm).toBeNull();
    expect(m.particles.ecdPx.n).toBe(m.particles.count);
    await expect(core.api.activateModelVersion(o.modelVersion)).rejects.toThrow(/only the particle segmenter/);

    // The next run is compared with the one in use on the same held-out masks, and keeps the better one.
    const o2 = await trainStudent(core.db, { dataDir: core.location.dataDir, worker: false });
    expect(o2.segmenter!.previousScore?.version).toBe(`v${o.modelVersion}`);
    expect(['new', 'previous']).toContain(o2.segmenter!.kept);
    expect((await activeSegmenter(core.db))?.version).toBe(`v${o2.modelVersion}`);
  }, 300_000);

  it('startMeasure measures a selection as a job with progress and a per-image summary', async () => {
    const ids = (core.db.prepare(`SELECT id FROM images ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
    const job = await core.api.startMeasure([...ids, 9999]);
    let info = await core.api.getJob(job.id);
    for (let i = 0; i < 600 && (info.state === 'running' || info.state === 'queued'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await core.api.getJob(job.id);
    }
    expect(info.state).toBe('done');
    const res = info.result as { results: { imageId: number; count: number; ecdUnit: string }[]; failed: { imageId: number; error: string }[] };
    expect(res.results.map((r) => r.imageId)).toEqual(ids);
    expect(res.results.every((r) => r.count > 0 && r.ecdUnit === 'px')).toBe(true);
    expect(res.failed).toEqual([{ imageId: 9999, error: 'No image with id 9999.' }]);
  }, 120_000);
});
