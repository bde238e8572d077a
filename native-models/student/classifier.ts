// The student's image classifier = texture stem (fixed, learned without labels) + a trained MLP head
// + a nearest-neighbour memory over the same features, averaged. The head learns what separates the
// classes; the memory recognises images close to reviewed ones (the "similar images" of the UI too).
// Flips and 90-degree rotations are handled exactly: they permute stem channels (texture.ts d4Views),
// so training sees all 8 views of each image and prediction averages over them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildInference } from '../train/graphs.js';
import { writeModel } from '../onnx/writer.js';
import { openSession, type OpenSession, type Provider, type SessionConfig } from '../runtime/session.js';
import { runTraining, type StepReport, type TrainResult, type TrainSpec } from '../runtime/train-loop.js';
import { startTraining } from '../runtime/trainer.js';
import { FeatureHead, type HeadConfig } from './head.js';
import { fitWhitening, whitenRows, type Whitening } from './pca.js';
import { d4Views, featureSize, patchSizes, shiftLevels, type Stem, type StemConfig } from './texture.js';

export interface HeadOptions {
  hidden: number;
  steps: number;
  batch: number;
  lr: number;
  weightDecay: number;
  labelSmoothing: number;
  seed: number;
  /** Nearest-neighbour memory: neighbours, softmax temperature on cosine similarity, weight in the average. */
  knnK: number;
  knnTemperature: number;
  knnWeight: number;
  /**
   * Memory similarity: cosine in the space of this many leading principal components, each scaled to unit
   * variance (PCA-whitened); 0 or absent = cosine on the standardised features (versions before whitening).
   */
  knnWhiten?: number;
  /** The head's input: this many principal components of the standardised features; 0 or absent = all features. */
  headPca?: number;
  /** Scale augmentation: pyramid-level shifts (half octaves) added to the training views. */
  levelShifts: number[];
}

export const DEFAULT_HEAD: HeadOptions = {
  hidden: 512,
  steps: 1200,
  batch: 64,
  lr: 2e-3,
  weightDecay: 0.05,
  labelSmoothing: 0.1,
  seed: 1,
  knnK: 5,
  knnTemperature: 0.05,
  knnWeight: 0.75,
  knnWhiten: 64,
  headPca: 128,
  levelShifts: [0],
};

export interface TrainedClassifier {
  readonly head: HeadConfig;
  readonly params: Float32Array;
  /**
   * The memory images (identity view), unit rows [count, memoryDim]: whitened coordinates when `whitening` is
   * set, else the standardised sqrt-features (memoryDim = D).
   */
  readonly memory: Float32Array;
  readonly whitening?: Whitening;
  readonly memoryLabels: Int32Array;
  readonly options: HeadOptions;
  readonly provider: Provider;
  readonly status: 'completed' | 'cancelled';
  readonly steps: number;
  /**
   * Confidence temperature T: the probabilities shown are p^(1/T), renormalised (fitConfidenceTemperature, on images
   * the model did not train on). The class ranking, and so every prediction, is unchanged. Absent: 1.
   */
  readonly confidenceTemperature?: number;
}

export interface HeadTrainHooks {
  onStep?(r: StepReport): void;
  isCancelled?(): boolean;
  /** Run session.run() in a worker thread (the app); in-thread is fine for CLIs and benchmarks. */
  worker?: boolean;
  /** Cancels a worker run; set by trainHead when worker is true. */
  registerCancel?(cancel: () => void): void;
  session?: SessionConfig;
}

function sqrtStats(views: Float32Array, rows: number, D: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(D);
  const sq = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      const v = Math.sqrt(Math.max(views[r * D + j], 0) + 1e-8);
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const m = new Float32Array(D);
  const s = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    m[j] = mean[j] / rows;
    s[j] = Math.sqrt(Math.max(sq[j] / rows - m[j] * m[j], 0)) + 1e-3;
  }
  return { mean: m, std: s };
}

