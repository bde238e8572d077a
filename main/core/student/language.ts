// The student's vision-language part, as the app uses it: training data from reviewed captions and Q&A
// pairs, measurements of each image, and answer / caption / embed / embedText over the active version.
//
// Numbers: the student never has to invent a calibrated length. Every answer is learnt in "slot form": a
// number that is a measurement of the image (pixel size, a length in nm that is a whole number of pixels
// at that pixel size, mean grey level, width/height in px) is replaced by a slot token, and the decoder
// learns *where* a measurement goes (for a length: the slot `<len_nm>` followed by the length in pixels).
// When answering, slots are filled deterministically from the image's own calibration and pixels. The
// measurements are taken on the image as the teacher was shown it (data bar cropped, longer side at most
// the teacher's max image side, 8-bit JPEG), because that is the image the taught numbers refer to.
import sharp from 'sharp';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openSession, type OpenSession } from '../../../native-models/index.js';
import type { LoadedStudent, StudentManifest } from '../../../native-models/index.js';
import { loadStudent } from '../../../native-models/index.js';
import { featureSize, StemExtractor, type Stem } from '../../../native-models/index.js';
import { BOS, CAPTION, EOS, SEP, Tokenizer, type TokenizerData } from '../../../native-models/index.js';
import { allowedNext, DEFAULT_RULES, finishText, repeatsLastWord, sentenceCount } from '../../../native-models/index.js';
import { runVlmTraining } from '../../../native-models/index.js';
import {
  decoderSequence,
  encoderSequence,
  vlmPartBytes,
  type DecoderTurn,
  type TrainedVlm,
  type VlmConfig,
  type VlmExample,
  type VlmStep,
  type VlmTrainOptions,
} from '../../../native-models/index.js';
import type { Db } from '../db/database.js';
import { inspectImage } from '../library/inspect.js';
import { prepareImage, type ImageForTeacher } from '../teacher/prepare.js';
import { readConfig } from '../teacher/settings.js';
import { activeVersion } from './versions.js';

// ---- measurements -----------------------------------------------------------------------------------

export interface Measurements {
  /** nm per pixel of the image as the teacher saw it; null = uncalibrated. */
  readonly pixelNm: number | null;
  readonly width: number;
  readonly height: number;
  /** Grey statistics 0..255 of that image. */
  readonly meanGrey: number;
  readonly stdGrey: number;
  /** Mean of the left half minus the right half; top minus bottom. */
  readonly leftMinusRight: number;
  readonly topMinusBottom: number;
  /** 16-bin intensity histogram (fractions). */
  readonly histogram: readonly number[];
}

export const STATS_DIM = 24;

/** The same number format the teacher's prompt uses for the calibration (4 significant digits). */
export function fmtNum(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

export async function measureImage(img: ImageForTeacher, maxSide: number): Promise<Measurements> {
  const p = await prepareImage(img, { maxSide, sendMetadata: false });
  const jpeg = Buffer.from(p.dataUrl.slice(p.dataUrl.indexOf(',') + 1), 'base64');
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  let sum = 0,
    sq = 0,
    left = 0,
    right = 0,
    top = 0,
    bottom = 0;
  const hist = new Array<number>(16).fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = data[y * w + x];
      sum += v;
      sq += v * v;
      if (x < w / 2) left += v;
      else right += v;
      if (y < h / 2) top += v;
      else bottom += v;
      hist[v >> 4]++;
    }
  }
  const n = w * h;
  const mean = sum / n;
  const nl = h * Math.ceil(w / 2);
  const nt = w * Math.ceil(h / 2);
  return {
    pixelNm: p.calibration.sentPixelSizeNm,
    width: w,
    height: h,
    meanGrey: mean,
    stdGrey: Math.sqrt(Math.max(0, sq / n - mean * mean)),
    leftMinusRight: left / nl - right / Math.max(1, n - nl),
    topMinusBottom: top / nt - bottom / Math.max(1, n - nt),
    histogram: hist.map((c) => c / n),
  };
}

