// Masks drawn in the image view (issue 13, point 2): the editor's starting labels and saving them through the
// API (size and data-bar rows checked, provenance "drawn in Emma by ..."), on a real Zeiss SEM file and a real
// database; a saved mask is one the segmenter's training reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { loadMask, maskedImageIds } from '../../main/core/measure/masks.js';
import { trainSegmenterInto } from '../../main/core/measure/train-segmenter.js';
import { labArguments } from '../../main/server/auth/guard.js';
import { hasSharedData, sharedData, tempDir } from '../support/paths.js';
import { labelsFromBytes, labelsToBytes } from '../../renderer/src/viewer/mask/maskOps.js';

describe.skipIf(!hasSharedData)('mask editing through the API', () => {
  let t: { dir: string; cleanup: () => void };
  let core: CoreInternals;
  let id: number;
  beforeAll(async () => {
    t = tempDir();
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    await core.importNow({ paths: [join(sharedData, 'sem-tiff', 'sem', '1908248.tif')] });
    id = (core.db.prepare(`SELECT id FROM images`).get() as { id: number }).id;
  });
  afterAll(async () => {
    await core?.close();
    t?.cleanup();
  });

  it('starts from the measurement when the image has no mask, with the data bar rows named', async () => {
    const m = await core.api.getEditableMask(id);
    expect(m).toMatchObject({ imageId: id, width: 1024, height: 768, source: 'measured', savedAt: null });
    expect(m.specimenRows).toBeGreaterThan(700);
    expect(m.specimenRows).toBeLessThan(768);
    const labels = labelsFromBytes(m.labels, 1024 * 768);
    expect(new Set(labels).size - 1).toBe(m.particles);
    expect(m.particles).toBeGreaterThan(50);
    expect(labels.subarray(m.specimenRows * 1024).every((v) => v === 0)).toBe(true);
  });

  it('saves an edited mask with provenance, refuses a wrong size, bar pixels or an empty mask', async () => {
    const m = await core.api.getEditableMask(id);
    const labels = labelsFromBytes(m.labels, 1024 * 768);
    // One hand-drawn square particle over whatever was there.
    for (let y = 100; y < 150; y++) for (let x = 200; x < 250; x++) labels[y * 1024 + x] = 60000;
    const req = { imageId: id, width: 1024, height: 768, labels: labelsToBytes(labels), by: 'Ada' };

    await expect(core.call('saveImageMask', [{ ...req, width: 1000 }])).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid_mask', message: expect.stringMatching(/mask is 1000x768, image 1908248\.tif is 1024x768/) },
    });
    const inBar = labels.slice();
    inBar[(m.specimenRows + 2) * 1024 + 10] = 5;
    await expect(core.call('saveImageMask', [{ ...req, labels: labelsToBytes(inBar) }])).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid_mask', message: expect.stringMatching(/data bar/) },
    });
    await expect(core.call('saveImageMask', [{ ...req, labels: new Uint8Array(2 * 1024 * 768) }])).resolves.toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/no particles/) },
    });
    expect(maskedImageIds(core.db)).toEqual([]);

    const saved = await core.api.saveImageMask(req);
    expect(saved).toMatchObject({ imageId: id, replaced: false, provenance: 'drawn in Emma by Ada' });
    const stored = loadMask(core.db, id)!;
    expect(stored).toMatchObject({ kind: 'drawn', importedBy: 'Ada', sourcePath: null, width: 1024, height: 768, particles: saved.particles });
    // Renumbered 1..n; the square is one particle of exactly its pixels.
    const sq = stored.labels[120 * 1024 + 220];
    expect(sq).toBeGreaterThan(0);
    expect(sq).toBeLessThanOrEqual(saved.particles);
    expect(stored.labels.filter((v) => v === sq).length).toBe(2500);
    // The segmenter's training reads every stored mask.
    expect(maskedImageIds(core.db)).toEqual([id]);

    const again = await core.api.getEditableMask(id);
    expect(again).toMatchObject({ source: 'stored', provenance: 'drawn in Emma by Ada', particles: saved.particles });
    expect((await core.api.getEditableMask(id, 'measured')).source).toBe('measured');
  });

  it('a drawn mask is training data for the segmenter', async () => {
    // Runs after the save above: the one drawn mask is what the segmenter learns from.
    const out = await trainSegmenterInto(core.db, join(t.dir, 'seg'));
    expect(out.images).toBe(1);
    expect(out.note).toMatch(/one masked image/);
  });

  it('names the signed-in user in lab-server mode, whatever the client sent', async () => {
    const args = await labArguments(
      'saveImageMask',
      [{ imageId: id, width: 2, height: 1, labels: new Uint8Array(4), by: 'someone else' }],
      { id: 1, name: 'grace', role: 'operator' } as never,
      {} as never,
    );
    expect((args[0] as { by: string }).by).toBe('grace');
  });
});
