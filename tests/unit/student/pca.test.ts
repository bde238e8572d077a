import { describe, expect, it } from 'vitest';
import { fitWhitening, whitenRows } from '../../../native-models/student/pca.js';
import { symEig } from '../../../native-models/student/texture.js';
import { Rng } from '../../../native-models/util/rng.js';

/** rows x D samples with independent latent factors of known spread along random orthonormal directions, plus noise. */
function synthetic(rows: number, D: number, spreads: number[], seed = 3): Float32Array {
  const rng = new Rng(seed);
  const dirs = spreads.map(() => Float64Array.from({ length: D }, () => rng.normal()));
  dirs.forEach((d, k) => {
    for (let j = 0; j < k; j++) {
      let p = 0;
      for (let i = 0; i < D; i++) p += d[i] * dirs[j][i];
      for (let i = 0; i < D; i++) d[i] -= p * dirs[j][i];
    }
    let n = 0;
    for (let i = 0; i < D; i++) n += d[i] * d[i];
    for (let i = 0; i < D; i++) d[i] /= Math.sqrt(n);
  });
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < D; i++) out[r * D + i] = 5 + 0.01 * rng.normal();
    spreads.forEach((s, k) => {
      const f = s * rng.normal();
      for (let i = 0; i < D; i++) out[r * D + i] += f * dirs[k][i];
    });
  }
  return out;
}

function covariance(x: Float32Array, rows: number, D: number): Float64Array {
  const mean = new Float64Array(D);
  for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) mean[i] += x[r * D + i] / rows;
  const c = new Float64Array(D * D);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c[i * D + j] += ((x[r * D + i] - mean[i]) * (x[r * D + j] - mean[j])) / rows;
  return c;
}

describe('fitWhitening (PCA by subspace iteration in onnxruntime)', () => {
  it('finds the leading variances of an exact eigen-decomposition', async () => {
    const rows = 300;
    const D = 40;
    const x = synthetic(rows, D, [9, 6, 4, 3, 2, 1.5]);
    const w = await fitWhitening(x, rows, D, 4, { seed: 1 });
    const { values } = symEig(covariance(x, rows, D), D);
    const exact = Array.from(values)
      .sort((a, b) => b - a)
      .slice(0, 4);
    expect(w.dims).toBe(4);
    w.variances.forEach((v, k) => expect(Math.abs(v - exact[k]) / exact[k]).toBeLessThan(1e-3));
  });

  it('whitened coordinates have unit variance and no correlation before the row scaling', async () => {
    const rows = 400;
    const D = 30;
    const x = synthetic(rows, D, [10, 5, 2, 1], 9);
    const w = await fitWhitening(x, rows, D, 4, { seed: 2 });
    // Project without the unit-row step: rows · projection after centring.
    const z = new Float64Array(rows * 4);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += (x[r * D + i] - w.mean[i]) * w.projection[i * 4 + c];
        z[r * 4 + c] = s;
      }
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += (z[r * 4 + a] * z[r * 4 + b]) / rows;
        expect(Math.abs(s - (a === b ? 1 : 0))).toBeLessThan(1e-2);
      }
    }
    const u = whitenRows(w, x, rows);
    for (let r = 0; r < rows; r++) {
      let n = 0;
      for (let c = 0; c < 4; c++) n += u[r * 4 + c] ** 2;
      expect(n).toBeCloseTo(1, 5);
    }
  });

  it('is deterministic for a seed and refuses a table of the wrong size', async () => {
    const x = synthetic(100, 20, [4, 2, 1]);
    const a = await fitWhitening(x, 100, 20, 2, { seed: 5 });
    const b = await fitWhitening(x, 100, 20, 2, { seed: 5 });
    expect(Array.from(a.projection)).toEqual(Array.from(b.projection));
    await expect(fitWhitening(x, 99, 20, 2)).rejects.toThrow(/99x20/);
  });

  it("overwrite centres the caller's buffer in place and gives the same components", async () => {
    const x = synthetic(120, 16, [5, 3, 1]);
    const copy = x.slice();
    const a = await fitWhitening(x, 120, 16, 3, { seed: 4 });
    expect(Array.from(x)).toEqual(Array.from(copy));
    const b = await fitWhitening(copy, 120, 16, 3, { seed: 4, overwrite: true });
    expect(Array.from(b.projection)).toEqual(Array.from(a.projection));
    expect(Math.abs(copy[0] - (x[0] - a.mean[0]))).toBeLessThan(1e-6);
  });
});