/** The measurement token's input: grey statistics, histogram, calibration, size. */
export function statsVector(m: Measurements): Float32Array {
  const v = new Float32Array(STATS_DIM);
  v[0] = m.meanGrey / 128 - 1;
  v[1] = m.stdGrey / 64;
  v[2] = m.leftMinusRight / 16;
  v[3] = m.topMinusBottom / 16;
  m.histogram.forEach((x, i) => {
    v[4 + i] = 4 * x;
  });
  v[20] = m.pixelNm === null ? 0 : 1;
  v[21] = m.pixelNm === null ? 0 : Math.log10(m.pixelNm) / 3;
  v[22] = m.width / 1024;
  v[23] = m.height / 1024;
  return v;
}

const NUMBER = /\d+(?:\.\d+)?/g;

/** Training text in slot form (see the file comment). */
export function toSlots(text: string, m: Measurements): string {
  return text.replace(NUMBER, (s, at: number, all: string) => {
    const x = Number(s);
    const after = all.slice(at + s.length);
    if (m.pixelNm !== null && s === fmtNum(m.pixelNm)) return '<px_nm>';
    if (m.pixelNm !== null && /^\s*nm\b/.test(after) && Number.isInteger(x)) {
      const k = Math.round(x / m.pixelNm);
      if (k >= 1 && k <= 100_000 && Math.round(k * m.pixelNm) === x) return `<len_nm>${k}`;
    }
    if (s.includes('.') && Math.abs(x - m.meanGrey) < 0.051) return '<mean_grey>';
    if (!s.includes('.') && x === m.width && x !== m.height) return '<width_px>';
    if (!s.includes('.') && x === m.height && x !== m.width) return '<height_px>';
    return s;
  });
}

/** Fills the slots of a generated text from the image's measurements. */
export function fromSlots(text: string, m: Measurements): string {
  return text
    .replace(/<len_nm>\s*(\d+)/g, (_, k: string) => (m.pixelNm === null ? `${k} px` : String(Math.round(Number(k) * m.pixelNm))))
    .replace(/<len_nm>/g, '')
    .replace(/<px_nm>/g, m.pixelNm === null ? 'unknown' : fmtNum(m.pixelNm))
    .replace(/<mean_grey>/g, m.meanGrey.toFixed(1))
    .replace(/<width_px>/g, String(m.width))
    .replace(/<height_px>/g, String(m.height));
}

// ---- training data ----------------------------------------------------------------------------------

export interface LanguageRow {
  imageId: number;
  kind: 'caption' | 'qa';
  question: string | null;
  answer: string;
  status: 'accepted' | 'edited' | 'rejected';
}

/**
 * Reviewed captions and Q&A pairs. Positives: `accepted` rows (teacher proposals the operator accepted, and the
 * operator's own text, which replaces an edited proposal). Negatives for matching: `rejected` rows and
 * `edited` rows (the teacher's text the operator corrected). Unreviewed proposals and the student's own are out.
 */
export function languageRows(db: Db): LanguageRow[] {
  return (
    db
      .prepare(
        `SELECT image_id, kind, question, answer, status FROM annotations
      WHERE status IN ('accepted', 'edited', 'rejected') AND source IN ('teacher', 'human') AND length(trim(answer)) > 0
      ORDER BY image_id, id`,
      )
      .all() as { image_id: number; kind: 'caption' | 'qa'; question: string | null; answer: string; status: LanguageRow['status'] }[]
  ).map((r) => ({
    imageId: r.image_id,
    kind: r.kind,
    question: r.kind === 'qa' ? (r.question ?? '').trim() : null,
    answer: r.answer.trim(),
    status: r.status,
  }));
}

export function imageForTeacher(db: Db, imageId: number): ImageForTeacher {
  const r = db
    .prepare(
      `SELECT id, sha256, path, file_name, width, height, pixel_size_nm, magnification, kv, wd_mm, detector, instrument, databar_y FROM images WHERE id = ?`,
    )
    .get(imageId) as ImageForTeacher | undefined;
  if (!r) throw new Error(`no image ${imageId} in the library`);
  return r;
}