function standardizeRows(feats: Float32Array, rows: number, mean: ArrayLike<number>, std: ArrayLike<number>, unitRows = true): Float32Array {
  const D = mean.length;
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let j = 0; j < D; j++) {
      const v = (Math.sqrt(Math.max(feats[r * D + j], 0) + 1e-8) - mean[j]) / std[j];
      out[r * D + j] = v;
      n += v * v;
    }
    if (!unitRows) continue;
    const inv = 1 / Math.sqrt(n + 1e-12);
    for (let j = 0; j < D; j++) out[r * D + j] *= inv;
  }
  return out;
}

/** Images whose 8 views the PCA is fitted on, at most. */
const PCA_MAX_IMAGES = 512;

export async function trainClassifier(
  feats: Float32Array,
  labels: Int32Array,
  classNames: readonly string[],
  stem: StemConfig,
  o: HeadOptions = DEFAULT_HEAD,
  hooks: HeadTrainHooks = {},
): Promise<TrainedClassifier> {
  const D = featureSize(stem);
  const n = labels.length;
  if (feats.length !== n * D) throw new Error(`features: expected ${n}x${D}`);
  const shifts = o.levelShifts.length ? o.levelShifts : [0];
  const views0 = d4Views(feats, n, stem);
  const { mean, std } = sqrtStats(views0, n * 8, D);
  const views = new Float32Array(views0.length * shifts.length);
  shifts.forEach((s, k) => views.set(s === 0 ? views0 : shiftLevels(views0, n * 8, stem, s), k * views0.length));
  const viewLabels = new Int32Array(n * 8 * shifts.length);
  for (let k = 0; k < shifts.length; k++) for (let i = 0; i < n; i++) viewLabels.fill(labels[i], (k * n + i) * 8, (k * n + i) * 8 + 8);
  // One PCA serves both: the memory's whitened space (leading knnWhiten components) and the head's input
  // (leading headPca components, variances kept). Fitted on all 8 views so both keep the D4 symmetry.
  const dims = Math.max(o.knnWhiten ?? 0, o.headPca ?? 0);
  let pca: Whitening | undefined;
  if (dims > 0) {
    // A large library: the components from an evenly spaced sample of images (all 8 views each), so the PCA's
    // time and memory stay bounded (4608 floats x 8 views per image).
    const m = Math.min(n, PCA_MAX_IMAGES);
    let sample = views0;
    if (m < n) {
      sample = new Float32Array(m * 8 * D);
      for (let k = 0; k < m; k++) {
        const i = Math.floor((k * n) / m);
        sample.set(views0.subarray(i * 8 * D, (i + 1) * 8 * D), k * 8 * D);
      }
    }
    const z = standardizeRows(sample, m * 8, mean, std, false);
    pca = await fitWhitening(z, m * 8, D, dims, { seed: o.seed, session: hooks.session, overwrite: true });
  }
  const whitening = pca && (o.knnWhiten ?? 0) > 0 ? leading(pca, o.knnWhiten!) : undefined;
  const head: HeadConfig = {
    features: D,
    hidden: o.hidden,
    classes: classNames.length,
    labelSmoothing: o.labelSmoothing,
    mean: Array.from(mean),
    std: Array.from(std),
    labels: [...classNames],
    ...(pca && (o.headPca ?? 0) > 0 ? { projection: headProjection(pca, o.headPca!) } : {}),
  };
  const spec: TrainSpec = {
    model: { arch: 'student-head', config: head },
    data: { images: views, labels: viewLabels, channels: 1, height: 1, width: D },
    batch: o.batch,
    steps: o.steps,
    seed: o.seed,
    schedule: { kind: 'cosine', lr: o.lr, warmupSteps: Math.min(50, Math.floor(o.steps / 10)) },
    optimizer: { weightDecay: o.weightDecay },
    session: hooks.session,
  };
  let result: TrainResult;
  if (hooks.worker) {
    const job = startTraining(spec, { onProgress: (r) => hooks.onStep?.(r) });
    hooks.registerCancel?.(() => job.cancel());
    result = await job.result;
  } else {
    result = await runTraining(spec, { onStep: hooks.onStep, isCancelled: hooks.isCancelled });
  }
  return {
    head,
    params: result.params,
    memory: memoryRows(feats, n, head, whitening),
    memoryLabels: labels.slice(),
    ...(whitening ? { whitening } : {}),
    options: o,
    provider: result.provider,
    status: result.status,
    steps: result.step,
  };
}

