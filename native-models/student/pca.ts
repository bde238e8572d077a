// Principal components of a feature table, for the memory's whitened similarity.
// Cosine similarity on raw standardised stem features is dominated by a few strongly correlated directions
// (neighbouring pyramid levels, an atom's mean and max); PCA-whitening to the leading components weighs every
// direction of variation alike, which is what nearest-neighbour retrieval on few images needs.
// Randomised subspace iteration: the two big products (Z·Q and Zᵀ·Y) run as one onnxruntime MatMul graph
// (multi-threaded), the small orthonormalisation and Rayleigh–Ritz steps in JS.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../graph/builder.js';
import { writeModel } from '../onnx/writer.js';
import { openSession, type SessionConfig } from '../runtime/session.js';
import { Rng } from '../util/rng.js';
import { symEig } from './texture.js';

export interface Whitening {
  /** Components kept. */
  readonly dims: number;
  /** [D] mean subtracted first. */
  readonly mean: Float32Array;
  /** [D, dims] row-major: projection onto the components, each column scaled by 1/sqrt(its variance). */
  readonly projection: Float32Array;
  /** Variance of each kept component, largest first. */
  readonly variances: Float32Array;
}

/** Modified Gram–Schmidt on the r columns of a [D, r] row-major matrix, in place. */
function orthonormalize(q: Float32Array, D: number, r: number): void {
  const col = new Float64Array(D);
  for (let k = 0; k < r; k++) {
    for (let i = 0; i < D; i++) col[i] = q[i * r + k];
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < k; j++) {
        let d = 0;
        for (let i = 0; i < D; i++) d += col[i] * q[i * r + j];
        for (let i = 0; i < D; i++) col[i] -= d * q[i * r + j];
      }
    }
    let n = 0;
    for (let i = 0; i < D; i++) n += col[i] * col[i];
    const inv = n > 1e-24 ? 1 / Math.sqrt(n) : 0;
    for (let i = 0; i < D; i++) q[i * r + k] = col[i] * inv;
  }
}

/**
 * Leading `dims` principal components of rows [rows, D] (centred here), as a whitening projection.
 * Deterministic for a given seed. `iters` subspace iterations with `oversample` extra vectors.
 */
export async function fitWhitening(
  data: Float32Array,
  rows: number,
  D: number,
  dims: number,
  o: {
    iters?: number;
    oversample?: number;
    seed?: number;
    session?: SessionConfig;
    /** Centre `data` in place instead of copying it. */ overwrite?: boolean;
  } = {},
): Promise<Whitening> {
  if (data.length !== rows * D) throw new Error(`whitening: expected ${rows}x${D} values`);
  const k = Math.max(1, Math.min(dims, rows - 1, D));
  const r = Math.min(D, rows, k + (o.oversample ?? 16));
  const mean = new Float32Array(D);
  for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) mean[j] += data[i * D + j];
  for (let j = 0; j < D; j++) mean[j] /= rows;
  const z = o.overwrite ? data : new Float32Array(rows * D);
  for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) z[i * D + j] = data[i * D + j] - mean[j];

  // One graph computes Zᵀ(Z·Q): the covariance (times rows) applied to Q without forming it.
  const g = new GraphBuilder();
  const zIn = g.input('z', [rows, D]);
  const qIn = g.input('q', [D, r]);
  g.output(g.matmul(g.transpose(zIn, [1, 0]), g.matmul(zIn, qIn)), 'cq');
  const open = await openSession(writeModel(g), o.session);
  const zT = new ort.Tensor('float32', z, [rows, D]);
  const apply = async (q: Float32Array): Promise<Float32Array> =>
    (await open.session.run({ z: zT, q: new ort.Tensor('float32', q, [D, r]) })).cq.data as Float32Array;
  try {
    const rng = new Rng(o.seed ?? 1);
    let q = Float32Array.from({ length: D * r }, () => rng.normal());
    orthonormalize(q, D, r);
    for (let it = 0; it < (o.iters ?? 6); it++) {
      q = Float32Array.from(await apply(q));
      orthonormalize(q, D, r);
    }
    // Rayleigh–Ritz: B = Qᵀ C Q (r x r), its eigenvectors rotate Q onto the components.
    const cq = await apply(q);
    const b = new Float64Array(r * r);
    for (let i = 0; i < D; i++)
      for (let a = 0; a < r; a++) {
        const qa = q[i * r + a];
        for (let c = 0; c < r; c++) b[a * r + c] += qa * cq[i * r + c];
      }
    for (let a = 0; a < r; a++) for (let c = a + 1; c < r; c++) b[a * r + c] = b[c * r + a] = (b[a * r + c] + b[c * r + a]) / 2;
    const { values, vectors } = symEig(b, r);
    const order = Array.from(values.keys())
      .sort((x, y) => values[y] - values[x])
      .slice(0, k);
    const variances = Float32Array.from(order, (i) => Math.max(values[i], 0) / rows);
    // Regularise the smallest directions so noise-level components cannot dominate the distance.
    const floor = 1e-6 * (variances[0] || 1);
    const projection = new Float32Array(D * k);
    for (let i = 0; i < D; i++) {
      for (let c = 0; c < k; c++) {
        const e = order[c];
        let v = 0;
        for (let a = 0; a < r; a++) v += q[i * r + a] * vectors[a * r + e];
        projection[i * k + c] = v / Math.sqrt(variances[c] + floor);
      }
    }
    return { dims: k, mean, projection, variances };
  } finally {
    await open.session.release();
  }
}

/** Projects rows [rows, D] to [rows, dims] whitened coordinates, each row scaled to unit length (cosine space). */
export function whitenRows(w: Whitening, data: Float32Array, rows: number): Float32Array {
  const D = w.mean.length;
  const k = w.dims;
  const out = new Float32Array(rows * k);
  const acc = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let j = 0; j < D; j++) {
      const v = data[i * D + j] - w.mean[j];
      if (v === 0) continue;
      const p = j * k;
      for (let c = 0; c < k; c++) acc[c] += v * w.projection[p + c];
    }
    let n = 0;
    for (let c = 0; c < k; c++) n += acc[c] * acc[c];
    const inv = 1 / Math.sqrt(n + 1e-12);
    for (let c = 0; c < k; c++) out[i * k + c] = acc[c] * inv;
  }
  return out;
}
