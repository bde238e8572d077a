// Segmentation on synthetic scenes with known instances: the image ops, the classical default, the learnt
// pixel classifier (trained on one scene, scored on another it never saw), and the scoring itself.
import { describe, expect, it } from 'vitest';
import { segmentClassical } from '../../../main/core/measure/classical.js';
import { scoreSegmentation } from '../../../main/core/measure/evaluate.js';
import { distanceTransform, gaussianBlur, hMaximaMarkers, labelComponents, otsuThreshold, regionalMaxima, watershed } from '../../../main/core/measure/ops.js';
import { applyMlp, instancesFromProbabilities, parsePixelModel, segmentWithModel, trainPixelModel, type Mlp } from '../../../main/core/measure/pixel-model.js';
import { applyMlpOnnx } from '../../../main/core/measure/mlp-onnx.js';
import { measureParticles } from '../../../main/core/measure/particles.js';
import { discScene, rng } from './synthetic.js';

function scene(seed: number, w = 200, h = 160) {
  const rand = rng(seed);
  const discs: { cx: number; cy: number; r: number }[] = [];
  // Pairs of touching discs and single ones, radii 7..13 px.
  for (let gy = 0; gy < 3; gy++) {
    for (let gx = 0; gx < 3; gx++) {
      const r1 = 7 + rand() * 6;
      const cx = 35 + gx * 65;
      const cy = 28 + gy * 52;
      discs.push({ cx, cy, r: r1 });
      if ((gx + gy + seed) % 2 === 0) {
        const r2 = 7 + rand() * 6;
        const a = rand() * Math.PI;
        const d = (r1 + r2) * 0.92;
        discs.push({ cx: cx + d * Math.cos(a), cy: cy + d * Math.sin(a) * 0.5, r: r2 });
      }
    }
  }
  return { ...discScene(w, h, discs, seed), discs, w, h };
}

describe('image ops', () => {
  it('distance transform: exact Euclidean distances to the background', () => {
    const w = 9;
    const h = 9;
    const fg = new Uint8Array(w * h).fill(1);
    fg[4 * w + 4] = 0;
    const d = distanceTransform(fg, w, h);
    expect(d[4 * w + 4]).toBe(0);
    expect(d[4 * w + 7]).toBeCloseTo(3, 6);
    expect(d[7 * w + 8]).toBeCloseTo(5, 6); // (3, 4) away
  });

  it('Otsu splits a bimodal histogram between the modes; 4- vs 8-connectivity', () => {
    const v = [...Array(100).fill(40), ...Array(50).fill(200)];
    const t = otsuThreshold(v);
    expect(t).toBeGreaterThan(40);
    expect(t).toBeLessThan(200);
    const fg = Uint8Array.from([1, 0, 0, 1]);
    expect(labelComponents(fg, 2, 2, 4).count).toBe(2);
    expect(labelComponents(fg, 2, 2, 8).count).toBe(1);
  });

  it('watershed from two markers splits a dumbbell at its neck', () => {
    const w = 40;
    const h = 20;
    const fg = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if ((x - 10) ** 2 + (y - 10) ** 2 < 64 || (x - 29) ** 2 + (y - 10) ** 2 < 64) fg[y * w + x] = 1;
      }
    const d = distanceTransform(fg, w, h);
    const markers = new Int32Array(w * h);
    markers[10 * w + 10] = 1;
    markers[10 * w + 29] = 2;
    const elev = d.map((v) => -v);
    const ws = watershed(elev, markers, fg, w, h);
    expect(ws[10 * w + 5]).toBe(1);
    expect(ws[10 * w + 34]).toBe(2);
    for (let i = 0; i < fg.length; i++) expect(ws[i] > 0).toBe(fg[i] === 1);
  });
});