/** The first k components of a whitening (columns of its projection). */
function leading(w: Whitening, k: number): Whitening {
  const D = w.mean.length;
  const dims = Math.min(k, w.dims);
  const projection = new Float32Array(D * dims);
  for (let i = 0; i < D; i++) for (let c = 0; c < dims; c++) projection[i * dims + c] = w.projection[i * w.dims + c];
  return { dims, mean: w.mean, projection, variances: w.variances.slice(0, dims) };
}

/** The head's projection: the first k principal axes with their variances kept, scaled to unit mean variance. */
function headProjection(w: Whitening, k: number): NonNullable<HeadConfig['projection']> {
  const D = w.mean.length;
  const dims = Math.min(k, w.dims);
  const floor = 1e-6 * (w.variances[0] || 1);
  let meanVar = 0;
  for (let c = 0; c < dims; c++) meanVar += w.variances[c] / dims;
  const matrix = new Float32Array(D * dims);
  for (let c = 0; c < dims; c++) {
    // whitening column = axis / sqrt(var + floor); back to the axis, then one common scale.
    const s = Math.sqrt(w.variances[c] + floor) / Math.sqrt(meanVar || 1);
    for (let i = 0; i < D; i++) matrix[i * dims + c] = w.projection[i * w.dims + c] * s;
  }
  return { dims, mean: w.mean, matrix };
}

/** Rows of the memory's similarity space (unit length) for stem features [rows, D]. */
function memoryRows(feats: Float32Array, rows: number, head: HeadConfig, whitening: Whitening | undefined): Float32Array {
  if (!whitening) return standardizeRows(feats, rows, head.mean!, head.std!);
  return whitenRows(whitening, standardizeRows(feats, rows, head.mean!, head.std!, false), rows);
}

function memoryDim(c: TrainedClassifier): number {
  return c.whitening ? c.whitening.dims : c.head.features;
}

/** Batch size of the exported head graph (the last chunk is padded). */
const HEAD_BATCH = 8;

export interface Probabilities {
  /** [count, classes] row-major. */
  readonly probs: Float32Array;
  readonly classes: number;
  readonly provider: Provider;
}

