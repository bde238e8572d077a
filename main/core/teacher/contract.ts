// The teacher domain's slice of the contract: settings, egress, taxonomy, templates, runs, interactive questions
// and their records (main/core/teacher). Plain JSON data only; the API key never appears in any of these.
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { JobInfo } from '../jobs/contract.js';

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

/** Streamed text of an interactive teacher call. */
export interface TeacherStreamEvent {
  type: 'teacher-stream';
  streamId: string;
  delta: string;
  done: boolean;
}

/** The teacher methods of EmmaApi (contract.ts merges every domain's). */
export interface TeacherContract {
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
  /** Renames a class in place: its labels follow it, the teacher's taxonomy is updated; audit-logged. */
  renameTaxonomyClass(from: string, to: string): Promise<TaxonomyClass[]>;
}

/** Method names of TeacherContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const TEACHER_METHODS = [
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
  'renameTaxonomyClass',
] as const satisfies readonly (keyof TeacherContract)[];
