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

export type JobKind = 'import' | 'teacher' | 'train' | 'classify' | 'measure' | 'masks';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * The one progress type: what a job has done, persisted in its jobs row (so it survives a restart) and pushed in
 * 'job' events. Training jobs add their phase, loss curve, ETA and execution provider under `train`.
 */
export interface JobProgress {
  done: number;
  total: number | null;
  message: string;
  /** Training jobs only; absent in other kinds and in rows written by an older Emma. */
  train?: TrainProgressDetail;
}

/** What each kind of job answers when it is done (JobInfo.result); null while it runs and after a failure. */
export interface JobResults {
  import: ImportReport;
  teacher: TeacherRunResult;
  train: TrainOutcomeInfo;
  classify: ClassifyResult;
  measure: MeasureJobResult;
  masks: MaskImportResult;
}

/** A job of one kind, its result typed by that kind. */
export interface JobOf<K extends JobKind> {
  id: number;
  kind: K;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  updatedAt: string;
  result: JobResults[K] | null;
  error: string | null;
}

/** Any job: a union by kind, so `if (job.kind === 'train') job.result` is a TrainOutcomeInfo without a cast. */
export type JobInfo = { [K in JobKind]: JobOf<K> }[JobKind];

export type EmmaEvent =
  | { type: 'job'; job: JobInfo }
  /** `scope: 'labels'`: only labels changed (review decisions); the images, their count and files are as they were. */
  | { type: 'library-changed'; scope?: 'labels' }
  | TeacherStreamEvent;

export interface AppStatus {
  version: string;
  dbPath: string;
  dataDir: string;
  imageCount: number;
  /** 'electron' | 'browser' | 'lab-server' | 'cli' */
  mode: string;
}

// ---- Teacher (main/core/teacher) ----
// Plain JSON data only; the API key never appears in any of these.

export type TeacherProvider = 'openai' | 'azure' | 'compatible';
export type TeacherResponseFormat = 'json_schema' | 'json_object' | 'text';
export type TeacherQaKind = 'identification' | 'morphology' | 'size' | 'defects' | 'process';

export interface TeacherPrice {
  /** US dollars per 1M input (prompt) tokens. */
  inputPerMTok: number;
  /** US dollars per 1M output (completion) tokens. */
  outputPerMTok: number;
}

export interface TeacherConfig {
  provider: TeacherProvider;
  /** openai: https://api.openai.com/v1; azure: https://<resource>.openai.azure.com; compatible: e.g. http://localhost:11434/v1 */
  baseUrl: string;
  /** Model name; for Azure the deployment name. */
  model: string;
  /** Azure OpenAI only: the api-version query parameter. */
  azureApiVersion: string | null;
  /** Class names (from the classes table) the teacher may answer with. Empty: every class in the table. */
  classNames: string[];
  /** Prompt template by name; version null = the newest version of that template. */
  templateName: string;
  templateVersion: number | null;
  /** Question–answer pairs per image (kinds cycle identification, morphology, size, defects, process). */
  qaCount: number;
  /** Long side of the image sent, in pixels (downscaled, never enlarged). */
  maxImageSide: number;
  imageDetail: 'low' | 'high' | 'auto';
  /** Send acquisition metadata (instrument, kV, WD, detector, magnification) as text. The calibrated pixel size is always sent. */
  sendMetadata: boolean;
  temperature: number;
  maxOutputTokens: number;
  concurrency: number;
  /** Attempts per request for transient failures (429, 5xx, network, timeout). */
  maxAttempts: number;
  requestTimeoutMs: number;
  /** Price per model name; defaults are list prices at the time of writing, to be checked by the site. */
  prices: Record<string, TeacherPrice>;
  /**
   * Paraphrases the teacher is asked for per question wording of the chat's question layer (text only, no image:
   * one request per run, cached by its content, counted against the run's budget, audited); 0: not asked.
   */
  paraphraseCount: number;
}

export interface TeacherCapabilities {
  endpoint: string;
  model: string;
  reachable: boolean;
  vision: boolean | null;
  jsonSchema: boolean | null;
  jsonObject: boolean | null;
  streaming: boolean | null;
  /** What the probes saw, one line each (no secrets). */
  notes: string[];
  probedAt: string;
}

