// The student domain's slice of the contract: the training plan and run, model versions and classification
// (main/core/student). Training and classification run as jobs.
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { JobInfo } from '../jobs/contract.js';
import type { SegmenterTrainingInfo } from '../measure/contract.js';

export type TrainPhase = 'reading' | 'stem' | 'features' | 'head' | 'final' | 'saving';

export interface TrainRequest {
  /** 'default' | 'fast' | 'multi' | 'large'; absent = what getTrainingPlan chose. */
  preset?: string;
  /** Wall-clock budget for the head; it stops early keeping what it learned. */
  minutes?: number;
  /**
   * Quick update: keep the active version's texture stem and its cached per-image features (computing only new
   * images'), train the head and memory. Needs an active version; the preset defaults to the active version's.
   */
  quick?: boolean;
}

/** The defaults a Train button uses, chosen from the data size and the hardware, with the expected duration. */
export interface TrainingPlan {
  preset: string;
  minutes: number;
  /** Reviewed images the student would learn from, per class. */
  images: number;
  classes: Record<string, number>;
  /** Execution provider expected to run the head (the run reports what actually ran). */
  provider: string;
  cores: number;
  estimatedSeconds: number;
  presets: string[];
  /** Why the student cannot train now (fewer than 2 classes...), else null. */
  blocked: string | null;
  /** How the defaults were chosen, in words. */
  reason: string;
  /** The plan is for a quick update (TrainRequest.quick). */
  quick: boolean;
  /** The active version a quick update would start from; null = no quick update possible (no active version). */
  quickFrom: number | null;
  /** Reviewed images whose features are cached for that version's stem (null without one). */
  cachedImages: number | null;
}

export interface TrainPoint {
  /** Seconds since the run started. */
  t: number;
  /** 'head': the split run (scored on validation); 'final': the shipped run; 'language': the vision-language part. */
  phase: 'head' | 'final' | 'language';
  step: number;
  steps: number;
  loss: number;
}

/** A training job's live detail (JobProgress.train): phase, loss curve (thinned to a bounded number of points), ETA. */
export interface TrainProgressDetail {
  phase: TrainPhase | null;
  elapsedS: number;
  etaS: number | null;
  provider: string;
  preset: string;
  points: TrainPoint[];
}

/**
 * getTrainingProgress's answer: the training job's JobProgress (from its jobs row) flattened with its outcome.
 * Kept for callers that read it; new code reads `job.progress.train` and `job.result` from the pushed 'job' events.
 */
export type TrainingProgress = TrainProgressDetail & {
  jobId: number;
  done: number;
  total: number;
  /** Set when the run has ended (the job's result). */
  outcome: TrainOutcomeInfo | null;
};

/** A training job's result. */
export interface TrainOutcomeInfo {
  modelVersion: number;
  status: 'completed' | 'cancelled' | 'failed';
  trainSeconds: number;
  valAccuracy: number | null;
  valMacroF1: number | null;
  provider: string;
  /** Made active because it was no worse than the active version on the same validation images. */
  activated: boolean;
  activeVersion: number | null;
  images: number;
  classes: readonly string[];
  /** 'quick': heads on the active version's stem and cached features. */
  mode?: 'full' | 'quick';
  /** Labelled images' stem features taken from the cache vs computed in the run. */
  features?: { cached: number; extracted: number };
  /** The language half: carried from an earlier version (its id) or trained in this run (null). */
  language?: { carriedFrom: number | null } | null;
  error?: string;
  /** Particle segmenter trained from masks in this run; null/absent when the library has none. */
  segmenter?: SegmenterTrainingInfo | null;
  /** What the run trained, in words, when it is not the usual student (masks and no class labels). */
  note?: string;
}

export type ModelVersionStatus = 'training' | 'completed' | 'failed' | 'cancelled';

export interface ModelVersionSummary {
  id: number;
  parentId: number | null;
  status: ModelVersionStatus;
  active: boolean;
  preset: string;
  /** 'quick': heads trained on its parent's stem and cached features (TrainRequest.quick). */
  mode: 'full' | 'quick';
  classes: string[];
  /** Reviewed images it learned from. */
  images: number | null;
  valAccuracy: number | null;
  valMacroF1: number | null;
  provider: string | null;
  durationS: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  /**
   * The particle segmenter (issue 13): whether the version holds one, whether it trained the segmenter alone
   * (masks, no class labels: never active), and whether it is the one measuring (the newest segmenter).
   */
  segmenter?: { present: boolean; only: boolean; inUse: boolean };
}

