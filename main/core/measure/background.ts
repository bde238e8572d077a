// Background measurement of the library: images with no stored measurement summary for the segmenter in use are
// measured in the inference pool at 'batch' priority, so a count or size question about them later reads a row
// instead of running the particle analysis while the operator waits.
//
// A job (kind 'measure', params.background), not a quiet queue: on a large library this is minutes to an hour of
// CPU (about 0.2 s per image with the classical default, 0.8 s with a learnt segmenter on one core), which an operator notices
// (fans, a slower machine) and should be able to see, follow and stop in the job list like the classification it
// follows. A cancelled run stays cancelled until something changes (an import, an activation, a training run, the
// next start).
//
// It yields to everything the operator asked for: it starts only when no import, classification, training or
// other measurement job of this process runs, and pauses while one does; it submits one image at a time per lane,
// on fewer lanes than the pool has workers, and only after interactive pool requests have been quiet for a while,
// so a chat question waits at most for nothing (a free worker) or one image in flight.
import type { JobKind, MeasureBackgroundResult, MeasureJobResult } from '../contract.js';
import type { Db } from '../db/database.js';
import type { InferencePool } from '../host/inference-pool.js';
import type { JobContext, JobManager } from '../jobs/job-manager.js';
import type { EventHub } from '../util/events.js';
import { segmenterKey, type MeasureService, type SegmenterInUse } from './service.js';
import { segmenterVersionInUse } from './segmenter-store.js';

/** Jobs of this process that go first: the background run waits for them to end, and pauses while one runs. */
const GOES_FIRST: readonly JobKind[] = ['import', 'classify', 'train', 'measure'];
/**
 * Jobs of other processes on the same database (an `emma train` or `emma classify` beside the app) that pause a run
 * under way; not their measurements, or two apps' background runs would wait for each other for ever.
 */
const GOES_FIRST_ELSEWHERE: readonly JobKind[] = ['import', 'classify', 'train'];