describe('regional maxima and their dynamics', () => {
  it('a small disc against a large one: a low rise in pixels, a large one for its height', () => {
    const [w, h] = [60, 40];
    const fg = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) if ((x - 20) ** 2 + (y - 20) ** 2 < 15 ** 2 || (x - 39) ** 2 + (y - 20) ** 2 < 5 ** 2) fg[y * w + x] = 1;
    const d = distanceTransform(fg, w, h);
    const maxima = regionalMaxima(d, fg, w, h).filter((m) => m.dynamic > 0.5);
    expect(maxima).toHaveLength(2);
    const [big, small] = maxima.sort((a, b) => b.peak - a.peak);
    expect(big.dynamic).toBe(Infinity);
    expect(big.peak).toBeCloseTo(15, 0);
    expect(small.peak).toBeGreaterThan(4);
    expect(small.peak).toBeLessThan(6);
    // The small disc stands under 5 px above the neck but over a third of its own height.
    expect(small.dynamic).toBeLessThan(5);
    expect(small.dynamic / small.peak).toBeGreaterThan(0.3);
  });

  it('the relative rule gives a small particle against a large one its own instance; the absolute rule alone does not', () => {
    const [w, h] = [60, 40];
    const n = w * h;
    const probs = new Float32Array(3 * n);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const inside = (x - 20) ** 2 + (y - 20) ** 2 < 15 ** 2 || (x - 39) ** 2 + (y - 20) ** 2 < 5 ** 2;
        probs[y * w + x] = inside ? 0 : 1; // background
        probs[n + y * w + x] = inside ? 1 : 0; // interior
      }
    const post = { fgThreshold: 0.5, coreThreshold: 0.5, h: 4, minArea: 10 };
    const count = (labels: Int32Array) => new Set(labels.filter((v) => v > 0)).size;
    expect(count(instancesFromProbabilities(probs, w, h, post))).toBe(1);
    const split = instancesFromProbabilities(probs, w, h, { ...post, relativeH: 0.3 });
    expect(count(split)).toBe(2);
    expect(split[20 * w + 20]).not.toBe(split[20 * w + 40]);
  });

  it('the interior-crest rule gives a small particle lying on a large one its own instance; a textured one stays whole', () => {
    // The small disc lies inside the large one's outline: the distance map has no maximum for it, only P(interior)
    // dips on its rim (the boundary between the two), as the pixel classifier predicts there.
    const [w, h] = [60, 40];
    const n = w * h;
    const probs = new Float32Array(3 * n);
    const textured = new Float32Array(3 * n);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const big = (x - 20) ** 2 + (y - 20) ** 2 < 15 ** 2;
        const rim = Math.hypot(x - 28, y - 20);
        const contact = big && rim >= 4 && rim < 6.5;
        probs[i] = big ? 0 : 1;
        probs[n + i] = big ? (contact ? 0.4 : 1) : 0;
        probs[2 * n + i] = contact ? 0.6 : 0;
        // One particle whose interior probability only ripples (texture), by 0.2 at most.
        textured[i] = big ? 0 : 1;
        textured[n + i] = big ? 0.8 + 0.1 * Math.sin(x / 2) * Math.cos(y / 2) : 0;
      }
    const post = { fgThreshold: 0.5, coreThreshold: 0.2, h: 4, minArea: 10, relativeH: 0.3 };
    const count = (labels: Int32Array) => new Set(labels.filter((v) => v > 0)).size;
    expect(count(instancesFromProbabilities(probs, w, h, post))).toBe(1);
    const split = instancesFromProbabilities(probs, w, h, { ...post, coreDynamic: 0.25 });
    expect(count(split)).toBe(2);
    expect(split[20 * w + 28]).not.toBe(split[20 * w + 12]);
    expect(count(instancesFromProbabilities(textured, w, h, { ...post, coreDynamic: 0.25 }))).toBe(1);
  });

  it('the maxima with dynamic >= h are the h-maxima (random smooth maps)', () => {
    const rand = rng(3);
    const [w, h] = [64, 48];
    for (let t = 0; t < 5; t++) {
      const f0 = new Float32Array(w * h).map(() => rand() * 10);
      const f = gaussianBlur(f0, w, h, 2);
      const region = new Uint8Array(w * h).fill(1);
      const maxima = regionalMaxima(f, region, w, h, 4096);
      for (const hh of [0.05, 0.2, 0.5]) {
        expect(maxima.filter((m) => m.dynamic >= hh).length).toBe(hMaximaMarkers(f, region, w, h, hh).count);
      }
    }
  });
});