export interface ClassScore {
  n: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ModelMetrics {
  /** Validation images (the held-out third of the split). */
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassScore>;
  /** confusion[true][predicted] in `labels` order. */
  confusion: number[][];
  labels: string[];
}

export interface ModelCalibration {
  /**
   * 'split-run': at training time, the head trained on 2/3 of the images scored on the held-out 1/3 (stored with the
   * metrics). 'recomputed': computed on demand with the shipped model on the version's validation images (which the
   * shipped model also trained on, so it is optimistic); kept with the metrics afterwards.
   */
  source: 'split-run' | 'recomputed';
  n: number;
  /** Equal-width bins of the top-class probability. */
  bins: number;
  /** Expected calibration error: Σ_b (n_b / N) · |accuracy_b − confidence_b|. */
  ece: number;
  reliability: { lo: number; hi: number; n: number; confidence: number | null; accuracy: number | null }[];
  /**
   * The confidence temperature fitted on these images and shipped with the version (the probabilities shown are
   * p^(1/T), renormalised); `ece` and `reliability` are before it. Absent for versions trained before it (T = 1).
   */
  temperature?: number;
  /** ECE after the temperature, on the same images it was fitted on (optimistic). */
  eceTempered?: number;
}

export interface ModelDataSnapshot {
  images: number;
  train: number;
  val: number;
  /** Images per class. */
  classes: Record<string, number>;
  /** Labels per source: 'human (folder import)', 'human (review)', 'teacher (accepted)'... */
  sources: Record<string, number>;
  split: string;
  /** Folder an imported version came from (its data snapshot is "imported from <dir>"); null for versions trained here. */
  importedFrom: string | null;
}

/** A version written as files for others: inference ONNX file(s), student.json manifest, weights, tokenizer. */
export interface ModelExportInfo {
  version: number;
  dir: string;
  files: string[];
  bytes: number;
}

export interface ModelVersionDetail extends ModelVersionSummary {
  data: ModelDataSnapshot;
  hyperparams: Record<string, unknown>;
  /** Validation metrics of the split run; null when the run did not finish or had no validation images. */
  metrics: ModelMetrics | null;
  headSteps: number | null;
  /** Null when the version has no validation images (e.g. imported) or its files cannot be read. */
  calibration: ModelCalibration | null;
  dir: string | null;
  onnxPath: string | null;
  /** Images whose newest student prediction is from this version. */
  predictions: number;
}

export interface ModelActivation {
  active: ModelVersionSummary;
  previous: number | null;
  /** Images whose shown student prediction is this version's again (restored from its stored predictions). */
  restoredPredictions: number;
  /** Images whose newest prediction is from another version (this one never classified them). */
  otherPredictions: number;
}

export interface ModelComparison {
  a: number;
  b: number;
  /** 'held-out': images neither version trained on, scored now; 'same-split': both recorded the same validation images; 'recorded': not comparable on the same images. */
  basis: 'held-out' | 'same-split' | 'recorded';
  note: string;
  n: number | null;
  accuracy: { a: number | null; b: number | null };
  macroF1: { a: number | null; b: number | null };
  perClassRecall: { className: string; a: number | null; b: number | null }[];
  /** held-out only: images both versions got right, only a, only b. */
  agreement: { both: number; onlyA: number; onlyB: number; neither: number } | null;
  disagreements: { imageId: number; truth: string; a: string; b: string }[];
}

export interface ClassifyRequest {
  /** Images to classify; absent = the whole library. */
  imageIds?: number[];
  /** Classify again images that already have a prediction from the active version. */
  force?: boolean;
}

export interface ClassifyResult {
  modelVersion: number;
  classified: number;
  skipped: number;
  failed: { imageId: number; error: string }[];
  /** Images per predicted class. */
  classes: Record<string, number>;
  cancelled: boolean;
  /** startClassifyFiles: one row per file, in the order asked (nothing is stored). */
  files?: FileClassification[];
  /** startEvaluation: the active version's scores on the folder. */
  evaluation?: ModelEvaluation;
}

/** Image files on the core's machine, in the library or not, classified with the active version; nothing is stored. */
export interface ClassifyFilesRequest {
  paths: string[];
}

export interface FileClassification {
  path: string;
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
}

/** The active version scored on `<dir>/<class>/<image>` (startEvaluation). */
export interface ModelEvaluation {
  modelVersion: number;
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, { n: number; precision: number; recall: number; f1: number }>;
  /** confusion[true][predicted] in `labels` order. */
  confusion: number[][];
  labels: string[];
  /** Folders whose names are not classes of the model (reported, not scored). */
  skippedFolders: string[];
}

/** The student methods of EmmaApi (contract.ts merges every domain's). */
export interface StudentContract {
  /** Train-button defaults from the data size and the hardware, with the expected duration. */
  getTrainingPlan(request: TrainRequest): Promise<TrainingPlan>;
  /** Starts a training job (kind 'train') in a worker thread; its result is a TrainOutcomeInfo. */
  startTraining(request: TrainRequest): Promise<JobInfo>;
  getTrainingProgress(jobId: number): Promise<TrainingProgress>;
  listModelVersions(): Promise<ModelVersionSummary[]>;
  getModelVersion(id: number): Promise<ModelVersionDetail>;
  /** Makes a completed version the active one (roll back / forward). */
  activateModelVersion(id: number): Promise<ModelActivation>;
  compareModelVersions(a: number, b: number): Promise<ModelComparison>;
  /** Writes a completed version's files into a new (or empty) folder on the core's machine; audit-logged. */
  exportModelVersion(id: number, outDir: string): Promise<ModelExportInfo>;
  /** Checks an exported folder (manifest, files, ONNX loaded by onnxruntime) and adds it as a completed, inactive version with no parent. */
  importModelVersion(dir: string): Promise<ModelVersionSummary>;
  /** Classifies a selection or the library with the active version (job kind 'classify'); predictions become student proposals. */
  startClassify(request: ClassifyRequest): Promise<JobInfo>;
  /** Classifies image files with the active version (job kind 'classify'; result.files); nothing is stored. */
  startClassifyFiles(request: ClassifyFilesRequest): Promise<JobInfo>;
  /** Scores the active version on a folder of class folders (job kind 'classify'; result.evaluation). */
  startEvaluation(dir: string): Promise<JobInfo>;
}

/** Method names of StudentContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const STUDENT_METHODS = [
  'getTrainingPlan',
  'startTraining',
  'getTrainingProgress',
  'listModelVersions',
  'getModelVersion',
  'activateModelVersion',
  'compareModelVersions',
  'exportModelVersion',
  'importModelVersion',
  'startClassify',
  'startClassifyFiles',
  'startEvaluation',
] as const satisfies readonly (keyof StudentContract)[];
