// The student, as the app uses it: train on what the database holds (a new model version), classify images
// with the active version, evaluate it on an ImageFolder tree. Plain Node; the CLI, the API and the benchmark
// call these functions.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  classifyFeatures,
  DEFAULT_HEAD,
  fitConfidenceTemperature,
  loadStudent,
  saveStudent,
  temper,
  trainClassifier,
  type HeadOptions,
  type LoadedStudent,
  type TrainedClassifier,
} from '../../../native-models/index.js';
import { DEFAULT_STEM, featureSize, learnStem, StemExtractor, type GreyImage, type Stem, type StemConfig } from '../../../native-models/index.js';
import type { Db } from '../db/database.js';
import { readGray } from '../library/decode.js';
import { inspectImage } from '../library/inspect.js';
import { calibrate, type Calibration } from './calibration.js';
import { labeledImages, libraryImages, splitByHash, type LabeledImage } from './data.js';
import { activeVersion, completeVersion, endVersion, getVersion, patchHyperparams, startVersion } from './versions.js';
import { saveIntents } from '../chat/intent-file.js';
import { saveLanguage, trainLanguage, type LanguageManifest, type LanguagePreset, type TrainedLanguage } from './language.js';
import { FeatureCache, stemHash } from './features.js';
import { argmax, argmaxRows, classifyAll } from './classify.js';
import { annotateLanguage, carryableLanguage, carryLanguage, languageTrainingKey, pruneUnusedStems } from './quick.js';
import { hasMasks, trainSegmenterInto, type SegmenterOutcome } from '../measure/train-segmenter.js';
import { LINK_OUTSIDE, linkRefused, type LinkRule } from '../util/links.js';
import { DEFAULT_VLM_SIZE, DEFAULT_VLM_TRAIN, DEFAULT_VLM_WEIGHTS } from '../../../native-models/index.js';

export interface Preset {
  readonly stem: StemConfig;
  readonly head: HeadOptions;
  /** Library images the stem's dictionary learns from (unlabelled included). */
  readonly stemImages: number;
  /** The vision-language part (trained when the database holds reviewed captions or Q&A pairs). */
  readonly language: LanguagePreset;
}

export const DEFAULT_LANGUAGE: LanguagePreset = { size: DEFAULT_VLM_SIZE, weights: DEFAULT_VLM_WEIGHTS, train: DEFAULT_VLM_TRAIN, vocabSize: 640 };
const FAST_LANGUAGE: LanguagePreset = {
  size: { ...DEFAULT_VLM_SIZE, dim: 64, heads: 2, textLayers: 1, decoderLayers: 1, embedDim: 32, seq: 48 },
  weights: DEFAULT_VLM_WEIGHTS,
  train: { ...DEFAULT_VLM_TRAIN, steps: 150, batch: 16, lr: 3e-3 },
  vocabSize: 400,
};
const LARGE_LANGUAGE: LanguagePreset = {
  size: { ...DEFAULT_VLM_SIZE, dim: 256, heads: 8, textLayers: 4, decoderLayers: 4, imageLayers: 2, embedDim: 128 },
  weights: DEFAULT_VLM_WEIGHTS,
  train: { ...DEFAULT_VLM_TRAIN, steps: 4000, batch: 64, lr: 1e-3 },
  vocabSize: 1024,
};

export const PRESETS: Readonly<Record<string, Preset>> = {
  /** Trains in well under a minute on 2 CPU cores for a few hundred images. */
  default: { stem: DEFAULT_STEM, head: DEFAULT_HEAD, stemImages: 400, language: DEFAULT_LANGUAGE },
  /** Seconds: tests and quick checks. */
  fast: { stem: { ...DEFAULT_STEM, atoms: 8, levels: 4 }, head: { ...DEFAULT_HEAD, hidden: 0, steps: 60, batch: 16 }, stemImages: 40, language: FAST_LANGUAGE },
  /** More atoms and a wider head: for a GPU or a long CPU run. */
  /** Three atom sizes (5, 7, 11 px) in one stem. */
  multi: { stem: { ...DEFAULT_STEM, extraPatches: [5, 11] }, head: DEFAULT_HEAD, stemImages: 400, language: DEFAULT_LANGUAGE },
  large: { stem: { ...DEFAULT_STEM, atoms: 48 }, head: { ...DEFAULT_HEAD, hidden: 1024, steps: 2400 }, stemImages: 1000, language: LARGE_LANGUAGE },
};

