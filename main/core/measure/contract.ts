// The measurement domain's slice of the contract: particle analysis and line metrology of images and files, and
// particle masks from files and from the editor (main/core/measure).
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { JobInfo } from '../jobs/contract.js';

export type { DataBarRows, Distribution, LineMeasurement, MeasureResult, Particle, ParticleSummary, SegmenterInfo } from './types.js';

/** One image of a batch measurement job (the per-particle table stays out of the job record). */
export interface MeasureJobItem {
  imageId: number;
  fileName: string;
  count: number;
  excludedAtEdge: number;
  calibrated: boolean;
  ecdMedian: number | null;
  ecdUnit: 'nm' | 'px';
  pitch: number | null;
  method: string;
}

export interface MeasureJobResult {
  results: MeasureJobItem[];
  failed: { imageId: number; error: string }[];
  /** startMeasureFiles: the full result per file measured, and the files that failed (as named in the request). */
  files?: import('./types.js').MeasureResult[];
  failedFiles?: { path: string; error: string }[];
  /**
   * The background measurement of the library (measure/background.ts): counts only (`results` stays empty: on a
   * large library a row per image would bloat the job record); the summaries themselves are stored for the chat.
   */
  background?: MeasureBackgroundResult;
}

export interface MeasureBackgroundResult {
  /** The segmenter it measured with: 'v<id>' (learnt) or 'classical'. */
  segmenter: string;
  /** Images that had no stored summary when it started. */
  total: number;
  measured: number;
  /** Summarised meanwhile by something else (a chat question, another process). */
  skipped: number;
  /** Why it stopped before the end: null (it finished), 'cancelled', or 'segmenter changed' (a new run follows). */
  stopped: null | 'cancelled' | 'segmenter changed';
}

/** Image files on the core's machine measured as a job (the command line's `emma measure`). */
export interface MeasureFilesRequest {
  paths: string[];
  /** A folder for each file's label image (`<stem>.png`); absent: none is written. */
  maskOut?: string;
  /** The classical segmentation even when a trained segmenter is active. */
  classical?: boolean;
}

export interface MaskImportResult {
  imported: { file: string; imageId: number; image: string; particles: number; replaced: boolean }[];
  failed: { file: string; error: string }[];
  skipped: string[];
}

/** A label image for the mask editor. `labels`: width*height little-endian uint16 (0 background, k particle k). */
export interface EditableMask {
  imageId: number;
  width: number;
  height: number;
  /** Rows [0, specimenRows) are the specimen; the data bar below must stay 0. */
  specimenRows: number;
  labels: Uint8Array;
  particles: number;
  /** 'stored': the image's saved mask; 'measured': labels of the current measurement (not saved yet). */
  source: 'stored' | 'measured';
  provenance: string;
  savedAt: string | null;
}

export interface SaveMaskRequest {
  imageId: number;
  width: number;
  height: number;
  /** width*height little-endian uint16 labels, data-bar rows 0. */
  labels: Uint8Array;
  /** Who drew it (lab-server mode: replaced by the signed-in user). */
  by: string;
}

export interface SavedMaskInfo {
  imageId: number;
  particles: number;
  /** Whether it replaced a mask the image had. */
  replaced: boolean;
  provenance: string;
  savedAt: string;
}

/** The particle segmenter a training run produced from the library's masks (TrainOutcomeInfo.segmenter). */
export interface SegmenterTrainingInfo {
  images: number;
  heldOut: number;
  newScore: { f1: number; imageIoU: number } | null;
  previousScore: { f1: number; imageIoU: number; version: string } | null;
  classicalScore: { f1: number; imageIoU: number } | null;
  kept: 'new' | 'previous';
  trainSeconds: number;
  note: string;
}

/** The measure methods of EmmaApi (contract.ts merges every domain's). */
export interface MeasureContract {
  /** Measures particles (and line patterns) of one library image with the active version's segmenter, else the classical default. */
  measureImage(imageId: number): Promise<import('./types.js').MeasureResult>;
  /** Measures a selection as a job with progress; the job's result is a MeasureJobResult. */
  startMeasure(imageIds: number[]): Promise<JobInfo>;
  /** Measures image files (in the library or not) as a job (kind 'measure'; result.files, result.failedFiles). */
  startMeasureFiles(request: MeasureFilesRequest): Promise<JobInfo>;
  /**
   * Imports particle masks from a folder (`<stem>.tif|png`, `<stem>_m.tif`), matched to library images by name;
   * `by` names who brought them (default: the core's mode; lab-server mode: the session user).
   */
  importMasks(dir: string, by?: string): Promise<MaskImportResult>;
  /** The same as a job (kind 'masks') with progress per file and cancel; its result is the MaskImportResult. */
  startMaskImport(dir: string, by?: string): Promise<JobInfo>;
  /** The mask the image view's editor starts from: the stored mask, else the current measurement's labels. */
  getEditableMask(imageId: number, prefer?: 'stored' | 'measured'): Promise<EditableMask>;
  /** Stores an edited label image as the image's mask ("drawn in Emma by <by>"; lab-server mode: the session user). */
  saveImageMask(request: SaveMaskRequest): Promise<SavedMaskInfo>;
}

/** Method names of MeasureContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const MEASURE_METHODS = [
  'measureImage',
  'startMeasure',
  'startMeasureFiles',
  'importMasks',
  'startMaskImport',
  'getEditableMask',
  'saveImageMask',
] as const satisfies readonly (keyof MeasureContract)[];