describe('segmenters on synthetic particles', () => {
  it('the classical default separates touching discs and sizes them', () => {
    const s = scene(3);
    const lab = segmentClassical(s.gray, s.w, s.h, s.h);
    const sc = scoreSegmentation(lab, s.labels, s.w, s.h);
    expect(sc.imageIoU).toBeGreaterThan(0.85);
    expect(sc.f1).toBeGreaterThan(0.8);
    const truth = measureParticles(s.labels, s.w, s.h, s.h, null);
    const got = measureParticles(lab, s.w, s.h, s.h, null);
    const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
    expect(Math.abs(med(got.map((p) => p.ecd)) - med(truth.map((p) => p.ecd)))).toBeLessThan(2);
  });

  it('the learnt segmenter, trained on two scenes, segments an unseen one; it survives JSON', async () => {
    const train = [scene(1), scene(2)].map((s) => ({ gray: s.gray, width: s.w, areaHeight: s.h, labels: s.labels, pixelSizeNm: 5 }));
    const model = await trainPixelModel(train, { epochs: 3, samplesPerClassPerImage: 1500, seed: 7 });
    const copy = parsePixelModel(JSON.parse(JSON.stringify(model)));
    const test = scene(5);
    const lab = await segmentWithModel(copy, test.gray, test.w, test.h, test.h, 5);
    const sc = scoreSegmentation(lab, test.labels, test.w, test.h);
    expect(sc.imageIoU).toBeGreaterThan(0.85);
    expect(sc.f1).toBeGreaterThan(0.8);
    expect(() => parsePixelModel({ ...model, w1: [1, 2, 3] })).toThrow(/not an Emma pixel-classifier/);
    expect(() => parsePixelModel({ ...model, post: { ...model.post, relativeH: 5 } })).toThrow(/not an Emma pixel-classifier/);
    expect(() => parsePixelModel({ ...model, post: { ...model.post, coreDynamic: 1.5 } })).toThrow(/not an Emma pixel-classifier/);
    // A segmenter saved before the interior-crest rule (no coreDynamic) still loads, and keeps its own rules.
    const { coreDynamic: _unused, ...older } = model.post;
    expect(parsePixelModel({ ...model, post: older }).post.coreDynamic).toBeUndefined();
  });

  it('the ONNX Runtime MLP the product runs gives the TypeScript reference probabilities, across block edges', async () => {
    const rand = rng(11);
    const nf = 7;
    const hidden = 5;
    const r = (k: number, s = 1) => Array.from({ length: k }, () => (rand() - 0.5) * 2 * s);
    const mlp: Mlp = {
      featureMean: r(nf),
      featureStd: r(nf).map((v) => 0.5 + Math.abs(v)),
      hidden,
      w1: r(hidden * nf),
      b1: r(hidden),
      w2: r(3 * hidden, 2),
      b2: r(3),
    };
    // More pixels than one ORT block (2^15), not a multiple of it: the padded last block must not leak.
    const n = 70_001;
    const feats = Float32Array.from({ length: nf * n }, () => (rand() - 0.5) * 4);
    const want = applyMlp(mlp, feats, n);
    const got = await applyMlpOnnx(mlp, feats, n);
    expect(got.length).toBe(3 * n);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    // A different model with the same shapes must not reuse the first one's session.
    const other = { ...mlp, b2: [5, -5, 0] };
    const got2 = await applyMlpOnnx(other, feats, n);
    const want2 = applyMlp(other, feats, n);
    expect(Math.abs(got2[n - 1] - want2[n - 1])).toBeLessThan(1e-5);
    expect(Math.abs(got2[n - 1] - got[n - 1])).toBeGreaterThan(1e-3);
  });

  it('scoring: a perfect prediction scores 1, an empty one 0', () => {
    const s = scene(4);
    expect(scoreSegmentation(s.labels, s.labels, s.w, s.h)).toMatchObject({ imageIoU: 1, f1: 1 });
    const none = scoreSegmentation(new Int32Array(s.w * s.h), s.labels, s.w, s.h);
    expect(none.imageIoU).toBe(0);
    expect(none.f1).toBe(0);
  });
});