export interface TrainProgress {
  readonly phase: 'reading' | 'stem' | 'features' | 'head' | 'final' | 'saving';
  /**
   * Set while the vision-language part trains (reported under phase 'final', the shipped version):
   * 'language-data' = measuring images and tokenizing reviewed text, 'language' = optimizer steps.
   */
  readonly part?: 'language-data' | 'language' | 'segmenter';
  readonly done: number;
  readonly total: number;
  readonly loss?: number;
}

export interface TrainOptions {
  readonly dataDir: string;
  readonly preset?: string;
  /** Wall-clock budget; the head stops early (keeping what it learned) when it runs out. */
  readonly minutes?: number;
  readonly signal?: AbortSignal;
  /** Polled between images and steps (e.g. a shared flag set by another thread). */
  readonly isCancelled?: () => boolean;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Run the head's training in a worker thread (default true). */
  readonly worker?: boolean;
  readonly jobId?: number | null;
  /**
   * Quick update: the active version's stem instead of a newly learned one, features from the per-image cache
   * (computed only for images it lacks), then head and memory as usual; the language part is copied from the active
   * version when retraining it would learn the same. Needs an active version; its preset unless `preset` is given.
   */
  readonly quick?: boolean;
}

export interface TrainOutcome {
  readonly modelVersion: number;
  readonly status: 'completed' | 'cancelled' | 'failed';
  readonly trainSeconds: number;
  readonly valAccuracy: number | null;
  readonly valMacroF1: number | null;
  readonly provider: string;
  readonly activated: boolean;
  readonly activeVersion: number | null;
  readonly images: number;
  readonly classes: readonly string[];
  /** The vision-language part: null when the database held no reviewed captions or Q&A pairs. */
  readonly language: {
    readonly examples: number;
    readonly images: number;
    readonly steps: number;
    readonly loss: number | null;
    readonly carriedFrom: number | null;
  } | null;
  readonly mode: 'full' | 'quick';
  /** Labelled images' stem features taken from the cache vs computed in this run. */
  readonly features: { readonly cached: number; readonly extracted: number };
  readonly error?: string;
  /** The particle segmenter trained from the library's masks in this run (null: no masks). */
  readonly segmenter?: SegmenterOutcome | null;
  /** What this run trained, in words, when it is not the usual student (e.g. masks and no class labels). */
  readonly note?: string;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
    this.name = 'TrainingCancelled';
  }
}

/**
 * Reads an image as the student sees it: grey, data bar cropped, longer side at most `maxSide`.
 * `bar`: the library's data bar row and the image width; undefined = detect it now (files outside the library).
 */
export async function readForStudent(path: string, bar: { y: number | null; width: number } | undefined, maxSide: number): Promise<GreyImage> {
  let b = bar;
  if (b === undefined) {
    const info = await inspectImage(path);
    b = { y: info.dataBar?.y ?? null, width: info.width };
  }
  const crop = b.y !== null && b.y > 0 ? { top: 0, left: 0, width: b.width, height: b.y } : undefined;
  const g = await readGray(path, { crop, resizeMaxSide: maxSide });
  return { data: g.data, width: g.width, height: g.height };
}

export interface Scores {
  readonly n: number;
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClass: Record<string, { n: number; precision: number; recall: number; f1: number }>;
  /** confusion[true][predicted] in `labels` order. */
  readonly confusion: number[][];
  readonly labels: readonly string[];
}

export function score(truth: readonly number[], pred: readonly number[], labels: readonly string[]): Scores {
  const C = labels.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  truth.forEach((t, i) => confusion[t][pred[i]]++);
  const perClass: Scores['perClass'] = {};
  let f1sum = 0;
  let present = 0;
  labels.forEach((name, c) => {
    const tp = confusion[c][c];
    const n = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = n ? tp / n : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[name] = { n, precision, recall, f1 };
    if (n > 0) {
      f1sum += f1;
      present++;
    }
  });
  const correct = truth.filter((t, i) => t === pred[i]).length;
  return { n: truth.length, accuracy: truth.length ? correct / truth.length : 0, macroF1: present ? f1sum / present : 0, perClass, confusion, labels };
}

