import type { JobInfo, JobKind, JobOf, JobProgress, JobResults, JobState, TrainProgressDetail } from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import type { EventHub } from '../util/events.js';
import { ensureOwner, orphanReason, reapOrphanedJobs, selfOwnerId } from './owners.js';
import { damageOf } from '../db/integrity.js';
import { CoreError } from '../errors.js';

export interface JobContext {
  readonly id: number;
  readonly signal: AbortSignal;
  /**
   * Reports progress; cheap to call often (persisted in the jobs row and broadcast at most every
   * PROGRESS_INTERVAL_MS). A training job passes its detail too: the row is the only place progress lives.
   */
  progress(done: number, total: number | null, message: string, train?: TrainProgressDetail): void;
}

interface JobRow {
  id: number;
  kind: JobKind;
  state: JobState;
  progress_json: string;
  result_json: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

const PROGRESS_INTERVAL_MS = 200;

export class JobNotFoundError extends CoreError<'not_found'> {
  constructor(id: number) {
    super('not_found', `No job with id ${id}.`);
  }
}

/** Long work (import, teacher batches, training) as persisted jobs with progress, events and cancel. */
export class JobManager {
  private readonly running = new Map<number, { kind: JobKind; controller: AbortController; promise: Promise<void> }>();

  constructor(
    private readonly db: Db,
    private readonly events: EventHub,
  ) {
    // Jobs whose process died cannot be running now: say so instead of showing them stuck. Jobs of a process
    // that is still running (the app, while `emma list` opens the same file) are left alone: see owners.ts.
    reapOrphanedJobs(db);
  }

  start<K extends JobKind>(kind: K, params: unknown, run: (ctx: JobContext) => Promise<JobResults[K]>): JobOf<K> {
    const now = nowIso();
    const owner = ensureOwner(this.db);
    const id = Number(
      this.db
        .prepare(`INSERT INTO jobs (kind, state, params_json, created_at, updated_at, owner_id) VALUES (?, 'running', ?, ?, ?, ?)`)
        .run(kind, JSON.stringify(params ?? {}), now, now, owner).lastInsertRowid,
    );
    const controller = new AbortController();
    let last = 0;
    let pending: JobProgress | null = null;
    const flush = () => {
      if (!pending) return;
      this.db.prepare(`UPDATE jobs SET progress_json = ?, updated_at = ? WHERE id = ?`).run(JSON.stringify(pending), nowIso(), id);
      pending = null;
      this.emit(id);
    };
    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (done, total, message, train) => {
        pending = train ? { done, total, message, train } : { done, total, message };
        const t = Date.now();
        if (t - last >= PROGRESS_INTERVAL_MS) {
          last = t;
          flush();
        }
      },
    };
    const promise = (async () => {
      // Let the caller receive the job before work starts.
      await Promise.resolve();
      let state: JobState = 'done';
      let result: JobResults[K] | undefined;
      let error: string | null = null;
      try {
        result = await run(ctx);
        if (controller.signal.aborted) state = 'cancelled';
      } catch (e) {
        state = controller.signal.aborted ? 'cancelled' : 'failed';
        // A damaged database names the file and the way to restore, not SQLite's bare "malformed".
        error = damageOf(e, this.db.name)?.message ?? (e instanceof Error ? e.message : String(e));
      }
      flush();
      this.db
        .prepare(`UPDATE jobs SET state = ?, result_json = ?, error = ?, updated_at = ? WHERE id = ?`)
        .run(state, result === undefined ? null : JSON.stringify(result), error, nowIso(), id);
      this.running.delete(id);
      this.emit(id);
    })();
    this.running.set(id, { kind, controller, promise });
    this.emit(id);
    return this.get(id) as JobOf<K>;
  }

  get(id: number): JobInfo {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) throw new JobNotFoundError(id);
    return toJobInfo(row);
  }

  list(limit: number): JobInfo[] {
    const rows = this.db.prepare(`SELECT * FROM jobs ORDER BY id DESC LIMIT ?`).all(limit) as JobRow[];
    return rows.map(toJobInfo);
  }

  cancel(id: number): JobInfo {
    this.running.get(id)?.controller.abort();
    return this.get(id);
  }

  /** Ids of this process's running jobs of these kinds (other processes' jobs are theirs to schedule). */
  runningOf(kinds: readonly JobKind[]): number[] {
    return [...this.running].filter(([, r]) => kinds.includes(r.kind)).map(([id]) => id);
  }

  /**
   * Ids of running or queued jobs of these kinds that other live Emma processes own on the same database (e.g. an
   * `emma train` beside the app); jobs whose owner is gone do not count.
   */
  runningElsewhere(kinds: readonly JobKind[]): number[] {
    if (kinds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT id, owner_id, updated_at FROM jobs WHERE state IN ('queued', 'running') AND kind IN (${kinds.map(() => '?').join(', ')})
           AND (owner_id IS NULL OR owner_id <> ?)`,
      )
      .all(...kinds, selfOwnerId()) as { id: number; owner_id: string | null; updated_at: string }[];
    const now = Date.now();
    return rows.filter((r) => orphanReason(this.db, r.owner_id, r.updated_at, now) === null).map((r) => r.id);
  }

  /** Resolves when the job has finished (any final state). */
  async wait(id: number): Promise<JobInfo> {
    await this.running.get(id)?.promise;
    return this.get(id);
  }

  /** Cancels everything and waits, so a shutdown never leaves half-done writes behind. */
  async shutdown(): Promise<void> {
    for (const { controller } of this.running.values()) controller.abort();
    await Promise.all([...this.running.values()].map((r) => r.promise));
  }

  private emit(id: number): void {
    this.events.emit({ type: 'job', job: this.get(id) });
  }
}

function toJobInfo(row: JobRow): JobInfo {
  // The row's kind says what its result is (JobResults); the JSON was written by that kind's job.
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    progress: JSON.parse(row.progress_json) as JobProgress,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    result: row.result_json === null ? null : (JSON.parse(row.result_json) as JobResults[JobKind]),
    error: row.error,
  } as JobInfo;
}
