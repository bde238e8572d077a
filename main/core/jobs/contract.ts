// The jobs domain's slice of the contract: every long piece of work is a job, read, listed and cancelled the
// same way, its progress one type and its result typed by its kind (main/core/jobs).
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { ImportReport } from '../library/contract.js';
import type { MaskImportResult, MeasureJobResult } from '../measure/contract.js';
import type { ClassifyResult, TrainOutcomeInfo, TrainProgressDetail } from '../student/contract.js';
import type { TeacherRunResult } from '../teacher/contract.js';

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

/** The jobs methods of EmmaApi (contract.ts merges every domain's). */
export interface JobsContract {
  getJob(id: number): Promise<JobInfo>;
  listJobs(limit: number): Promise<JobInfo[]>;
  cancelJob(id: number): Promise<JobInfo>;
}

/** Method names of JobsContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const JOBS_METHODS = ['getJob', 'listJobs', 'cancelJob'] as const satisfies readonly (keyof JobsContract)[];
