// The one API contract between the UI (and the CLI) and the core: the union of the domains' slices
// (main/core/<domain>/contract.ts: each domain's types, methods and method names) and what the boundary itself owns
// (events, envelopes, error codes, the preload bridge). Types and method names only: implemented once in
// main/core/api.ts (the domains' handler maps merged) and bound three ways (Electron IPC, the loopback HTTP server,
// direct calls from the CLI). Everything crossing it is plain JSON-compatible data, except `Uint8Array` payloads,
// which each transport carries natively or encodes. The renderer and the preload take only this file from main/.

export * from './library/contract.js';
export * from './jobs/contract.js';
export * from './teacher/contract.js';
export * from './review/contract.js';
export * from './student/contract.js';
export * from './chat/contract.js';
export * from './measure/contract.js';
export * from './audit/contract.js';
import type { JobInfo, JobKind, JobResults } from './jobs/contract.js';
import type { TeacherStreamEvent } from './teacher/contract.js';
import { LIBRARY_METHODS, type LibraryContract } from './library/contract.js';
import { JOBS_METHODS, type JobsContract } from './jobs/contract.js';
import { TEACHER_METHODS, type TeacherContract } from './teacher/contract.js';
import { REVIEW_METHODS, type ReviewContract } from './review/contract.js';
import { STUDENT_METHODS, type StudentContract } from './student/contract.js';
import { CHAT_METHODS, type ChatContract } from './chat/contract.js';
import { MEASURE_METHODS, type MeasureContract } from './measure/contract.js';
import { AUDIT_METHODS, type AuditContract } from './audit/contract.js';

export type EmmaEvent =
  | { type: 'job'; job: JobInfo }
  /** `scope: 'labels'`: only labels changed (review decisions); the images, their count and files are as they were. */
  | { type: 'library-changed'; scope?: 'labels' }
  | TeacherStreamEvent;

/** Every method a client may call: the union of the domains' slices. */
export interface EmmaApi
  extends LibraryContract, JobsContract, TeacherContract, ReviewContract, StudentContract, ChatContract, MeasureContract, AuditContract {}

export type EmmaMethod = keyof EmmaApi;

/** Every method name, for the bindings' allow-lists: the domains' lists joined. */
export const EMMA_METHODS = [
  ...LIBRARY_METHODS,
  ...JOBS_METHODS,
  ...TEACHER_METHODS,
  ...REVIEW_METHODS,
  ...STUDENT_METHODS,
  ...CHAT_METHODS,
  ...MEASURE_METHODS,
  ...AUDIT_METHODS,
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

/**
 * Browser mode's page key (main/server/http-server.ts): the header Emma's page sends it in, and its name in the
 * fragment of the redirect that delivers it and in the event stream's address.
 */
export const PAGE_KEY_HEADER = 'x-emma-page-key';
export const PAGE_KEY_PARAM = 'emma-page-key';

/** What crosses a boundary when a call fails (Envelope's error). */
export interface ErrorInfo<C extends ErrorCode = ErrorCode> {
  code: C;
  message: string;
}
