// The library domain's slice of the contract: images, classes, imports and uploads, the status line and each
// image's calibration (main/core/library).
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { JobInfo } from '../jobs/contract.js';

export type LabelSource = 'human' | 'teacher' | 'student';

export type LabelStatus = 'proposed' | 'accepted' | 'edited' | 'rejected';

export interface DataBarBox {
  /** First row of the burned-in info bar (image pixel rows). */
  y: number;
  height: number;
}

export interface ImageLabel {
  id: number;
  className: string;
  source: LabelSource;
  /** Who or what made it: an operator name, a teacher run, a model version, a folder import. */
  sourceRef: string | null;
  status: LabelStatus;
  confidence: number | null;
  createdAt: string;
}

export interface ImageSummary {
  id: number;
  sha256: string;
  fileName: string;
  width: number;
  height: number;
  bitDepth: number;
  pixelSizeNm: number | null;
  magnification: number | null;
  importedAt: string;
  /** The label shown in the grid: the newest non-rejected class label, if any. */
  label: ImageLabel | null;
}

export interface ImageDetail extends ImageSummary {
  path: string;
  fileSize: number;
  format: string;
  pages: number;
  kV: number | null;
  workingDistanceMm: number | null;
  detector: string | null;
  instrument: string | null;
  vendor: string | null;
  acquiredAt: string | null;
  dataBar: DataBarBox | null;
  /** Selected raw metadata fields as read from the file (vendor tags). */
  metadata: Record<string, string>;
  labels: ImageLabel[];
}

export type LabelFilter = { kind: 'any' } | { kind: 'unlabelled' } | { kind: 'labelled' } | { kind: 'class'; className: string };

/**
 * Images in import order (id ascending), so offset paging is stable while new images are appended.
 * `source` and `status` match the image's shown label (ImageSummary.label); `search` is a case-insensitive
 * substring of the file name.
 */
export interface ListImagesQuery {
  offset: number;
  limit: number;
  filter?: LabelFilter;
  source?: LabelSource;
  status?: LabelStatus;
  /** Substring of the file name. */
  search?: string;
}

export interface ListImagesResult {
  total: number;
  offset: number;
  items: ImageSummary[];
}

export interface ClassCount {
  className: string;
  count: number;
}

export interface ImportRequest {
  /** Files or folders on the machine that runs the core. */
  paths: string[];
  /** ImageFolder trees: `<root>/<class>/<image>` gives each image a human label named after its folder. */
  labelsFromFolders?: boolean;
}

export interface ImportFailure {
  path: string;
  error: string;
}

export interface ImportReport {
  imported: number;
  duplicates: number;
  failed: ImportFailure[];
  /** Things worth knowing that are not failures (e.g. "multi-page TIFF: 2 pages, first imported"). */
  notes: { path: string; note: string }[];
  cancelled: boolean;
  /** Which library file each duplicate matched (same content); at most the first 5,000. */
  duplicateOf?: { path: string; existing: string }[];
  /**
   * What a folder walk passed over on purpose, with why: hidden files and folders, files that are not images,
   * FIFOs, sockets and devices. Always set by the importer; absent in reports stored by an older Emma.
   */
  skipped?: ImportSkip[];
}

export interface ImportSkip {
  path: string;
  reason: string;
}

/** A file handed over by the UI (drag and drop in a browser, where no path is known). */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface AppStatus {
  version: string;
  dbPath: string;
  dataDir: string;
  imageCount: number;
  /** 'electron' | 'browser' | 'lab-server' | 'cli' */
  mode: string;
}

export interface SetScaleRequest {
  imageId: number;
  /** Length of the drawn line in image pixels (original resolution). */
  lineLengthPx: number;
  /** What the scale bar says that length is, in nm. */
  lengthNm: number;
  /** Who set it. */
  by: string;
}

export interface ImageCalibration {
  imageId: number;
  pixelSizeNm: number | null;
  source: 'metadata' | 'manual' | 'none';
  manual: { method: string; lineLengthPx: number; lengthNm: number; by: string; at: string; previousNm: number | null } | null;
}

export interface DataBarImage {
  imageId: number;
  /** First row of the bar in the image, and its size in image pixels. */
  y: number;
  width: number;
  height: number;
  /** A PNG data URL of the bar at full resolution. */
  dataUrl: string;
}

/** The library methods of EmmaApi (contract.ts merges every domain's). */
export interface LibraryContract {
  getStatus(): Promise<AppStatus>;
  listImages(query: ListImagesQuery): Promise<ListImagesResult>;
  getImage(id: number): Promise<ImageDetail>;
  listClasses(): Promise<ClassCount[]>;
  startImport(request: ImportRequest): Promise<JobInfo>;
  startUpload(files: UploadedFile[]): Promise<JobInfo>;
  // Streamed uploads (browser and lab-server mode): the bytes arrive first at POST /api/upload, one raw
  // body per file, which answers an upload id; this imports those files. Files that end up in no image
  // (failed, duplicate, cancelled) are removed from the uploads folder afterwards.
  importUploads(uploadIds: string[]): Promise<JobInfo>;
  /** Where an image's pixel size comes from (file metadata, a manual scale, none). */
  getImageCalibration(imageId: number): Promise<ImageCalibration>;
  /** Sets the pixel size from a line drawn along the burned-in scale bar; stored with provenance, audit-logged. */
  setImageScale(request: SetScaleRequest): Promise<ImageCalibration>;
  /** The cropped data bar as an image (to draw a scale along it); null when the image has none. */
  getDataBarImage(imageId: number): Promise<DataBarImage | null>;
}

/** Method names of LibraryContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const LIBRARY_METHODS = [
  'getStatus',
  'listImages',
  'getImage',
  'listClasses',
  'startImport',
  'startUpload',
  'importUploads',
  'getImageCalibration',
  'setImageScale',
  'getDataBarImage',
] as const satisfies readonly (keyof LibraryContract)[];