/** Class probabilities for stem features [count, D]: mean over the 8 D4 views of the head, mixed with the memory vote. */
export async function classifyFeatures(
  c: TrainedClassifier,
  stem: StemConfig,
  feats: Float32Array,
  count: number,
  headOnnx?: Uint8Array | string,
  session?: SessionConfig,
  /** A head session the caller keeps open across calls (not released here); else one is opened for this call. */
  opened?: OpenSession,
): Promise<Probabilities> {
  const D = featureSize(stem);
  const C = c.head.classes;
  const views = d4Views(feats, count, stem);
  const open = opened ?? (await openSession(headOnnx ?? headModelBytes(c), session));
  const headP = new Float32Array(count * C);
  try {
    const buf = new Float32Array(HEAD_BATCH * D);
    for (let r = 0; r < count * 8; r += HEAD_BATCH) {
      const k = Math.min(HEAD_BATCH, count * 8 - r);
      buf.fill(0);
      buf.set(views.subarray(r * D, (r + k) * D));
      const out = await open.session.run({ image: new ort.Tensor('float32', buf, [HEAD_BATCH, 1, 1, D]) });
      const logits = out.logits.data as Float32Array;
      for (let i = 0; i < k; i++) {
        const row = logits.subarray(i * C, (i + 1) * C);
        const p = softmax(row);
        const img = Math.floor((r + i) / 8);
        for (let j = 0; j < C; j++) headP[img * C + j] += p[j] / 8;
      }
    }
  } finally {
    if (!opened) await open.session.release();
  }
  const w = c.options.knnWeight;
  if (w <= 0 || c.memoryLabels.length === 0) return { probs: temper(headP, C, c.confidenceTemperature ?? 1), classes: C, provider: open.provider };
  const q = memoryRows(views, count * 8, c.head, c.whitening);
  const E = memoryDim(c);
  const probs = new Float32Array(count * C);
  const M = c.memoryLabels.length;
  for (let i = 0; i < count; i++) {
    // An image matches a memory image by its best-aligned view (the memory holds identity views only).
    const sims = new Float32Array(M).fill(-Infinity);
    for (let v = 0; v < 8; v++) {
      const qv = q.subarray((i * 8 + v) * E, (i * 8 + v + 1) * E);
      for (let m = 0; m < M; m++) {
        let s = 0;
        const mv = c.memory.subarray(m * E, (m + 1) * E);
        for (let j = 0; j < E; j++) s += qv[j] * mv[j];
        if (s > sims[m]) sims[m] = s;
      }
    }
    const knn = knnVote(sims, c.memoryLabels, C, c.options.knnK, c.options.knnTemperature);
    for (let j = 0; j < C; j++) probs[i * C + j] = (1 - w) * headP[i * C + j] + w * knn[j];
  }
  return { probs: temper(probs, C, c.confidenceTemperature ?? 1), classes: C, provider: open.provider };
}

/** Rows of `probs` [n, C] raised to 1/T and renormalised, in place (T = 1: unchanged). Keeps each row's order. */
export function temper(probs: Float32Array, C: number, T: number): Float32Array {
  if (T === 1 || !(T > 0)) return probs;
  const e = 1 / T;
  for (let o = 0; o < probs.length; o += C) {
    let s = 0;
    for (let j = 0; j < C; j++) s += probs[o + j] = Math.pow(Math.max(probs[o + j], 1e-12), e);
    for (let j = 0; j < C; j++) probs[o + j] /= s;
  }
  return probs;
}

/**
 * The confidence temperature that minimises the negative log-likelihood of held-out labels (temperature scaling,
 * on probabilities rather than logits because the head and the memory vote are averaged as probabilities). A grid
 * of 61 values from 1/4 to 4, log-spaced. With fewer than 10 held-out images, or labels the rows cannot carry, 1.
 */
export function fitConfidenceTemperature(probs: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  const n = labels.length;
  if (n < 10 || probs.length !== n * C) return 1;
  const logp = new Float64Array(n * C);
  for (let i = 0; i < n * C; i++) logp[i] = Math.log(Math.max(probs[i], 1e-12));
  const nll = (T: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let j = 0; j < C; j++) m = Math.max(m, logp[i * C + j] / T);
      let z = 0;
      for (let j = 0; j < C; j++) z += Math.exp(logp[i * C + j] / T - m);
      total -= logp[i * C + labels[i]] / T - m - Math.log(z);
    }
    return total / n;
  };
  let best = 1;
  let bestNll = nll(1);
  for (let k = 0; k <= 60; k++) {
    const T = Math.exp(Math.log(0.25) + (k / 60) * Math.log(16));
    const v = nll(T);
    if (v < bestNll - 1e-9) {
      best = T;
      bestNll = v;
    }
  }
  return best;
}

function softmax(x: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const out = new Float32Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += out[i] = Math.exp(x[i] - m);
  for (let i = 0; i < x.length; i++) out[i] /= s;
  return out;
}

export function knnVote(sims: Float32Array, labels: Int32Array, classes: number, k: number, temperature: number): Float32Array {
  const idx = Array.from(sims.keys())
    .sort((a, b) => sims[b] - sims[a])
    .slice(0, Math.min(k, sims.length));
  const out = new Float32Array(classes);
  if (idx.length === 0) return out.fill(1 / classes);
  const top = sims[idx[0]];
  for (const i of idx) out[labels[i]] += Math.exp((sims[i] - top) / temperature);
  const s = out.reduce((a, b) => a + b, 0);
  for (let j = 0; j < classes; j++) out[j] /= s;
  return out;
}