export interface TeacherEgress {
  enabled: boolean;
  changedAt: string | null;
  changedBy: string | null;
}

export interface TeacherSettings {
  config: TeacherConfig;
  egress: TeacherEgress;
  /** Whether a key is available, and from where ('env OPENAI_API_KEY', 'key file', 'safeStorage'...). Never the key. */
  keyConfigured: boolean;
  keySource: string;
  /** The last probe of the configured endpoint + model, if any. */
  capabilities: TeacherCapabilities | null;
}

export type TeacherConfigPatch = Partial<TeacherConfig>;

export interface TaxonomyClass {
  name: string;
  description: string;
}

export interface TaxonomySet {
  id: string;
  title: string;
  classes: TaxonomyClass[];
}

export interface TeacherTemplateDraft {
  name: string;
  system: string;
  user: string;
  notes?: string;
}

export interface TeacherTemplate {
  id: number;
  name: string;
  version: number;
  system: string;
  user: string;
  notes: string;
  createdAt: string;
}

export interface TeacherRunRequest {
  /** Images to run over; absent = the whole library. */
  imageIds?: number[];
  /** At most this many images that still need an answer. */
  limit?: number;
  concurrency?: number;
  budgetUsd?: number;
  budgetTokens?: number;
  /** Continue an earlier run (same configuration and selection); finished images are not paid for again. */
  resumeRunId?: number;
  /** Ask again for images whose earlier answer was invalid (they are skipped by default). */
  retryInvalid?: boolean;
}

export interface TeacherFlag {
  image: string;
  imageId: number;
  reason: string;
}

export type TeacherStop = 'done' | 'budget' | 'cancelled' | 'failed';

export interface TeacherRunResult {
  runId: number;
  stopped: TeacherStop;
  stopDetail: string | null;
  /** Images that reached a final outcome in this job (proposed or flagged). */
  processed: number;
  proposals: number;
  flagged: TeacherFlag[];
  /** Images proposed from a partly valid answer: their invalid Q&A items alone were flagged (counted in proposals). */
  partial?: TeacherFlag[];
  /** Images skipped because an earlier answer for the same configuration exists. */
  skipped: number;
  /** Images not reached (budget stop or cancel). */
  remaining: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  responseFormat: TeacherResponseFormat;
  /** The run's paraphrase request (absent for runs made before it existed). */
  paraphrases?: TeacherParaphraseOutcome;
}

/**
 * What became of a run's one text-only request for paraphrases of the question wordings: 'valid' (asked and
 * stored), 'cached' (the same request was answered before: not sent again), 'invalid' (asked, repaired once, still
 * unusable: flagged, nothing stored), 'budget' (not sent: it would exceed the run's budget), 'failed' (the request
 * failed), 'cancelled', 'off' (paraphraseCount is 0).
 */
export interface TeacherParaphraseOutcome {
  status: 'valid' | 'cached' | 'invalid' | 'budget' | 'failed' | 'cancelled' | 'off';
  /** Question wordings sent (or that would have been). */
  sources: number;
  /** Valid paraphrases kept (stored or from the cache). */
  paraphrases: number;
  /** Paraphrases of a usable answer left out by validation (empty, digits only, duplicates, too long, slot lost...). */
  dropped: number;
  /** HTTP requests this run made for it (repair included). */
  requests: number;
  reason: string | null;
}

export interface TeacherRunSummary {
  id: number;
  jobId: number | null;
  state: 'running' | 'done' | 'budget' | 'cancelled' | 'failed';
  stopDetail: string | null;
  provider: TeacherProvider;
  endpointHost: string;
  model: string;
  template: string;
  configKey: string;
  images: number;
  valid: number;
  invalid: number;
  failed: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  budgetUsd: number | null;
  budgetTokens: number | null;
  createdAt: string;
  updatedAt: string;
  /** False when the model had no price for this run: costUsd is then 0 but means "unknown", not free. */
  costKnown: boolean;
}

export interface TeacherQa {
  kind: TeacherQaKind;
  question: string;
  answer: string;
  valueNm: number | null;
}