/** A library image by id or path; a file outside the library is inspected (calibration and data bar from its metadata). */
export async function resolveImage(db: Db, image: number | string): Promise<ImageForTeacher> {
  if (typeof image === 'number') return imageForTeacher(db, image);
  const r = db.prepare(`SELECT id FROM images WHERE path = ? ORDER BY id DESC LIMIT 1`).get(image) as { id: number } | undefined;
  if (r) return imageForTeacher(db, r.id);
  if (!existsSync(image)) throw new Error(`${image}: no such file`);
  const info = await inspectImage(image);
  return {
    id: -1,
    sha256: '',
    path: image,
    file_name: image.split(/[\\/]/).pop() ?? image,
    width: info.width,
    height: info.height,
    pixel_size_nm: info.pixelSizeNm,
    magnification: null,
    kv: null,
    wd_mm: null,
    detector: null,
    instrument: null,
    databar_y: info.dataBar?.y ?? null,
  };
}

export interface LanguagePreset {
  readonly size: Omit<VlmConfig, 'vocab' | 'groups' | 'groupDim' | 'statsDim' | 'weights'>;
  readonly weights: VlmConfig['weights'];
  readonly train: VlmTrainOptions;
  readonly vocabSize: number;
}

export interface LanguageManifest {
  readonly config: VlmConfig;
  readonly options: VlmTrainOptions;
  /** The teacher's max image side when trained: measurements are taken at this scale. */
  readonly measureMaxSide: number;
  readonly files: {
    readonly params: string;
    readonly tokenizer: string;
    readonly image: string;
    readonly text: string;
    readonly decode: string;
    readonly itm: string;
    readonly norm?: string;
  };
  readonly examples: number;
  readonly images: number;
  readonly steps: number;
  readonly lastLoss: TrainedVlm['lastLoss'];
  readonly numbers: 'slots';
  /**
   * Present when the decoder learnt chat history (`<bos> q1 <sep> a1 <turn> question <sep> …`, tokenizer version 2):
   * `answer()` then conditions on up to `maxTurns` recent turns. Versions saved without it ignore history.
   */
  readonly history?: { readonly maxTurns: number };
}

/** Standardised sqrt stem features (the classifier's normalisation), clipped; the VLM's image input. */
export function vlmImageInput(feat: Float32Array, mean: readonly number[], std: readonly number[]): Float32Array {
  const out = new Float32Array(feat.length);
  for (let j = 0; j < feat.length; j++) {
    const v = (Math.sqrt(Math.max(feat[j], 0) + 1e-8) - mean[j]) / std[j];
    out[j] = Math.max(-5, Math.min(5, v));
  }
  return out;
}

export function stemGroups(stem: Stem): { groups: number; groupDim: number } {
  const c = stem.config;
  const groupDim = 4 * c.atoms * 8;
  return { groups: featureSize(c) / groupDim, groupDim };
}

export interface LanguageTrainInput {
  readonly db: Db;
  readonly stem: Stem;
  readonly extractor: StemExtractor;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Stem features already computed (by image id). */
  readonly features: ReadonlyMap<number, Float32Array>;
  readonly readImage: (img: ImageForTeacher) => Promise<import('../../../native-models/index.js').GreyImage>;
  readonly preset: LanguagePreset;
  /** Train only on these images' texts (e.g. a split); default every image with reviewed text. */
  readonly imageIds?: ReadonlySet<number>;
  readonly checkCancel: () => void;
  readonly isCancelled: () => boolean;
  readonly deadline: number | null;
  readonly worker: boolean;
  readonly onProgress?: (phase: 'language-data' | 'language', done: number, total: number, loss?: number) => void;
}

export interface TrainedLanguage {
  readonly vlm: TrainedVlm;
  readonly tokenizer: Tokenizer;
  readonly measureMaxSide: number;
  readonly examples: number;
  readonly images: number;
}