function gather(feats: Float32Array, D: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * D);
  idx.forEach((i, k) => out.set(feats.subarray(i * D, (i + 1) * D), k * D));
  return out;
}

export async function trainStudent(db: Db, o: TrainOptions): Promise<TrainOutcome> {
  const t0 = performance.now();
  const quick = o.quick === true;
  // A quick update starts from the active version: its stem (bank file) and, unless asked otherwise, its preset.
  const parent = quick ? activeVersion(db) : null;
  if (quick && !parent?.dir) throw new Error('a quick update needs an active model version: run a full training first');
  const base = parent?.dir ? loadStudent(parent.dir) : null;
  const presetName = o.preset ?? (parent && PRESETS[parent.preset] ? parent.preset : 'default');
  const preset = PRESETS[presetName];
  if (!preset) throw new Error(`unknown preset '${presetName}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const items = labeledImages(db);
  const labels = [...new Set(items.map((i) => i.className))].sort();
  if (labels.length < 2) {
    // Masks and no class labels: Train trains what the data allows, the particle segmenter alone.
    if (!quick && hasMasks(db)) return trainSegmenterOnly(db, o, t0, labels.length, items.length);
    throw new Error(`the student needs reviewed labels of at least 2 classes (found ${labels.length}; ${items.length} labelled images)`);
  }
  const { train, val } = splitByHash(items);
  const classOf = new Map(labels.map((l, i) => [l, i]));
  const deadline = o.minutes !== undefined ? t0 + o.minutes * 60_000 : Infinity;
  const snapshot = {
    images: items.length,
    classes: Object.fromEntries(labels.map((l) => [l, items.filter((i) => i.className === l).length])),
    split: 'sha256 stratified, every 3rd to validation',
    train: train.map((i) => [i.imageId, i.labelId]),
    val: val.map((i) => [i.imageId, i.labelId]),
  };
  const baseHash = base ? stemHash(base.stem) : null;
  const hyper = {
    preset: presetName,
    mode: quick ? 'quick' : 'full',
    stem: base?.stem.config ?? preset.stem,
    head: preset.head,
    stemImages: base ? null : preset.stemImages,
    language: preset.language,
    minutes: o.minutes ?? null,
    ...(base ? { stemFrom: parent!.id, stemHash: baseHash } : {}),
  };
  const id = startVersion(db, { preset: presetName, dataSnapshot: snapshot, hyperparams: hyper, jobId: o.jobId });
  const seconds = () => (performance.now() - t0) / 1000;
  const cancelled = () => o.signal?.aborted === true || o.isCancelled?.() === true;
  const checkCancel = () => {
    if (cancelled()) throw new TrainingCancelled();
  };
  const progress = (p: TrainProgress) => o.onProgress?.(p);
  let extractor: StemExtractor | null = null;
  try {
    // 1. Images, as the student sees them (read once, on demand: a quick update reads only uncached ones).
    const all = [...train, ...val];
    const maxSide = (base?.stem.config ?? preset.stem).maxSide;
    const images = new Map<number, GreyImage>();
    const read = async (r: { imageId: number; path: string; databarY: number | null; width: number }): Promise<GreyImage> => {
      let g = images.get(r.imageId);
      if (!g) {
        g = await readForStudent(r.path, { y: r.databarY, width: r.width }, maxSide);
        images.set(r.imageId, g);
      }
      return g;
    };
    let stem: Stem;
    if (base) {
      stem = base.stem;
    } else {
      for (const [k, it] of all.entries()) {
        checkCancel();
        await read(it);
        progress({ phase: 'reading', done: k + 1, total: all.length });
      }
      // 2. The stem learns its dictionary from the library (labelled or not).
      const stemSource: GreyImage[] = [];
      for (const r of libraryImages(db, preset.stemImages)) {
        checkCancel();
        stemSource.push(images.get(r.imageId) ?? (await readForStudent(r.path, { y: r.databarY, width: r.width }, maxSide)));
      }
      progress({ phase: 'stem', done: 0, total: 1 });
      stem = learnStem(stemSource, preset.stem);
      progress({ phase: 'stem', done: 1, total: 1 });
    }
    // 3. Features, once per image and stem: from the cache, else computed and cached.
    const hash = baseHash ?? stemHash(stem);
    if (!base) patchHyperparams(db, id, { stemHash: hash });
    extractor = new StemExtractor(stem);
    const D = featureSize(stem.config);
    const cache = new FeatureCache(db, hash, D);
    const cached = cache.get(all.map((it) => it.sha256));
    const missing = all.filter((it) => !cached.has(it.sha256));
    if (base) {
      for (const [k, it] of missing.entries()) {
        checkCancel();
        await read(it);
        progress({ phase: 'reading', done: k + 1, total: missing.length });
      }
    }
    const feats = new Float32Array(all.length * D);
    let pending: [string, Float32Array][] = [];
    for (const [k, it] of all.entries()) {
      checkCancel();
      let f = cached.get(it.sha256);
      if (!f) {
        f = await extractor.extract(await read(it));
        pending.push([it.sha256, f]);
        // In batches, so that a cancelled run keeps most of the features it computed.
        if (pending.length >= 32) {
          cache.put(pending);
          pending = [];
        }
      }
      feats.set(f, k * D);
      progress({ phase: 'features', done: k + 1, total: all.length });
    }
    cache.put(pending);
    const featureCounts = { cached: all.length - missing.length, extracted: missing.length };
    const rowOf = new Map(all.map((it, k) => [it.imageId, k]));
    const trainIdx = train.map((_, k) => k);
    const valIdx = val.map((_, k) => train.length + k);
    const y = Int32Array.from(all.map((it) => classOf.get(it.className)!));
    const hooks = (phase: 'head' | 'final') => ({
      worker: o.worker ?? true,
      onStep: (r: { step: number; steps: number; loss: number }) => progress({ phase, done: r.step, total: r.steps, loss: r.loss }),
      isCancelled: () => cancelled() || performance.now() > deadline,
      registerCancel: (cancel: () => void) => {
        o.signal?.addEventListener('abort', cancel, { once: true });
        const left = deadline - performance.now();
        if (Number.isFinite(left)) setTimeout(cancel, Math.max(0, left)).unref();
      },
    });
    // 4. Head on the training split, measured on the validation split.
    let valScores: Scores | null = null;
    let valCalibration: (Calibration & { temperature?: number; eceTempered?: number }) | null = null;
    let temperature = 1;
    let provider = 'cpu';
    if (val.length > 0) {
      const c = await trainClassifier(gather(feats, D, trainIdx), Int32Array.from(trainIdx.map((i) => y[i])), labels, stem.config, preset.head, hooks('head'));
      checkCancel();
      provider = c.provider;
      const p = await classifyFeatures(c, stem.config, gather(feats, D, valIdx), val.length);
      valScores = score(
        valIdx.map((i) => y[i]),
        argmaxRows(p.probs, labels.length, val.length),
        labels,
      );
      const valY = valIdx.map((i) => y[i]);
      valCalibration = calibrate(p.probs, valY, labels.length, 10);
      // Temperature scaling on the validation split (images this run's head never saw): the confidence an answer
      // shows then means what it says. The shipped model is retrained on every image, and gets the same temperature.
      temperature = fitConfidenceTemperature(p.probs, valY, labels.length);
      valCalibration = {
        ...valCalibration,
        temperature,
        eceTempered: calibrate(temper(Float32Array.from(p.probs), labels.length, temperature), valY, labels.length, 10).ece,
      };
    }
    // 5. The version that ships learns from every reviewed image.
    const trained: TrainedClassifier = await trainClassifier(feats, y, labels, stem.config, preset.head, hooks('final'));
    const final: TrainedClassifier = temperature === 1 ? trained : { ...trained, confidenceTemperature: temperature };
    checkCancel();
    provider = final.provider;
    // 6. The vision-language part, on the same frozen stem features (a worker thread of its own). A quick update
    //    copies the active version's part instead when retraining would learn from the same text on the same stem.
    const languageKey = languageTrainingKey(db, hash);
    const carry = base ? carryableLanguage(parent!.dir!, languageKey) : null;
    const language: TrainedLanguage | null = carry?.ok
      ? null
      : await trainLanguage(
          {
            db,
            stem,
            extractor,
            mean: final.head.mean!,
            std: final.head.std!,
            features: new Map(all.map((it, k) => [it.imageId, feats.subarray(k * D, (k + 1) * D)])),
            readImage: (r) => readForStudent(r.path, { y: r.databar_y, width: r.width }, maxSide),
            preset: preset.language,
            checkCancel,
            isCancelled: cancelled,
            deadline: Number.isFinite(deadline) ? deadline - performance.now() + Date.now() : null,
            worker: o.worker ?? true,
            onProgress: (part, done, total, loss) => progress({ phase: 'final', part, done, total, loss }),
          },
          () => {
            throw new TrainingCancelled();
          },
        );
    checkCancel();
    progress({ phase: 'saving', done: 0, total: 1 });
    const dir = resolve(o.dataDir, 'models', `v${id}`);
    const manifestPath = saveStudent(
      dir,
      stem,
      final,
      all.map((it) => it.sha256),
      { version: id, preset: presetName, valAccuracy: valScores?.accuracy ?? null },
    );
    // The chat's question layer: the reviewed questions it learns from (fitted on load, see main/core/chat).
    saveIntents(dir, db, labels);
    let languageManifest: LanguageManifest | null = null;
    if (carry?.ok) {
      languageManifest = carryLanguage(parent!.dir!, parent!.id, dir, carry.manifest);
    } else if (language) {
      languageManifest = saveLanguage(dir, language);
      annotateLanguage(dir, { mean: final.head.mean!, std: final.head.std! }, languageKey);
    }
    const languageSummary = languageManifest
      ? {
          examples: languageManifest.examples,
          images: languageManifest.images,
          steps: languageManifest.steps,
          loss: languageManifest.lastLoss?.loss ?? null,
          carriedFrom: carry?.ok ? parent!.id : null,
        }
      : null;
    patchHyperparams(db, id, {
      languageMode: carry?.ok ? 'carried' : language ? 'trained' : 'none',
      languageNote: carry?.ok
        ? `copied unchanged from v${parent!.id}: same reviewed text and stem`
        : `${language ? 'trained' : 'none (no reviewed captions or Q&A)'}${carry && !carry.ok ? `; not carried over from v${parent!.id}: ${carry.reason}` : ''}`,
    });
    // 6b. The particle segmenter, when the library has masks (stored with this version; the better of new and in use).
    const segmenter = hasMasks(db)
      ? await trainSegmenterInto(db, dir, {
          checkCancel,
          onProgress: (done, total) => progress({ phase: 'final', part: 'segmenter', done, total }),
        })
      : null;
    if (segmenter) patchHyperparams(db, id, { segmenterNote: segmenter.note });
    // 7. Becomes active only if it is no worse than the active version on images that version never saw.
    const prev = activeVersion(db);
    const featuresFor = async (s: Stem, want: readonly LabeledImage[]): Promise<Float32Array> => {
      const h = stemHash(s);
      if (h === hash)
        return gather(
          feats,
          D,
          want.map((w) => rowOf.get(w.imageId)!),
        );
      const c = new FeatureCache(db, h, featureSize(s.config));
      const hit = c.get(want.map((w) => w.sha256));
      const ex = new StemExtractor(s);
      try {
        const out = new Float32Array(want.length * c.dim);
        const fresh: [string, Float32Array][] = [];
        for (const [k, w] of want.entries()) {
          let f = hit.get(w.sha256);
          if (!f) {
            f = await ex.extract(await read(w));
            fresh.push([w.sha256, f]);
          }
          out.set(f, k * c.dim);
        }
        c.put(fresh);
        return out;
      } finally {
        await ex.close();
      }
    };
    const activate = prev === null || (await noWorseThan(prev.id, db, valScores, val, labels, featuresFor));
    const trainSeconds = seconds();
    completeVersion(db, id, {
      metrics: {
        ...(valScores ? { valAccuracy: valScores.accuracy, valMacroF1: valScores.macroF1, val: valScores } : {}),
        ...(valCalibration ? { calibration: { ...valCalibration, source: 'split-run' } } : {}),
        headSteps: final.steps,
        features: featureCounts,
        language: languageManifest ? { ...languageSummary, lastLoss: languageManifest.lastLoss, config: languageManifest.config } : null,
        segmenter,
      },
      labels,
      provider,
      durationS: trainSeconds,
      dir,
      manifestPath,
      onnxPath: join(dir, 'head.onnx'),
      activate,
    });
    progress({ phase: 'saving', done: 1, total: 1 });
    try {
      pruneUnusedStems(db);
    } catch {
      // housekeeping of a cache: never a reason to fail a finished run
    }
    return {
      modelVersion: id,
      status: 'completed',
      trainSeconds,
      valAccuracy: valScores?.accuracy ?? null,
      valMacroF1: valScores?.macroF1 ?? null,
      provider,
      activated: activate,
      activeVersion: activeVersion(db)?.id ?? null,
      images: items.length,
      classes: labels,
      language: languageSummary,
      mode: quick ? 'quick' : 'full',
      features: featureCounts,
      segmenter,
    };
  } catch (e) {
    const cancelled = e instanceof TrainingCancelled;
    endVersion(db, id, cancelled ? 'cancelled' : 'failed', cancelled ? null : e instanceof Error ? e.message : String(e), seconds());
    throw e;
  } finally {
    await extractor?.close();
  }
}

/** Compares on validation images that the previous version did not train on; with none, on recorded validation accuracy. */
async function noWorseThan(
  prevId: number,
  db: Db,
  mine: Scores | null,
  val: readonly LabeledImage[],
  labels: readonly string[],
  featuresFor: (stem: Stem, images: readonly LabeledImage[]) => Promise<Float32Array>,
): Promise<boolean> {
  const prev = getVersion(db, prevId);
  if (!prev || !prev.dir || !mine) return true;
  const prevAcc = typeof prev.metrics.valAccuracy === 'number' ? prev.metrics.valAccuracy : null;
  const seen = new Set<number>(
    [...((prev.dataSnapshot.train as [number, number][]) ?? []), ...((prev.dataSnapshot.val as [number, number][]) ?? [])].map(([img]) => img),
  );
  const fresh = val.filter((v) => !seen.has(v.imageId) && prev.labels.includes(v.className));
  if (fresh.length < 10 || prev.labels.join('\n') !== labels.join('\n')) return prevAcc === null || mine.accuracy >= prevAcc;
  try {
    const loaded = loadStudent(prev.dir);
    const feats = await featuresFor(loaded.stem, fresh);
    const probs = (await classifyFeatures(loaded.classifier, loaded.stem.config, feats, fresh.length, loaded.headOnnx)).probs;
    const preds = argmaxRows(probs, loaded.manifest.labels.length, fresh.length);
    const prevFresh = fresh.filter((f, i) => loaded.manifest.labels[preds[i]] === f.className).length / fresh.length;
    return mine.accuracy >= prevFresh;
  } catch {
    return true; // the previous version's files are unreadable: it cannot be better
  }
}

/** Class probabilities of images already read (row-major, one row of the model's labels per image). */
export async function probabilities(s: LoadedStudent, imgs: readonly GreyImage[]): Promise<Float32Array> {
  return classifyAll(s, imgs, async (img) => img);
}

export function loadActiveStudent(db: Db): { version: number; student: LoadedStudent } {
  const v = activeVersion(db);
  if (!v || !v.dir) throw new Error('no active student model: run `emma train` first');
  return { version: v.id, student: loadStudent(v.dir) };
}

export interface Classification {
  readonly path: string;
  readonly label: string;
  readonly confidence: number;
  readonly probabilities: Record<string, number>;
}

/** Progress and cancel for classifyPaths and evaluateFolder (the API runs them as jobs). */
export interface ClassifyRunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function classifyPaths(
  db: Db,
  paths: readonly string[],
  o: ClassifyRunOptions = {},
): Promise<{ modelVersion: number; results: Classification[] }> {
  const { version, student } = loadActiveStudent(db);
  const probs = await classifyAll(student, paths, (p, maxSide) => readForStudent(p, undefined, maxSide), o);
  return { modelVersion: version, results: classificationsOf(student.manifest.labels, paths, probs) };
}

/** One Classification per path from its row of `probs`. */
export function classificationsOf(L: readonly string[], paths: readonly string[], probs: Float32Array): Classification[] {
  return paths.map((path, i) => {
    const row = Array.from(probs.subarray(i * L.length, (i + 1) * L.length));
    const best = argmax(row);
    return { path, label: L[best], confidence: row[best], probabilities: Object.fromEntries(L.map((l, j) => [l, row[j]])) };
  });
}

const IMAGE_EXT = /\.(png|jpe?g|tiff?|bmp|webp|gif)$/i;

/** Evaluates the active version on `<dir>/<class>/<image>`; folders whose names are not classes of the model are reported, not scored. */
export async function evaluateFolder(
  db: Db,
  dir: string,
  o: ClassifyRunOptions & { allowLinkTarget?: LinkRule } = {},
): Promise<Scores & { modelVersion: number; skippedFolders: string[] }> {
  const { version, student } = loadActiveStudent(db);
  const L = student.manifest.labels;
  const truth: number[] = [];
  const files: string[] = [];
  const skippedFolders: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (await linkRefused(sub, o.allowLinkTarget)) {
      skippedFolders.push(`${name} (${LINK_OUTSIDE})`);
      continue;
    }
    if (!statSync(sub).isDirectory()) continue;
    const c = L.indexOf(name);
    if (c < 0) {
      skippedFolders.push(name);
      continue;
    }
    for (const f of readdirSync(sub).sort()) {
      if (!IMAGE_EXT.test(f)) continue;
      if (await linkRefused(join(sub, f), o.allowLinkTarget)) {
        skippedFolders.push(`${name}/${f} (${LINK_OUTSIDE})`);
        continue;
      }
      files.push(join(sub, f));
      truth.push(c);
    }
  }
  if (files.length === 0) throw new Error(`${dir}: no images in folders named after the model's classes (${L.join(', ')})`);
  const probs = await classifyAll(student, files, (p, maxSide) => readForStudent(p, undefined, maxSide), o);
  return { modelVersion: version, skippedFolders, ...score(truth, argmaxRows(probs, L.length, files.length), L) };
}

export function contentHash(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * A library with particle masks but fewer than 2 label classes: a version holding the segmenter alone
 * (`hyperparams.mode = 'segmenter'`). It is never made the active student (it has no classifier); measurement
 * uses the newest segmenter of the active version or of such a version (see measure/segmenter-store.ts).
 */
async function trainSegmenterOnly(db: Db, o: TrainOptions, t0: number, classes: number, labelled: number): Promise<TrainOutcome> {
  const note = `segmenter only: the library has particle masks but ${classes < 1 ? 'no class labels' : 'labels of 1 class'} (${labelled} labelled images), so the classifier was not trained`;
  const id = startVersion(db, { preset: 'segmenter', dataSnapshot: { masks: true }, hyperparams: { mode: 'segmenter', note }, jobId: o.jobId });
  const seconds = () => (performance.now() - t0) / 1000;
  try {
    const dir = resolve(o.dataDir, 'models', `v${id}`);
    const segmenter = await trainSegmenterInto(db, dir, {
      checkCancel: () => {
        if (o.signal?.aborted === true || o.isCancelled?.() === true) throw new TrainingCancelled();
      },
      onProgress: (done, total) => o.onProgress?.({ phase: 'final', part: 'segmenter', done, total }),
    });
    patchHyperparams(db, id, { segmenterNote: segmenter.note });
    completeVersion(db, id, {
      metrics: { segmenter },
      labels: [],
      provider: 'cpu',
      durationS: seconds(),
      dir,
      manifestPath: segmenter.path,
      onnxPath: '',
      activate: false,
    });
    const active = activeVersion(db);
    return {
      modelVersion: id,
      status: 'completed',
      trainSeconds: seconds(),
      valAccuracy: null,
      valMacroF1: null,
      provider: 'cpu',
      activated: false,
      activeVersion: active?.id ?? null,
      images: segmenter.images,
      classes: [],
      language: null,
      mode: 'full',
      features: { cached: 0, extracted: 0 },
      segmenter,
      note,
    };
  } catch (e) {
    const cancelled = e instanceof TrainingCancelled;
    endVersion(db, id, cancelled ? 'cancelled' : 'failed', cancelled ? null : e instanceof Error ? e.message : String(e), seconds());
    throw e;
  }
}
