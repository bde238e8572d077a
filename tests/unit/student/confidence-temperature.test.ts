// Temperature scaling of the classifier's confidence: fitted on held-out labels, it lowers the negative
// log-likelihood of an overconfident model, leaves a calibrated one near 1, never changes a row's ranking, and
// travels with the version's files (a manifest without it classifies as before).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classifyFeatures,
  DEFAULT_HEAD,
  fitConfidenceTemperature,
  loadStudent,
  saveStudent,
  temper,
  trainClassifier,
} from '../../../native-models/student/classifier.js';
import { DEFAULT_STEM, featureSize, type Stem } from '../../../native-models/student/texture.js';
import { Rng } from '../../../native-models/util/rng.js';

/** n rows over C classes whose true class has probability `hit` when the top class is right (`acc` of the time). */
function synthetic(n: number, C: number, acc: number, top: number, seed: number): { probs: Float32Array; labels: number[] } {
  const rng = new Rng(seed);
  const probs = new Float32Array(n * C);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const truth = rng.int(C);
    const predicted = rng.next() < acc ? truth : (truth + 1 + rng.int(C - 1)) % C;
    for (let j = 0; j < C; j++) probs[i * C + j] = j === predicted ? top : (1 - top) / (C - 1);
    labels.push(truth);
  }
  return { probs, labels };
}

const nll = (probs: Float32Array, labels: number[], C: number) => -labels.reduce((s, y, i) => s + Math.log(probs[i * C + y]), 0) / labels.length;

describe('confidence temperature', () => {
  it('an overconfident model (97% shown, 70% right) gets T > 1 and a lower NLL; a calibrated one stays near 1', () => {
    const over = synthetic(400, 4, 0.7, 0.97, 1);
    const T = fitConfidenceTemperature(over.probs, over.labels, 4);
    expect(T).toBeGreaterThan(1.5);
    const tempered = temper(Float32Array.from(over.probs), 4, T);
    expect(nll(tempered, over.labels, 4)).toBeLessThan(nll(over.probs, over.labels, 4));
    const calibrated = synthetic(400, 4, 0.7, 0.7, 2);
    expect(fitConfidenceTemperature(calibrated.probs, calibrated.labels, 4)).toBeGreaterThan(0.8);
    expect(fitConfidenceTemperature(calibrated.probs, calibrated.labels, 4)).toBeLessThan(1.25);
    expect(fitConfidenceTemperature(over.probs.subarray(0, 5 * 4), over.labels.slice(0, 5), 4)).toBe(1); // too few to fit
  });

  it('tempering keeps every row summing to 1 and its order', () => {
    const { probs } = synthetic(50, 5, 0.6, 0.9, 3);
    const rng = new Rng(4);
    for (let i = 0; i < probs.length; i++) probs[i] *= 0.5 + rng.next();
    for (let o = 0; o < probs.length; o += 5) {
      const s = probs.subarray(o, o + 5).reduce((a, b) => a + b, 0);
      for (let j = 0; j < 5; j++) probs[o + j] /= s;
    }
    const before = Float32Array.from(probs);
    temper(probs, 5, 2.5);
    for (let o = 0; o < probs.length; o += 5) {
      expect(probs.subarray(o, o + 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const order = (a: Float32Array) =>
        [...a.subarray(o, o + 5)]
          .map((v, j) => [v, j])
          .sort((x, y) => y[0] - x[0])
          .map((x) => x[1]);
      expect(order(probs)).toEqual(order(before));
    }
  });

  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is saved with the version and applied by classifyFeatures; a manifest without it classifies untempered', async () => {
    const cfg = { ...DEFAULT_STEM, atoms: 4, levels: 2 };
    const D = featureSize(cfg);
    const rng = new Rng(5);
    const feats = Float32Array.from({ length: 12 * D }, () => rng.next());
    const labels = Int32Array.from({ length: 12 }, (_, i) => i % 2);
    const stem: Stem = { config: cfg, bank: new Float32Array(cfg.atoms * 8 * cfg.patch * cfg.patch) };
    const c = await trainClassifier(feats, labels, ['a', 'b'], cfg, { ...DEFAULT_HEAD, hidden: 8, steps: 10, batch: 12, knnWhiten: 0, headPca: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'emma-temperature-'));
    dirs.push(dir);
    saveStudent(
      dir,
      stem,
      { ...c, confidenceTemperature: 3 },
      Array.from({ length: 12 }, (_, i) => `sha${i}`),
    );
    const loaded = loadStudent(dir);
    expect(loaded.classifier.confidenceTemperature).toBe(3);
    const hot = (await classifyFeatures(loaded.classifier, cfg, feats, 12, loaded.headOnnx)).probs;
    const manifestPath = join(dir, 'student.json');
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    delete m.confidenceTemperature;
    writeFileSync(manifestPath, JSON.stringify(m));
    const plain = loadStudent(dir);
    expect(plain.classifier.confidenceTemperature).toBeUndefined();
    const cold = (await classifyFeatures(plain.classifier, cfg, feats, 12, plain.headOnnx)).probs;
    expect(temper(Float32Array.from(cold), 2, 3)).toEqual(hot);
    expect(cold).not.toEqual(hot);
  });
});