/** Trains the vision-language part; null when the database holds no reviewed text. Throws TrainingCancelled via checkCancel. */
export async function trainLanguage(t: LanguageTrainInput, onCancelled: () => never): Promise<TrainedLanguage | null> {
  const rows = languageRows(t.db).filter((r) => !t.imageIds || t.imageIds.has(r.imageId));
  const positives = rows.filter((r) => r.status === 'accepted');
  if (positives.length === 0) return null;
  const measureMaxSide = readConfig(t.db).maxImageSide;
  const imageIds = [...new Set(positives.map((r) => r.imageId))];
  const measures = new Map<number, Measurements>();
  const { groups, groupDim } = stemGroups(t.stem);
  const F = groups * groupDim;
  const images = new Float32Array(imageIds.length * F);
  const stats = new Float32Array(imageIds.length * STATS_DIM);
  for (const [k, id] of imageIds.entries()) {
    t.checkCancel();
    const row = imageForTeacher(t.db, id);
    const m = await measureImage(row, measureMaxSide);
    measures.set(id, m);
    const feat = t.features.get(id) ?? (await t.extractor.extract(await t.readImage(row)));
    images.set(vlmImageInput(feat, t.mean, t.std), k * F);
    stats.set(statsVector(m), k * STATS_DIM);
    t.onProgress?.('language-data', k + 1, imageIds.length);
  }
  const slotted = (r: LanguageRow) => ({ q: r.question, a: toSlots(r.answer, measures.get(r.imageId) ?? measures.get(imageIds[0])!) });
  const usable = rows.filter((r) => measures.has(r.imageId)).map((r) => ({ ...r, ...slotted(r) }));
  const corpus = [...usable.flatMap((r) => [r.q ?? '', r.a])];
  const tokenizer = Tokenizer.train(corpus, t.preset.vocabSize);
  const index = new Map(imageIds.map((id, k) => [id, k]));
  const key = (r: { imageId: number; q: string | null }) => `${r.imageId}\u0000${r.q ?? ''}`;
  const rejected = new Map<string, number[][]>();
  for (const r of usable) if (r.status !== 'accepted') rejected.set(key(r), [...(rejected.get(key(r)) ?? []), tokenizer.encode(r.a)]);
  const examples: VlmExample[] = usable
    .filter((r) => r.status === 'accepted')
    .map((r) => ({
      image: index.get(r.imageId)!,
      question: r.q === null ? null : tokenizer.encode(r.q),
      answer: tokenizer.encode(r.a),
      ...(rejected.has(key(r)) ? { rejected: rejected.get(key(r)) } : {}),
    }));
  // ITC text per image: its accepted answers, then its caption. (Captions alone are often identical once their
  // numbers are slots, and identical texts in one contrastive batch teach nothing.)
  const captions = imageIds.map((id) => {
    const texts = usable.filter((r) => r.imageId === id && r.status === 'accepted');
    const ordered = [...texts.filter((r) => r.kind === 'qa'), ...texts.filter((r) => r.kind === 'caption')];
    return ordered.length ? tokenizer.encode(ordered.map((r) => r.a).join(' ')) : null;
  });
  const config: VlmConfig = { ...t.preset.size, vocab: tokenizer.size, groups, groupDim, statsDim: STATS_DIM, weights: { ...t.preset.weights } };
  const { result, cancelled } = await runVlmTraining({ images, stats, examples, captions }, config, t.preset.train, {
    worker: t.worker,
    deadline: t.deadline,
    isCancelled: t.isCancelled,
    onStep: (r: VlmStep) => t.onProgress?.('language', r.step, r.steps, r.loss),
  });
  if (cancelled) onCancelled();
  return { vlm: result, tokenizer, measureMaxSide, examples: examples.length, images: imageIds.length };
}