export interface TeacherAnswer {
  className: string;
  confidence: number;
  rationale: string;
  caption: string;
  qa: TeacherQa[];
  /** Q&A items left out of a partly valid answer (the rest was kept), with why. */
  invalidQa?: { index: number; kind: string | null; question: string | null; answer: string | null; reason: string }[];
}

export interface TeacherOutput {
  id: number;
  runId: number;
  imageId: number;
  status: 'valid' | 'invalid' | 'failed';
  reason: string | null;
  template: string;
  answer: TeacherAnswer | null;
  labelId: number | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  createdAt: string;
}

export interface TeacherOutputQuery {
  imageId?: number;
  runId?: number;
  status?: 'valid' | 'invalid' | 'failed';
  offset: number;
  limit: number;
}

export interface TeacherAskRequest {
  imageId: number;
  question: string;
  /** Chosen by the caller to match the 'teacher-stream' events of this call. */
  streamId?: string;
}

export interface TeacherAskResult {
  streamId: string;
  answer: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface TeacherAuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

// ---- Audit (main/core/audit) ----

export interface AuditQuery {
  /** A kind of entry: egress switches, paid requests, runs, configuration, model import/export, exports. */
  kind?: 'all' | 'egress' | 'requests' | 'runs' | 'configuration' | 'models' | 'exports';
  /** Exactly this person or process ('browser', 'cli', an operator's name). */
  actor?: string;
  /** Exactly this action ('teacher.request', 'teacher.egress.on'...). */
  action?: string;
  /** ISO timestamps: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  /** Substring of the details, action or actor. */
  search?: string;
  offset: number;
  limit: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  /** Tokens of a teacher request entry (null for other entries). */
  promptTokens: number | null;
  completionTokens: number | null;
  /** US$; null where unknown (the model had no price) or not a paid entry. */
  costUsd: number | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Entries matching the query (all pages). */
  total: number;
  /** Every actor and action in the log, for the filter pickers. */
  actors: string[];
  actions: string[];
  /** The teacher requests among the matching entries: counts, tokens, known cost, and how many had no price. */
  requests: { count: number; promptTokens: number; completionTokens: number; costUsd: number; unpricedCount: number };
}

// ---- Calibration (main/core/library/calibration.ts) ----

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

/** Streamed text of an interactive teacher call. */
export interface TeacherStreamEvent {
  type: 'teacher-stream';
  streamId: string;
  delta: string;
  done: boolean;
}

// ---- Review (main/core/review) ----
// Operator decisions on proposals (teacher or student), manual labels and Q&A pairs, queues, agreement, exports.
// Every decision is one append-only history row; undo is a decision too (it names the one it reverts).

export type ReviewQueueKind = 'proposals' | 'unlabelled' | 'active' | 'flagged';
export type ReviewAction = 'accept' | 'edit' | 'reject' | 'skip' | 'flag' | 'assign' | 'annotate' | 'undo';

export interface ReviewQueueQuery {
  queue: ReviewQueueKind;
  limit: number;
  /** Image ids the caller already holds or has just decided: not returned again. */
  exclude?: number[];
  /** Spread the order over proposed classes and acquisition series, so near-identical images do not come in a row. */
  diversity?: boolean;
  /** Whose skips go to the end of the queue. */
  reviewer?: string;
}

export interface ReviewAnnotation {
  id: number;
  kind: 'caption' | 'qa';
  qaKind: string | null;
  question: string | null;
  answer: string;
  valueNm: number | null;
  source: LabelSource;
  sourceRef: string | null;
  status: LabelStatus;
  /** The proposal this row replaces (an operator's edit of it); null for proposals and hand-written pairs. */
  supersedesId: number | null;
}

/** What is being decided on: the newest teacher label of the image, else the newest student label. */
export interface ReviewProposal {
  labelId: number;
  className: string;
  confidence: number | null;
  source: LabelSource;
  sourceRef: string | null;
  status: LabelStatus;
  rationale: string | null;
  teacherRunId: number | null;
  teacherOutputId: number | null;
  /** Prompt template as name@version. */
  templateRef: string | null;
}

export interface StudentPrediction {
  className: string;
  confidence: number | null;
  /** The model version that predicted it (labels.source_ref). */
  sourceRef: string | null;
  /** Top-1 minus top-2 probability, where the student stored more than one class; null otherwise. */
  margin: number | null;
  /** Normalised entropy 0..1 of the stored class probabilities; null with a single class. */
  entropy: number | null;
}

export interface ReviewRowState {
  table: 'labels' | 'annotations';
  id: number;
  /** null: the row did not exist on this side (created by the decision, or removed by its undo). */
  status: LabelStatus | null;
  className?: string;
  question?: string | null;
  answer?: string;
}

export interface ReviewDecision {
  id: number;
  imageId: number;
  action: ReviewAction;
  reviewer: string;
  at: string;
  proposedClass: string | null;
  /** The class the operator settled on; null for a reject (or a skip / flag / note). */
  finalClass: string | null;
  proposalLabelId: number | null;
  proposalSource: LabelSource | null;
  proposalRef: string | null;
  teacherRunId: number | null;
  templateRef: string | null;
  studentRef: string | null;
  studentClass: string | null;
  before: ReviewRowState[];
  after: ReviewRowState[];
  undoesId: number | null;
  /** The undo that reverted this decision, if any. */
  undoneBy: number | null;
  note: string | null;
}

export interface ReviewItem {
  image: ImageSummary & { dataBar: DataBarBox | null };
  proposal: ReviewProposal | null;
  /** Caption and Q&A pairs as they stand: an operator's edit shown in place of the proposal it replaces. */
  annotations: ReviewAnnotation[];
  student: StudentPrediction | null;
  /** The newest decision on this image still in effect (any reviewer). */
  lastDecision: ReviewDecision | null;
  /** Why the image is at this place in the queue (active learning), in words. */
  reason: string | null;
  priority: number | null;
}

export interface ReviewQueuePage {
  queue: ReviewQueueKind;
  /** Images in the queue, those excluded included. */
  total: number;
  items: ReviewItem[];
}

export interface ReviewTextEdit {
  /** The annotation shown (a proposal, or an earlier edit of it). */
  annotationId: number;
  answer: string;
  question?: string;
}

export interface ReviewDecisionRequest {
  imageId: number;
  action: 'accept' | 'reject' | 'skip' | 'flag';
  /** Accept with this class instead of the proposed one (an edit); required where there is no proposal. */
  className?: string;
  /** Edited caption / answers, accepted with the decision. */
  edits?: ReviewTextEdit[];
  reviewer: string;
  note?: string;
}

/**
 * decideReview's answer: the decision and everything the review screen shows after it, in one round trip: the
 * decided image's state now (its label, texts and last decision) for the history strip and going back to it.
 */
export interface ReviewDecisionResult extends ReviewDecision {
  item: ReviewItem;
}

export interface ReviewUndoRequest {
  reviewer: string;
  /** Default: the reviewer's newest decision still in effect. */
  decisionId?: number;
}

export interface ReviewUndoResult {
  undo: ReviewDecision;
  undone: ReviewDecision;
}

export interface ReviewHistoryQuery {
  imageId?: number;
  reviewer?: string;
  /** Older than this decision id (paging back). */
  beforeId?: number;
  limit: number;
}

export interface AssignLabelsRequest {
  imageIds: number[];
  className: string;
  reviewer: string;
}

export interface AssignLabelsResult {
  decisions: number;
  /** Images that already had exactly this class from this reviewer. */
  unchanged: number;
}

export interface AddAnnotationRequest {
  imageId: number;
  kind: 'caption' | 'qa';
  question?: string;
  answer: string;
  reviewer: string;
}

export interface AgreementCount {
  n: number;
  agreed: number;
  /** agreed / n; null when n = 0. */
  rate: number | null;
}

export interface ClassAgreement {
  className: string;
  /** Reviewed teacher proposals of this class, and how many the operator kept. */
  teacher: AgreementCount;
  /** Operator-labelled images of this class with a student prediction, and how many the student got. */
  student: AgreementCount;
}

export interface OperatorKappa {
  a: string;
  b: string;
  /** Images both reviewed. */
  n: number;
  observed: number;
  /** Cohen's kappa over the final classes (a reject counts as its own category); null when undefined. */
  kappa: number | null;
}

export interface ReviewStats {
  queues: Record<ReviewQueueKind, number>;
  /** Decisions in effect (not undone), all actions. */
  decisions: number;
  reviewedImages: number;
  reviewers: { reviewer: string; decisions: number; lastAt: string }[];
  teacher: AgreementCount;
  student: AgreementCount;
  perClass: ClassAgreement[];
  kappa: OperatorKappa[];
}

export type ReviewExportFormat = 'llava' | 'jsonl' | 'csv' | 'imagefolder';

export interface ReviewExportFilter {
  classNames?: string[];
  /** Only images whose class an operator of these decided (folder-import labels have none). */
  reviewers?: string[];
  /** Only images with a review decision (leaves out accepted labels that came with an import). */
  reviewedOnly?: boolean;
}

export interface ReviewExportRequest {
  format: ReviewExportFormat;
  /** A file (llava, jsonl, csv) or a folder (imagefolder), on the machine that runs the core. */
  outPath: string;
  filter?: ReviewExportFilter;
  /** imagefolder (and llava's images/ folder): copy the originals (default), hard-link or symlink them. */
  imageMode?: 'copy' | 'hardlink' | 'symlink';
  /** Write PNG copies of the specimen area, data bar cropped, instead of the original files. */
  cropDataBar?: boolean;
  /** llava: copy the images into an images/ folder beside the JSON and refer to them relatively. */
  copyImages?: boolean;
  actor?: string;
}

export interface ReviewExportInfo {
  id: number;
  format: ReviewExportFormat;
  outPath: string;
  filter: ReviewExportFilter;
  images: number;
  files: number;
  /** Images per class in the export. */
  classes: Record<string, number>;
  createdBy: string;
  createdAt: string;
}

// ---- Student (main/core/student, main/core/models) ----
// The local model: training jobs, model versions (exactly one active), classification as student proposals,
// similar images from its memory, and questions about an image (once the student's language half exists).

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

/** One question about a library image (its id) or an image file on the core's machine; nothing is saved in a chat. */
export interface AskOnceRequest {
  image: number | string;
  question: string;
}

export interface SimilarImage {
  image: ImageSummary;
  /** Cosine similarity of the student's features (1 = same texture statistics). */
  similarity: number;
  /** The reviewed class the memory holds for it. */
  className: string | null;
}

export interface StudentCapabilities {
  activeVersion: number | null;
  classify: boolean;
  similar: boolean;
  answer: boolean;
  findByText: boolean;
  /** In words: what the active model can and cannot do. */
  note: string;
}

export type ChatRole = 'user' | 'student' | 'teacher' | 'correction';

export interface ChatMessage {
  id: number;
  imageId: number;
  role: ChatRole;
  text: string;
  confidence: number | null;
  /** 'v3' for the student, the model name for the teacher, the reviewer for a correction. */
  modelRef: string | null;
  /** The question this answers, or the answer this corrects. */
  replyTo: number | null;
  /** The reviewed Q&A pair a correction became. */
  annotationId: number | null;
  createdAt: string;
}

export interface AskStudentRequest {
  imageId: number;
  question: string;
  /** Earlier turns; absent = the image's saved chat. */
  history?: { role: 'user' | 'student'; text: string }[];
}

export interface StudentAnswer {
  /** false: the active model cannot answer questions (nothing is made up); `note` says why. */
  supported: boolean;
  answer: string | null;
  confidence: number | null;
  modelVersion: number | null;
  note: string | null;
  question: ChatMessage | null;
  message: ChatMessage | null;
  /** How the answer was reached (intent, refusal, evidence); absent from answers of older cores. */
  grounding?: AnswerGrounding | null;
}

/** The grounded chat's account of one answer (main/core/chat). */
export interface AnswerGrounding {
  /** which | yesno | measure | calibration | describe | process | oos */
  intent: string;
  intentProbability: number;
  refused: boolean;
  /** Why it was refused or could not be measured. */
  reason: string | null;
  /** Egress is on and the student could not answer: the chat offers to ask the teacher. */
  offerTeacher: boolean;
  /** The class the answer is about; for yes/no questions `yes` is the answer. */
  className: string | null;
  yes: boolean | null;
  /** The classifier's prediction (top 3, probabilities). */
  prediction: { className: string; probability: number }[];
  /** Reviewed images the student finds most similar. */
  similar: { imageId: number; className: string | null; similarity: number }[];
  /** The measurement used, in words (null: none). */
  measurement: string | null;
  pixelSizeNm: number | null;
  /** What the content came from, in words. */
  source: string;
}

/** Find by text, grounded in the classifier (main/core/chat/find.ts). */
export interface TextSearchResult {
  results: SimilarImage[];
  /** The text matches no class of the taxonomy well enough: nothing is a good match. */
  noGoodMatch: boolean;
  /** The class the text was read as (null: none), and how well it matched (1 = named). */
  readAs: { className: string; weight: number }[];
  match: number;
  threshold: number;
  /** Images searched (those the active version has classified) and those it has not classified yet. */
  searched: number;
  notClassified: number;
  modelVersion: number | null;
  note: string;
}

export interface ChatTeacherRequest {
  imageId: number;
  question: string;
  /** The user message this asks about (asked of the student first); absent = a new question. */
  replyTo?: number;
  streamId?: string;
}

export interface ChatCorrection {
  /** The student answer being corrected. */
  messageId: number;
  answer: string;
  reviewer: string;
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

