// The one API contract between the UI (and the CLI) and the core.
// Types only: implemented once in main/core/api.ts and bound three ways (Electron IPC, the loopback HTTP
// server, direct calls from the CLI). Everything crossing it is plain JSON-compatible data, except
// `Uint8Array` payloads, which each transport carries natively or encodes.

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

export type LabelFilter =
  | { kind: 'any' }
  | { kind: 'unlabelled' }
  | { kind: 'labelled' }
  | { kind: 'class'; className: string };

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
}

/** A file handed over by the UI (drag and drop in a browser, where no path is known). */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export type JobKind = 'import';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  done: number;
  total: number | null;
  message: string;
}

export interface JobInfo {
  id: number;
  kind: JobKind;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  updatedAt: string;
  result: unknown;
  error: string | null;
}

export type EmmaEvent =
  | { type: 'job'; job: JobInfo }
  | { type: 'library-changed' };

export interface AppStatus {
  version: string;
  dbPath: string;
  dataDir: string;
  imageCount: number;
  /** 'electron' | 'browser' | 'lab-server' | 'cli' */
  mode: string;
}

export interface EmmaApi {
  getStatus(): Promise<AppStatus>;
  listImages(query: ListImagesQuery): Promise<ListImagesResult>;
  getImage(id: number): Promise<ImageDetail>;
  listClasses(): Promise<ClassCount[]>;
  startImport(request: ImportRequest): Promise<JobInfo>;
  startUpload(files: UploadedFile[]): Promise<JobInfo>;
  getJob(id: number): Promise<JobInfo>;
  listJobs(limit: number): Promise<JobInfo[]>;
  cancelJob(id: number): Promise<JobInfo>;
}

export type EmmaMethod = keyof EmmaApi;

/** Method names, for transports that validate what they forward. */
export const EMMA_METHODS = [
  'getStatus',
  'listImages',
  'getImage',
  'listClasses',
  'startImport',
  'startUpload',
  'getJob',
  'listJobs',
  'cancelJob',
] as const satisfies readonly EmmaMethod[];

/** Errors cross process boundaries as values, never as thrown objects. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

export type MediaKind = 'thumb' | 'preview';

// Compile-time proof that EMMA_METHODS lists every method of EmmaApi.
type MissingMethods = Exclude<EmmaMethod, (typeof EMMA_METHODS)[number]>;
export const CONTRACT_COMPLETE: MissingMethods extends never ? true : never = true;

/** What the Electron preload exposes as `window.emma`; the renderer wraps it into an EmmaApi. */
export interface EmmaBridge {
  invoke(method: EmmaMethod, args: unknown[]): Promise<Envelope<unknown>>;
  onEvent(listener: (event: EmmaEvent) => void): () => void;
  /** Absolute path of a dropped File (Electron only). */
  pathForFile(file: File): string;
}