/** Nearest memory images for features [D] (identity view), best first: for "similar images". */
export function nearest(c: TrainedClassifier, feat: Float32Array, k: number): { index: number; similarity: number }[] {
  const E = memoryDim(c);
  const q = memoryRows(feat, 1, c.head, c.whitening);
  const M = c.memoryLabels.length;
  const sims = Array.from({ length: M }, (_, m) => {
    let s = 0;
    for (let j = 0; j < E; j++) s += q[j] * c.memory[m * E + j];
    return { index: m, similarity: s };
  });
  return sims.sort((a, b) => b.similarity - a.similarity).slice(0, k);
}

export function headModelBytes(c: TrainedClassifier): Uint8Array {
  const { g } = buildInference(new FeatureHead(c.head), HEAD_BATCH, c.params);
  return writeModel(g, { opset: 17, graphName: 'student-head', metadata: { 'emma.arch': 'student-head' } });
}

// ---- files ------------------------------------------------------------------------------------------

export interface StudentManifest {
  readonly format: 'emma-student';
  readonly version: 1;
  readonly labels: readonly string[];
  readonly stem: StemConfig;
  readonly head: Omit<HeadConfig, 'mean' | 'std' | 'projection'> & { readonly projectionDims?: number };
  readonly options: HeadOptions;
  readonly files: {
    readonly bank: string;
    readonly head: string;
    readonly headParams: string;
    readonly norm: string;
    readonly memory: string;
    readonly memoryLabels: string;
    /** Whitening of the memory space: mean [D], projection [D, dims], variances [dims] (absent in versions before it). */
    readonly whitening?: string;
    /** The head's input projection: mean [D] then matrix [D, dims] (dims in `head.projectionDims`); absent before it. */
    readonly headProjection?: string;
  };
  readonly memoryRefs: readonly string[];
  readonly training?: Readonly<Record<string, unknown>>;
  /** TrainedClassifier.confidenceTemperature (absent in versions before it: 1). */
  readonly confidenceTemperature?: number;
}

