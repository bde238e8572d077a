// The pixel classifier's MLP in ONNX Runtime. In plain JavaScript the two MLP stages over a 1024×768 frame
// were ~1.7 s of the measurement (scalar loops, strided reads); ORT's CPU GEMM does the same in tens of ms.
// One small graph per MLP over fixed blocks of pixels, so one session serves every image size: input
// feature-major [nf, BLOCK] (the layout computeFeatures writes), output class-major [3, BLOCK].
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, openSession, writeModel, type OpenSession } from '../../../native-models/index.js';
import type { Mlp } from './pixel-model.js';

const BLOCK = 1 << 15;
const CLASSES = 3;

/** The graph's weights: the input standardisation folded into the first layer. */
export function foldStandardisation(m: Mlp): { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array } {
  const nf = m.featureMean.length;
  const H = m.hidden;
  const w1 = new Float32Array(H * nf);
  const b1 = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let b = m.b1[j];
    for (let q = 0; q < nf; q++) {
      const w = m.w1[j * nf + q] / m.featureStd[q];
      w1[j * nf + q] = w;
      b -= w * m.featureMean[q];
    }
    b1[j] = b;
  }
  return { w1, b1, w2: Float32Array.from(m.w2), b2: Float32Array.from(m.b2) };
}

function buildGraph(m: Mlp): Uint8Array {
  const nf = m.featureMean.length;
  const H = m.hidden;
  const W = foldStandardisation(m);
  const g = new GraphBuilder();
  const x = g.input('features', [nf, BLOCK]);
  const w1 = g.constant({ dtype: 'float32', shape: [H, nf], data: W.w1 }, 'w1');
  const b1 = g.constant({ dtype: 'float32', shape: [H, 1], data: W.b1 }, 'b1');
  const w2 = g.constant({ dtype: 'float32', shape: [CLASSES, H], data: W.w2 }, 'w2');
  const b2 = g.constant({ dtype: 'float32', shape: [CLASSES, 1], data: W.b2 }, 'b2');
  const hidden = g.relu(g.gemm(w1, x, b1));
  g.output(g.softmax(g.gemm(w2, hidden, b2), 0), 'probabilities');
  return writeModel(g);
}

// Sessions by weights: a model read again from disk, or sent to a worker, is a new object with the same numbers.
const sessions = new Map<string, Promise<OpenSession>>();
const MAX_SESSIONS = 6;

function weightsKey(m: Mlp): string {
  // A digest of the exact numbers: a 32-bit hash could let two segmenters in one process share a session.
  const h = createHash('sha256');
  for (const arr of [m.w1, m.b1, m.w2, m.b2, m.featureMean, m.featureStd]) {
    const f = Float64Array.from(arr);
    h.update(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
    h.update('|');
  }
  return `${m.featureMean.length}:${m.hidden}:${h.digest('hex')}`;
}

function sessionFor(m: Mlp): Promise<OpenSession> {
  const key = weightsKey(m);
  let s = sessions.get(key);
  if (!s) {
    // CPU, one thread: measurement runs in the inference pool, one worker per core already.
    s = openSession(buildGraph(m), { providers: ['cpu'], threads: 1 });
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
    while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  } else {
    sessions.delete(key);
    sessions.set(key, s);
  }
  return s;
}

/** Opens (and caches) the MLP's session ahead of the first image, e.g. when a segmenter is loaded. */
export async function prepareMlp(m: Mlp): Promise<void> {
  await sessionFor(m);
}

/**
 * Class probabilities of one MLP over n pixels, class-major: out[c * n + i]. The input planes are feature-major
 * and may come in several arrays (the filter bank, then the auto-context planes), read in that order: the
 * second stage needs no concatenated copy of the whole bank.
 */
export async function applyMlpOnnx(m: Mlp, planes: Float32Array | readonly Float32Array[], n: number): Promise<Float32Array> {
  const nf = m.featureMean.length;
  const parts = Array.isArray(planes) ? (planes as readonly Float32Array[]) : [planes as Float32Array];
  const counts = parts.map((p) => Math.floor(p.length / n));
  if (counts.reduce((a, b) => a + b, 0) < nf) throw new RangeError(`features: ${counts.join('+')} planes of ${n} pixels for an MLP over ${nf}`);
  const { session } = await sessionFor(m);
  const out = new Float32Array(CLASSES * n);
  const block = new Float32Array(nf * BLOCK);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const len = Math.min(BLOCK, n - i0);
    if (len < BLOCK) block.fill(0);
    let q = 0;
    for (let k = 0; k < parts.length && q < nf; k++) {
      for (let p = 0; p < counts[k] && q < nf; p++, q++) block.set(parts[k].subarray(p * n + i0, p * n + i0 + len), q * BLOCK);
    }
    const res = await session.run({ features: new ort.Tensor('float32', block, [nf, BLOCK]) });
    const prob = res.probabilities.data as Float32Array;
    for (let c = 0; c < CLASSES; c++) out.set(prob.subarray(c * BLOCK, c * BLOCK + len), c * n + i0);
  }
  return out;
}