export interface BackgroundMeasureDeps {
  db: Db;
  jobs: JobManager;
  events: EventHub;
  pool: InferencePool;
  measure: MeasureService;
  /** Quiet spell after the last interactive pool request before the next image is submitted (ms; default 500). */
  quietMs?: number;
  /** Images measured at once (default: one fewer than the pool's workers, at least one). */
  lanes?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

class Stopped extends Error {}

/** Settles with `p`, or rejects with Stopped as soon as `signal` aborts (the late result of `p` is dropped). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new Stopped());
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new Stopped());
    signal.addEventListener('abort', stop, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', stop), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', stop), reject(e)),
    );
  });
}

export class BackgroundMeasure {
  /** The running job's id, or null. */
  private job: number | null = null;
  /** Asked to run and waiting for the jobs that go first. */
  private pending = false;
  /** Asked again while a run was going: one more run after it, over what is then left. */
  private again = false;
  private delay: ReturnType<typeof setTimeout> | null = null;
  /** requestAfter calls whose first step has not settled yet. */
  private starting = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly d: BackgroundMeasureDeps) {
    // A job that goes first has ended: perhaps the pending run may start now.
    this.unsubscribe = d.events.on((e) => {
      if (e.type === 'job' && e.job.state !== 'running' && e.job.state !== 'queued' && this.pending) this.kick();
    });
  }

  /**
   * Measures what has no summary, now or after the jobs that go first (after `delayMs` when given: the start of the
   * app). Never throws: whatever triggered it (an import, an activation) must not fail because of it.
   */
  request(delayMs = 0): void {
    if (this.closed) return;
    try {
      if (delayMs > 0) {
        if (this.delay) return;
        this.delay = setTimeout(() => {
          this.delay = null;
          this.request();
        }, delayMs);
        this.delay.unref?.();
        return;
      }
      if (this.job !== null) this.again = true;
      else {
        this.pending = true;
        this.kick();
      }
    } catch {
      // A cache filled in the background: if it cannot run, the chat measures on demand as before.
    }
    this.notifyIdle();
  }

  /** request(delayMs) once `first` has settled (the open-time pre-warm); idle() waits for it meanwhile. */
  requestAfter(first: Promise<unknown>, delayMs = 0): void {
    if (this.closed) return;
    this.starting++;
    const go = () => {
      this.starting--;
      this.request(delayMs);
    };
    first.then(go, go);
  }

  /** The running background job's id, or null. */
  get runningJob(): number | null {
    return this.job;
  }

  /** Resolves when nothing is running, waiting or scheduled (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling; the running job is cancelled by the job manager's shutdown, which waits for it. */
  close(): void {
    this.closed = true;
    this.pending = false;
    this.again = false;
    if (this.delay) clearTimeout(this.delay);
    this.delay = null;
    this.unsubscribe();
    if (this.job !== null) this.d.jobs.cancel(this.job);
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.job === null && !this.pending && this.delay === null && this.starting === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private kick(): void {
    try {
      if (this.closed || !this.pending || this.job !== null) return;
      if (this.d.jobs.runningOf(GOES_FIRST).length > 0) return; // the end of that job kicks again
      this.pending = false;
      const inUse = segmenterVersionInUse(this.d.db);
      const todo = this.d.measure.unsummarised(inUse);
      if (todo.length === 0) return; // everything is summarised: no job row for nothing
      const info = this.d.jobs.start('measure', { background: true, images: todo.length, segmenter: segmenterKey(inUse) }, (ctx) => this.run(ctx, inUse, todo));
      this.job = info.id;
      void this.d.jobs.wait(info.id).then(
        () => this.finished(),
        () => this.finished(),
      );
    } catch {
      this.pending = false; // e.g. a busy database: the next trigger tries again
    } finally {
      this.notifyIdle();
    }
  }

  private finished(): void {
    this.job = null;
    if (this.again && !this.closed) {
      this.again = false;
      this.pending = true;
      this.kick();
    }
    this.notifyIdle();
  }

  private async run(ctx: JobContext, inUse: SegmenterInUse, todo: readonly number[]): Promise<MeasureJobResult> {
    const { jobs, pool, measure } = this.d;
    const quietMs = this.d.quietMs ?? 500;
    const lanes = Math.max(1, this.d.lanes ?? pool.size - 1);
    const seg = segmenterKey(inUse);
    const segWords = inUse ? `learnt segmenter v${inUse.id}` : 'the classical default';
    const out: MeasureJobResult & { background: MeasureBackgroundResult } = {
      results: [],
      failed: [],
      background: { segmenter: seg, total: todo.length, measured: 0, skipped: 0, stopped: null },
    };
    const b = out.background;
    let next = 0;
    let workedMs = 0;
    const done = () => b.measured + b.skipped + out.failed.length;
    const report = (why?: string) => {
      const left = todo.length - done();
      // Time per image measured so far, over the lanes; unknown until one is measured.
      const eta = b.measured > 0 && left > 0 ? ` · about ${minutes((workedMs / b.measured / lanes) * left)} left` : '';
      ctx.progress(done(), todo.length, `${why ? `${why} · ` : ''}measured ${b.measured} of ${todo.length} with ${segWords}${eta}`);
    };
    const stale = () => {
      const now = segmenterVersionInUse(this.d.db);
      return (now?.id ?? null) !== (inUse?.id ?? null);
    };
    report('starting');

    /** Waits until nothing goes first; false when the run must stop (cancelled, segmenter changed). */
    const mayGo = async (): Promise<boolean> => {
      for (;;) {
        if (ctx.signal.aborted) return false;
        const others = [...jobs.runningOf(GOES_FIRST).filter((id) => id !== ctx.id), ...jobs.runningElsewhere(GOES_FIRST_ELSEWHERE)];
        const quiet = pool.interactiveQuietMs();
        if (others.length === 0 && quiet >= quietMs) return true;
        report(others.length ? `paused while job #${others[0]} runs` : 'paused: chat questions go first');
        await sleep(others.length ? 500 : Math.max(50, Math.min(250, quietMs - quiet)), ctx.signal);
      }
    };

    const lane = async () => {
      for (;;) {
        if (!(await mayGo())) return;
        if (b.stopped === null && stale()) b.stopped = 'segmenter changed';
        if (b.stopped !== null || next >= todo.length) return;
        const imageId = todo[next++];
        try {
          if (measure.hasSummary(imageId, inUse)) {
            b.skipped++;
          } else {
            const t0 = performance.now();
            await unlessAborted(measure.summariseInBackground(imageId, inUse, ctx.signal), ctx.signal);
            workedMs += performance.now() - t0;
            b.measured++;
          }
        } catch (e) {
          if (e instanceof Stopped || ctx.signal.aborted) return;
          out.failed.push({ imageId, error: e instanceof Error ? e.message : String(e) });
        }
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, todo.length) }, lane));
    if (ctx.signal.aborted) b.stopped = 'cancelled';
    if (b.stopped === 'segmenter changed') this.again = true;
    ctx.progress(
      done(),
      todo.length,
      b.stopped === 'cancelled'
        ? `cancelled after ${b.measured} of ${todo.length} images`
        : b.stopped === 'segmenter changed'
          ? `stopped after ${b.measured} of ${todo.length}: the segmenter in use changed; measuring again with it`
          : `measured ${b.measured} of ${todo.length} with ${segWords}${b.skipped ? `, ${b.skipped} summarised meanwhile` : ''}${out.failed.length ? `, ${out.failed.length} failed` : ''}`,
    );
    return out;
  }
}

function minutes(ms: number): string {
  const s = ms / 1000;
  return s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`;
}