  // Teacher. The API key goes in (setTeacherApiKey) and never comes out: settings say only whether one is set.
  getTeacherSettings(): Promise<TeacherSettings>;
  updateTeacherConfig(patch: TeacherConfigPatch): Promise<TeacherSettings>;
  /** The per-project egress switch (recorded in the audit log under `person` when given); off = no request leaves the PC. */
  setTeacherEgress(enabled: boolean, person?: string | null): Promise<TeacherSettings>;
  setTeacherApiKey(key: string | null): Promise<TeacherSettings>;
  /**
   * Probes the endpoint (image input, json_schema, json_object, streaming) and stores what it supports;
   * `overrides` (the command line's --base-url, --model...) apply to this probe only (ignored in lab-server mode).
   */
  testTeacherConnection(overrides?: TeacherConfigPatch): Promise<TeacherCapabilities>;
  listTaxonomySets(): Promise<TaxonomySet[]>;
  /** Adds a built-in set to the classes and makes it the teacher's taxonomy. */
  applyTaxonomySet(setId: string, mode?: 'replace' | 'merge'): Promise<TeacherSettings>;
  listTaxonomy(): Promise<TaxonomyClass[]>;
  saveTaxonomyClass(cls: TaxonomyClass): Promise<TaxonomyClass[]>;
  listTeacherTemplates(): Promise<TeacherTemplate[]>;
  /** Saves the next version of a prompt template. */
  saveTeacherTemplate(draft: TeacherTemplateDraft): Promise<TeacherTemplate>;
  /** Starts a batch job (kind 'teacher'); its result is a TeacherRunResult. `overrides`: for this run only, as above. */
  startTeacherRun(request: TeacherRunRequest, overrides?: TeacherConfigPatch): Promise<JobInfo>;
  listTeacherRuns(limit: number): Promise<TeacherRunSummary[]>;
  getTeacherRun(id: number): Promise<TeacherRunSummary>;
  listTeacherOutputs(query: TeacherOutputQuery): Promise<TeacherOutput[]>;
  /** One streamed question about one image: 'teacher-stream' events carry the text as it arrives. */
  teacherAsk(request: TeacherAskRequest): Promise<TeacherAskResult>;
  /** Teacher entries of the audit log, newest first (requests, egress and configuration changes). */
  listTeacherAudit(limit: number): Promise<TeacherAuditEntry[]>;
  // Review (main/core/review). Every decision is an append-only history row; an undo is one too.
  /** The next images of a queue, each with its proposal, caption and Q&A pairs, student prediction and last decision. */
  getReviewQueue(query: ReviewQueueQuery): Promise<ReviewQueuePage>;
  getReviewItem(imageId: number): Promise<ReviewItem>;
  /** Accept (with an edited class or texts: an edit), reject, skip or flag for an expert; answers with the image as it now stands. */
  decideReview(request: ReviewDecisionRequest): Promise<ReviewDecisionResult>;
  /** Reverts a decision (default: the reviewer's newest in effect); on one image, newest first. */
  undoReview(request: ReviewUndoRequest): Promise<ReviewUndoResult>;
  /** Decisions, newest first. */
  listReviewHistory(query: ReviewHistoryQuery): Promise<ReviewDecision[]>;
  /** One class for many images (manual labeling); one decision per image. */
  assignLabels(request: AssignLabelsRequest): Promise<AssignLabelsResult>;
  /** A caption or question–answer pair written by hand. */
  addAnnotation(request: AddAnnotationRequest): Promise<ReviewDecision>;
  getReviewStats(): Promise<ReviewStats>;
  /** Writes the reviewed set (llava, jsonl, csv, imagefolder) on the core's machine and records it. */
  exportReview(request: ReviewExportRequest): Promise<ReviewExportInfo>;
  listReviewExports(limit: number): Promise<ReviewExportInfo[]>;