/** Writes the language files next to the classifier's and records them in student.json. */
export function saveLanguage(dir: string, l: TrainedLanguage): LanguageManifest {
  const files = {
    params: 'vlm-params.f32',
    tokenizer: 'tokenizer.json',
    image: 'vlm-image.onnx',
    text: 'vlm-text.onnx',
    decode: 'vlm-decode.onnx',
    itm: 'vlm-itm.onnx',
  };
  const p = l.vlm.params;
  writeFileSync(join(dir, files.params), Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  writeFileSync(join(dir, files.tokenizer), `${JSON.stringify(l.tokenizer.data)}\n`);
  writeFileSync(join(dir, files.image), vlmPartBytes(l.vlm.config, p, 'image'));
  writeFileSync(join(dir, files.text), vlmPartBytes(l.vlm.config, p, 'text'));
  writeFileSync(join(dir, files.decode), vlmPartBytes(l.vlm.config, p, 'decode'));
  writeFileSync(join(dir, files.itm), vlmPartBytes(l.vlm.config, p, 'itm'));
  const o = l.vlm.options;
  const history = (o.historyShare ?? 0) > 0 && (o.historyTurns ?? 0) > 0 && l.tokenizer.turn !== null ? { maxTurns: o.historyTurns! } : undefined;
  const manifest: LanguageManifest = {
    config: l.vlm.config,
    options: o,
    measureMaxSide: l.measureMaxSide,
    files,
    examples: l.examples,
    images: l.images,
    steps: l.vlm.steps,
    lastLoss: l.vlm.lastLoss,
    numbers: 'slots',
    ...(history ? { history } : {}),
  };
  const path = join(dir, 'student.json');
  const student = JSON.parse(readFileSync(path, 'utf8')) as StudentManifest & { language?: LanguageManifest };
  writeFileSync(path, `${JSON.stringify({ ...student, language: manifest }, null, 2)}\n`);
  return manifest;
}

// ---- inference over the active version --------------------------------------------------------------

export class NoLanguageModel extends Error {
  constructor(version: number) {
    super(`model version ${version} has no vision-language part (it was trained without reviewed captions or Q&A pairs): train again after reviewing some`);
    this.name = 'NoLanguageModel';
  }
}

interface LoadedLanguage {
  readonly version: number;
  readonly dir: string;
  readonly student: LoadedStudent;
  readonly manifest: LanguageManifest;
  readonly tokenizer: Tokenizer;
  readonly extractor: StemExtractor;
  /** Standardisation of the image input: the part's own (files.norm, see quick.ts) or else the classifier's. */
  readonly norm: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly image: OpenSession;
  readonly text: OpenSession;
  readonly decode: OpenSession;
  readonly itm: OpenSession;
  /** Per image (path + calibration): measurements and image tokens, so follow-up questions are cheap. */
  readonly cache: Map<string, { m: Measurements; ctx: Float32Array; emb: Float32Array }>;
}

const loaded = new Map<string, Promise<LoadedLanguage>>();

async function loadLanguage(version: number, dir: string): Promise<LoadedLanguage> {
  const student = loadStudent(dir);
  const manifest = (student.manifest as StudentManifest & { language?: LanguageManifest }).language;
  if (!manifest) throw new NoLanguageModel(version);
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(dir, manifest.files.tokenizer), 'utf8')) as TokenizerData);
  const open = (f: string) => openSession(join(dir, f));
  const [image, text, decode, itm] = await Promise.all([
    open(manifest.files.image),
    open(manifest.files.text),
    open(manifest.files.decode),
    open(manifest.files.itm),
  ]);
  const h = student.classifier.head;
  let norm: LoadedLanguage['norm'] = { mean: h.mean!, std: h.std! };
  if (manifest.files.norm) {
    const b = readFileSync(join(dir, manifest.files.norm));
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    norm = { mean: Array.from(all.subarray(0, all.length / 2)), std: Array.from(all.subarray(all.length / 2)) };
  }
  return { version, dir, student, manifest, tokenizer, extractor: new StemExtractor(student.stem), norm, image, text, decode, itm, cache: new Map() };
}

/** The active version's language part (loaded once per version and kept). */
export async function activeLanguage(db: Db): Promise<LoadedLanguage> {
  const v = activeVersion(db);
  if (!v || !v.dir) throw new Error('no active student model: run `emma train` first');
  let p = loaded.get(v.dir);
  if (!p) {
    p = loadLanguage(v.id, v.dir);
    loaded.set(v.dir, p);
    p.catch(() => loaded.delete(v.dir!));
  }
  return p;
}

/** Releases the loaded language models (sessions, stem extractors). */
export async function closeLanguageModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) {
    try {
      const l = await p;
      await Promise.all([l.image.session.release(), l.text.session.release(), l.decode.session.release(), l.itm.session.release(), l.extractor.close()]);
    } catch {
      /* failed loads hold nothing */
    }
  }
}

async function imageState(l: LoadedLanguage, img: ImageForTeacher): Promise<{ m: Measurements; ctx: Float32Array; emb: Float32Array }> {
  const key = `${img.path}\u0000${img.pixel_size_nm}\u0000${img.databar_y}`;
  const hit = l.cache.get(key);
  if (hit) return hit;
  const { readForStudent } = await import('./service.js');
  const m = await measureImage(img, l.manifest.measureMaxSide);
  const grey = await readForStudent(img.path, { y: img.databar_y, width: img.width }, l.student.stem.config.maxSide);
  const feat = await l.extractor.extract(grey);
  const c = l.manifest.config;
  const x = vlmImageInput(feat, l.norm.mean, l.norm.std);
  const r = await l.image.session.run({
    img: new ort.Tensor('float32', x, [1, c.groups, c.groupDim]),
    stats: new ort.Tensor('float32', statsVector(m), [1, c.statsDim]),
  });
  const state = { m, ctx: (r.ctx.data as Float32Array).slice(), emb: (r.img_emb.data as Float32Array).slice() };
  if (l.cache.size > 256) l.cache.clear();
  l.cache.set(key, state);
  return state;
}

