// The classifier's PCA (whitened memory space, projected head input): saved and loaded with the version,
// invariant to flips and rotations of the query (D4 symmetry survives), and versions saved before it still classify.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyFeatures, DEFAULT_HEAD, loadStudent, nearest, saveStudent, trainClassifier } from '../../../native-models/student/classifier.js';
import { d4Views, DEFAULT_STEM, featureSize, learnStem, StemExtractor, type GreyImage } from '../../../native-models/student/texture.js';
import { Rng } from '../../../native-models/util/rng.js';

const cfg = { ...DEFAULT_STEM, atoms: 4, levels: 3 };
const N = 40;
/** Two textures: horizontal stripes or blobs, with noise; class 0 / 1. */
function image(cls: number, seed: number): GreyImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(N * N);
  const period = 4 + rng.int(3);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const base = cls === 0 ? (Math.floor(y / period) % 2) * 120 : Math.hypot((x % 10) - 5, (y % 10) - 5) < 3 ? 120 : 0;
      data[y * N + x] = Math.max(0, Math.min(255, 60 + base + 30 * rng.normal()));
    }
  }
  return { data, width: N, height: N };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('whitened memory', () => {
  it('round-trips through the version files, is D4-invariant, and an old manifest without whitening still classifies', async () => {
    const imgs = Array.from({ length: 16 }, (_, i) => image(i % 2, 100 + i));
    const labels = Int32Array.from(imgs.map((_, i) => i % 2));
    const stem = learnStem(imgs, cfg, 1, 800);
    const ex = new StemExtractor(stem);
    const D = featureSize(cfg);
    try {
      const feats = await ex.extractAll(imgs);
      const opts = { ...DEFAULT_HEAD, hidden: 16, steps: 40, batch: 16, knnWhiten: 12, headPca: 10 };
      const c = await trainClassifier(feats, labels, ['stripes', 'blobs'], cfg, opts);
      expect(c.whitening?.dims).toBe(12);
      expect(c.memory.length).toBe(16 * 12);
      expect(c.head.projection?.dims).toBe(10);

      const queries = await ex.extractAll([image(0, 900), image(1, 901)]);
      const p = await classifyFeatures(c, cfg, queries, 2);
      expect(p.probs[0]).toBeGreaterThan(0.5);
      expect(p.probs[3]).toBeGreaterThan(0.5);
      // A rotated/mirrored query (its features permuted) gets the same probabilities.
      const views = d4Views(queries.subarray(0, D), 1, cfg);
      for (let h = 1; h < 8; h++) {
        const ph = await classifyFeatures(c, cfg, views.slice(h * D, (h + 1) * D), 1);
        expect(ph.probs[0]).toBeCloseTo(p.probs[0], 4);
      }

      const dir = mkdtempSync(join(tmpdir(), 'emma-whiten-'));
      dirs.push(dir);
      saveStudent(
        dir,
        stem,
        c,
        imgs.map((_, i) => `img${i}`),
      );
      const loaded = loadStudent(dir);
      expect(loaded.classifier.whitening?.dims).toBe(12);
      expect(loaded.classifier.head.projection?.dims).toBe(10);
      expect(Array.from(loaded.classifier.head.projection!.matrix)).toEqual(Array.from(c.head.projection!.matrix));
      const p2 = await classifyFeatures(loaded.classifier, cfg, queries, 2, loaded.headOnnx);
      Array.from(p.probs).forEach((v, i) => expect(p2.probs[i]).toBeCloseTo(v, 5));
      expect(nearest(loaded.classifier, feats.subarray(0, D), 1)[0]).toMatchObject({ index: 0 });

      // A version saved before PCA: raw standardised memory and head input, no PCA files or options.
      const oldDir = mkdtempSync(join(tmpdir(), 'emma-whiten-old-'));
      dirs.push(oldDir);
      const plain = await trainClassifier(feats, labels, ['stripes', 'blobs'], cfg, { ...opts, knnWhiten: 0, headPca: 0 });
      expect(plain.whitening).toBeUndefined();
      expect(plain.head.projection).toBeUndefined();
      saveStudent(
        oldDir,
        stem,
        plain,
        imgs.map((_, i) => `img${i}`),
      );
      const m = JSON.parse(readFileSync(join(oldDir, 'student.json'), 'utf8'));
      expect(m.files.whitening).toBeUndefined();
      expect(m.files.headProjection).toBeUndefined();
      delete m.options.knnWhiten;
      delete m.options.headPca;
      writeFileSync(join(oldDir, 'student.json'), JSON.stringify(m));
      const oldLoaded = loadStudent(oldDir);
      expect(oldLoaded.classifier.whitening).toBeUndefined();
      expect(oldLoaded.classifier.head.projection).toBeUndefined();
      expect(oldLoaded.classifier.memory.length).toBe(16 * D);
      const p3 = await classifyFeatures(oldLoaded.classifier, cfg, queries, 2, oldLoaded.headOnnx);
      expect(p3.probs[0]).toBeGreaterThan(0.5);
      expect(p3.probs[3]).toBeGreaterThan(0.5);
    } finally {
      await ex.close();
    }
  });

  it('fits the PCA on an evenly spaced sample of a large library (more than 512 images) and still classifies', async () => {
    const D = featureSize(cfg);
    const n = 700;
    const rng = new Rng(8);
    // Two classes of synthetic non-negative features differing in their first block.
    const feats = new Float32Array(n * D);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let j = 0; j < D; j++) feats[i * D + j] = Math.abs(rng.normal()) * (j < 64 && labels[i] === 1 ? 3 : 1);
    }
    const c = await trainClassifier(feats, labels, ['a', 'b'], cfg, { ...DEFAULT_HEAD, hidden: 0, steps: 20, batch: 32, knnWhiten: 8, headPca: 16 });
    expect(c.whitening?.dims).toBe(8);
    expect(c.head.projection?.dims).toBe(16);
    expect(c.memory.length).toBe(n * 8);
    const p = await classifyFeatures(c, cfg, feats.subarray(0, 4 * D), 4);
    for (let i = 0; i < 4; i++) expect(p.probs[i * 2 + (i % 2)]).toBeGreaterThan(0.5);
  });
});