const f32 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const i32 = (a: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Writes the student as files: student.json (manifest), head.onnx (self-contained), bank/params/memory as raw float32. */
export function saveStudent(dir: string, stem: Stem, c: TrainedClassifier, memoryRefs: readonly string[], training?: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const files = {
    bank: 'stem-bank.f32',
    head: 'head.onnx',
    headParams: 'head-params.f32',
    norm: 'head-norm.f32',
    memory: 'memory.f32',
    memoryLabels: 'memory-labels.i32',
    ...(c.whitening ? { whitening: 'memory-whitening.f32' } : {}),
    ...(c.head.projection ? { headProjection: 'head-projection.f32' } : {}),
  };
  const banks = [stem.bank, ...(stem.extraBanks ?? [])];
  const all = new Float32Array(banks.reduce((a, b) => a + b.length, 0));
  banks.reduce((o, b) => (all.set(b, o), o + b.length), 0);
  writeFileSync(join(dir, files.bank), f32(all));
  writeFileSync(join(dir, files.head), headModelBytes(c));
  writeFileSync(join(dir, files.headParams), f32(c.params));
  writeFileSync(join(dir, files.norm), f32(Float32Array.from([...c.head.mean!, ...c.head.std!])));
  writeFileSync(join(dir, files.memory), f32(c.memory));
  writeFileSync(join(dir, files.memoryLabels), i32(c.memoryLabels));
  if (c.whitening && files.whitening) {
    writeFileSync(join(dir, files.whitening), f32(Float32Array.from([...c.whitening.mean, ...c.whitening.projection, ...c.whitening.variances])));
  }
  if (c.head.projection && files.headProjection) {
    const p = c.head.projection;
    const buf = new Float32Array(p.mean.length + p.matrix.length);
    buf.set(p.mean);
    buf.set(p.matrix, p.mean.length);
    writeFileSync(join(dir, files.headProjection), f32(buf));
  }
  const { mean: _m, std: _s, projection, ...rest } = c.head;
  const head = { ...rest, ...(projection ? { projectionDims: projection.dims } : {}) };
  const manifest: StudentManifest = {
    format: 'emma-student',
    version: 1,
    labels: c.head.labels ?? [],
    stem: stem.config,
    head,
    options: c.options,
    files,
    memoryRefs,
    training,
    ...(c.confidenceTemperature !== undefined && c.confidenceTemperature !== 1 ? { confidenceTemperature: c.confidenceTemperature } : {}),
  };
  const path = join(dir, 'student.json');
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

export interface LoadedStudent {
  readonly manifest: StudentManifest;
  readonly stem: Stem;
  readonly classifier: TrainedClassifier;
  readonly headOnnx: string;
}

export function loadStudent(dir: string): LoadedStudent {
  const manifest = JSON.parse(readFileSync(join(dir, 'student.json'), 'utf8')) as StudentManifest;
  if (manifest.format !== 'emma-student') throw new Error(`${dir}: not an Emma student model`);
  const D = manifest.head.features;
  const norm = readF32(join(dir, manifest.files.norm));
  const lb = readFileSync(join(dir, manifest.files.memoryLabels));
  let whitening: Whitening | undefined;
  if (manifest.files.whitening) {
    const w = readF32(join(dir, manifest.files.whitening));
    const dims = Math.round((w.length - D) / (D + 1));
    if (dims < 1 || D + D * dims + dims !== w.length)
      throw new Error(`${dir}: ${manifest.files.whitening} has ${w.length} values, not D + D*k + k for D = ${D}`);
    whitening = { dims, mean: w.slice(0, D), projection: w.slice(D, D + D * dims), variances: w.slice(D + D * dims) };
  }
  let projection: HeadConfig['projection'];
  if (manifest.files.headProjection) {
    const dims = manifest.head.projectionDims ?? 0;
    const p = readF32(join(dir, manifest.files.headProjection));
    if (dims < 1 || p.length !== D + D * dims)
      throw new Error(`${dir}: ${manifest.files.headProjection} has ${p.length} values, not D + D*${dims} for D = ${D}`);
    projection = { dims, mean: p.slice(0, D), matrix: p.slice(D) };
  }
  const { projectionDims: _pd, ...headConfig } = manifest.head;
  const classifier: TrainedClassifier = {
    head: { ...headConfig, mean: Array.from(norm.subarray(0, D)), std: Array.from(norm.subarray(D)), ...(projection ? { projection } : {}) },
    params: readF32(join(dir, manifest.files.headParams)),
    memory: readF32(join(dir, manifest.files.memory)),
    memoryLabels: new Int32Array(lb.buffer.slice(lb.byteOffset, lb.byteOffset + lb.byteLength)),
    ...(whitening ? { whitening } : {}),
    options: manifest.options,
    provider: 'cpu',
    status: 'completed',
    steps: 0,
    ...(typeof manifest.confidenceTemperature === 'number' && manifest.confidenceTemperature > 0
      ? { confidenceTemperature: manifest.confidenceTemperature }
      : {}),
  };
  const all = readF32(join(dir, manifest.files.bank));
  const K = manifest.stem.atoms * 8;
  const banks: Float32Array[] = [];
  let o = 0;
  for (const p of patchSizes(manifest.stem)) {
    banks.push(all.slice(o, o + K * p * p));
    o += K * p * p;
  }
  const stem: Stem = { config: manifest.stem, bank: banks[0], ...(banks.length > 1 ? { extraBanks: banks.slice(1) } : {}) };
  return { manifest, stem, classifier, headOnnx: join(dir, manifest.files.head) };
}