export interface Answer {
  readonly text: string;
  /** Geometric mean of the chosen tokens' probabilities (0..1). */
  readonly confidence: number;
  readonly modelVersion: number;
  /** The decoded text before the measurements were filled in. */
  readonly slots: string;
  readonly tokens: number;
  /** Earlier chat turns the answer was conditioned on (0: none fitted, none given, or a version without history). */
  readonly historyTurns: number;
}

export interface Turn {
  readonly question: string;
  readonly answer: string;
}

/**
 * Greedy decoding. `history` turns are kept (most recent first) while `room` positions remain after the prefix;
 * `turns` = how many were; `full` = the answer ran out of positions before `<eos>`.
 */
async function generate(
  l: LoadedLanguage,
  ctx: Float32Array,
  question: string | null,
  maxTokens: number,
  history: readonly DecoderTurn[] = [],
  room = 1,
): Promise<{ ids: number[]; confidence: number; turns: number; full: boolean }> {
  const c = l.manifest.config;
  const T = c.seq;
  const seq = decoderSequence(question === null ? null : l.tokenizer.encode(question), null, T, history, room);
  const prefix = seq.ids;
  const ids = new BigInt64Array(T);
  prefix.forEach((v, i) => {
    ids[i] = BigInt(v);
  });
  const ctxT = new ort.Tensor('float32', ctx, [1, c.groups + 1, c.dim]);
  const idsT = new ort.Tensor('int64', ids, [1, T]);
  const out: number[] = [];
  let logSum = 0;
  let n = prefix.length;
  let ended = false;
  while (n < T && out.length < maxTokens) {
    const r = await l.decode.session.run({ ctx: ctxT, ids: idsT });
    const logits = (r.logits.data as Float32Array).subarray((n - 1) * c.vocab, n * c.vocab);
    let mx = -Infinity;
    for (let j = 0; j < c.vocab; j++) if (logits[j] > mx) mx = logits[j];
    let z = 0;
    for (let j = 0; j < c.vocab; j++) z += Math.exp(logits[j] - mx);
    // The most probable token the decoding rules allow (decode.ts); control tokens end the answer.
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
    const ends = (j: number) => j === EOS || j === BOS || j === SEP || j === CAPTION || j === l.tokenizer.turn || j < 1;
    const doubled = repeatsLastWord(out, l.tokenizer);
    const best = order.find((j) => (ends(j) && !doubled) || (!ends(j) && allowedNext(out, j, l.tokenizer))) ?? EOS;
    logSum += logits[best] - mx - Math.log(z);
    if (ends(best)) {
      ended = true;
      break;
    }
    out.push(best);
    ids[n++] = BigInt(best);
    // Stop rule: enough complete sentences.
    if (/[.!?]$/.test(l.tokenizer.piece(best).trimEnd()) && sentenceCount(l.tokenizer.decode(out)) >= DEFAULT_RULES.maxSentences) {
      ended = true;
      break;
    }
  }
  return { ids: out, confidence: Math.exp(logSum / (out.length + 1)), turns: seq.turns, full: !ended && out.length < maxTokens };
}

/**
 * The chat turns a version conditions on: none for versions without history support; else the most recent
 * `maxTurns` turns with a question other than the current one (as trained), answers in slot form.
 */
export function historyTurns(l: Pick<LoadedLanguage, 'manifest' | 'tokenizer'>, m: Measurements, question: string, history: readonly Turn[]): DecoderTurn[] {
  const max = l.manifest.history?.maxTurns ?? 0;
  if (max <= 0 || l.tokenizer.turn === null) return [];
  const same = (a: string) => a.trim().replace(/\s+/g, ' ').toLowerCase() === question.trim().replace(/\s+/g, ' ').toLowerCase();
  return history
    .filter((t) => t.question.trim() && t.answer.trim() && !same(t.question))
    .slice(-max)
    .map((t) => ({ question: l.tokenizer.encode(t.question.trim()), answer: l.tokenizer.encode(toSlots(t.answer.trim(), m)) }));
}