  // Student (main/core/student via main/core/models). Training and classification run as jobs.
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
  /** The grounded answer to one question, saved nowhere (the command line's `emma ask`). */
  askStudentOnce(request: AskOnceRequest): Promise<StudentAnswer>;
  findSimilar(imageId: number, k: number): Promise<SimilarImage[]>;
  findByText(text: string, k: number): Promise<SimilarImage[]>;
  getStudentCapabilities(): Promise<StudentCapabilities>;
  /** Asks the active student about an image; the question and answer are saved in the image's chat. */
  askStudent(request: AskStudentRequest): Promise<StudentAnswer>;
  /** Asks the teacher in the image's chat ('teacher-stream' events); refused while egress is off. */
  askTeacherInChat(request: ChatTeacherRequest): Promise<ChatMessage>;
  /** Corrects a student answer in place: saved in the chat and as a reviewed Q&A pair. */
  correctChatAnswer(request: ChatCorrection): Promise<ChatMessage>;
  listChat(imageId: number): Promise<ChatMessage[]>;

  // Streamed uploads (browser and lab-server mode): the bytes arrive first at POST /api/upload, one raw
  // body per file, which answers an upload id; this imports those files. Files that end up in no image
  // (failed, duplicate, cancelled) are removed from the uploads folder afterwards.
  importUploads(uploadIds: string[]): Promise<JobInfo>;
  /** Images ranked by the probability that they show what a text describes, or "no good match". */
  searchImagesByText(text: string, k: number): Promise<TextSearchResult>;
  // Audit (main/core/audit): the lab lead's read of the whole audit log.
  listAuditLog(query: AuditQuery): Promise<AuditPage>;
  /** The same selection, unpaged, as CSV text (the caller saves it). */
  exportAuditCsv(query: Omit<AuditQuery, 'offset' | 'limit'>): Promise<string>;
  /** Renames a class in place: its labels follow it, the teacher's taxonomy is updated; audit-logged. */
  renameTaxonomyClass(from: string, to: string): Promise<TaxonomyClass[]>;
  /** Where an image's pixel size comes from (file metadata, a manual scale, none). */
  getImageCalibration(imageId: number): Promise<ImageCalibration>;
  /** Sets the pixel size from a line drawn along the burned-in scale bar; stored with provenance, audit-logged. */
  setImageScale(request: SetScaleRequest): Promise<ImageCalibration>;
  /** The cropped data bar as an image (to draw a scale along it); null when the image has none. */
  getDataBarImage(imageId: number): Promise<DataBarImage | null>;
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
  'getTeacherSettings',
  'updateTeacherConfig',
  'setTeacherEgress',
  'setTeacherApiKey',
  'testTeacherConnection',
  'listTaxonomySets',
  'applyTaxonomySet',
  'listTaxonomy',
  'saveTaxonomyClass',
  'listTeacherTemplates',
  'saveTeacherTemplate',
  'startTeacherRun',
  'listTeacherRuns',
  'getTeacherRun',
  'listTeacherOutputs',
  'teacherAsk',
  'listTeacherAudit',
  'getReviewQueue',
  'getReviewItem',
  'decideReview',
  'undoReview',
  'listReviewHistory',
  'assignLabels',
  'addAnnotation',
  'getReviewStats',
  'exportReview',
  'listReviewExports',
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
  'askStudentOnce',
  'findSimilar',
  'findByText',
  'getStudentCapabilities',
  'askStudent',
  'askTeacherInChat',
  'correctChatAnswer',
  'listChat',
  'importUploads',
  // measurement (issue 13)
  'measureImage',
  'startMeasure',
  'startMeasureFiles',
  'importMasks',
  'startMaskImport',
  'getEditableMask',
  'saveImageMask',
  'searchImagesByText',
  'listAuditLog',
  'exportAuditCsv',
  'renameTaxonomyClass',
  'getImageCalibration',
  'setImageScale',
  'getDataBarImage',
] as const satisfies readonly EmmaMethod[];

/** Errors cross process boundaries as values, never as thrown objects. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export type MediaKind = 'thumb' | 'preview';

// Compile-time proof that JobResults names exactly the job kinds.
type UntypedJobKinds = Exclude<JobKind, keyof JobResults> | Exclude<keyof JobResults, JobKind>;
export const JOB_RESULTS_COMPLETE: UntypedJobKinds extends never ? true : never = true;

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

// ---- Particle and line measurement (issue 13) ----
export type { DataBarRows, Distribution, LineMeasurement, MeasureResult, Particle, ParticleSummary, SegmenterInfo } from './measure/types.js';

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
  files?: import('./measure/types.js').MeasureResult[];
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

// Merged into EmmaApi above (interface declaration merging keeps this block self-contained).
export interface EmmaApi {
  /** Measures particles (and line patterns) of one library image with the active version's segmenter, else the classical default. */
  measureImage(imageId: number): Promise<import('./measure/types.js').MeasureResult>;
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

// Merged into TrainOutcomeInfo above.
export interface TrainOutcomeInfo {
  /** Particle segmenter trained from masks in this run; null/absent when the library has none. */
  segmenter?: SegmenterTrainingInfo | null;
  /** What the run trained, in words, when it is not the usual student (masks and no class labels). */
  note?: string;
}

// ---- Errors (issue 15) ----
// Every code a call can fail with, in one list: the core throws CoreError<Code> (main/core/errors.ts), every
// transport carries { code, message } in the envelope, and the UI words its message by code
// (renderer/src/lib/errors.ts), so a new code without an operator-friendly text is a compile error there.

export const ERROR_CODES = [
  // the request
  'invalid_arguments',
  'unknown_method',
  'bad_request',
  'too_large',
  'not_found',
  'exists',
  'conflict',
  'invalid_state',
  'not_supported',
  'cancelled',
  // access (lab server, Electron frames, confined paths)
  'forbidden',
  'login_required',
  'bad_login',
  'rate_limited',
  'outside_data_folders',
  // review
  'unknown_class',
  'no_class',
  'bad_undo',
  'nothing_to_undo',
  'undo_order',
  'bad_edit',
  'bad_annotation',
  'nothing_to_reject',
  'empty_export',
  // teacher
  'egress_disabled',
  'teacher_setup',
  'teacher_busy',
  'teacher_unreachable',
  'teacher_auth',
  'teacher_rejected',
  'teacher_failed',
  'key_store_unavailable',
  'invalid_template',
  'invalid_taxonomy',
  // student and images
  'invalid_model',
  'image_unreadable',
  'invalid_mask',
  // users (lab server accounts)
  'bad_name',
  'bad_role',
  'weak_password',
  // the installation
  'database_damaged',
  'core_stopped',
  /** The transport failed (an HTTP error page, a dropped connection): the call may or may not have run. */
  'transport',
  /** Anything else: a bug or an unexpected failure; the message says what. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What crosses a boundary when a call fails (Envelope's error). */
export interface ErrorInfo<C extends ErrorCode = ErrorCode> {
  code: C;
  message: string;
}