/**
 * Answers a question about an image (library id, or a file path) with the active version.
 * `history`: earlier turns of the conversation about this image, oldest first. Older versions were trained on
 * single questions and ignore it. A version trained with history (manifest `history`) uses training's rule:
 * a turn is in the prefix only when the whole answer still fits after it (a prefix the decoder never saw
 * gives confident wrong answers). The answer's length is estimated by the single-question answer (one extra
 * decoder pass on cached image tokens); should the answer with history run out of positions anyway, it is
 * generated again with one turn fewer.
 */
export async function answer(db: Db, image: number | string, question: string, history: readonly Turn[] = [], o: { maxTokens?: number } = {}): Promise<Answer> {
  const q = question.trim();
  if (!q) throw new Error('the question is empty');
  const l = await activeLanguage(db);
  const s = await imageState(l, await resolveImage(db, image));
  const turns = historyTurns(l, s.m, q, history);
  const max = o.maxTokens ?? 48;
  let g = await generate(l, s.ctx, q, max);
  if (turns.length > 0 && !g.full) {
    const room = g.ids.length + 1;
    const h = await generate(l, s.ctx, q, max, turns, room);
    if (h.turns > 0) g = h;
    while (g.full && g.turns > 0) g = await generate(l, s.ctx, q, max, turns.slice(turns.length - (g.turns - 1)), room);
  }
  const slots = l.tokenizer.decode(g.ids);
  return { text: finishText(fromSlots(slots, s.m)), confidence: g.confidence, modelVersion: l.version, slots, tokens: g.ids.length, historyTurns: g.turns };
}

/** A caption of an image with the active version. */
export async function caption(db: Db, image: number | string, o: { maxTokens?: number } = {}): Promise<Answer> {
  const l = await activeLanguage(db);
  const s = await imageState(l, await resolveImage(db, image));
  const g = await generate(l, s.ctx, null, o.maxTokens ?? 48);
  const slots = l.tokenizer.decode(g.ids);
  return { text: finishText(fromSlots(slots, s.m)), confidence: g.confidence, modelVersion: l.version, slots, tokens: g.ids.length, historyTurns: g.turns };
}

/** The image's unit-length embedding in the image–text contrastive space. */
export async function embed(db: Db, image: number | string): Promise<{ vector: Float32Array; modelVersion: number }> {
  const l = await activeLanguage(db);
  const s = await imageState(l, await resolveImage(db, image));
  return { vector: s.emb.slice(), modelVersion: l.version };
}

/** A text's unit-length embedding in the same space (cosine = dot product with `embed`). */
export async function embedText(db: Db, text: string): Promise<{ vector: Float32Array; modelVersion: number }> {
  const l = await activeLanguage(db);
  const c = l.manifest.config;
  const { ids, mask } = encoderSequence(null, l.tokenizer.encode(text), c.seq);
  const r = await l.text.session.run({
    ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (v) => BigInt(v)),
      [1, c.seq],
    ),
    mask: new ort.Tensor('float32', Float32Array.from(mask), [1, c.seq]),
  });
  return { vector: (r.text_emb.data as Float32Array).slice(), modelVersion: l.version };
}

/** Image–text matching probability (the grounded encoder's ITM head) for a question and a candidate answer. */
export async function matchScore(db: Db, image: number | string, question: string | null, text: string): Promise<number> {
  const l = await activeLanguage(db);
  const c = l.manifest.config;
  const s = await imageState(l, await resolveImage(db, image));
  const { ids, mask } = encoderSequence(question === null ? null : l.tokenizer.encode(question), l.tokenizer.encode(toSlots(text, s.m)), c.seq);
  const r = await l.itm.session.run({
    ctx: new ort.Tensor('float32', s.ctx, [1, c.groups + 1, c.dim]),
    ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (v) => BigInt(v)),
      [1, c.seq],
    ),
    mask: new ort.Tensor('float32', Float32Array.from(mask), [1, c.seq]),
  });
  return 1 / (1 + Math.exp(-(r.itm.data as Float32Array)[0]));
}
