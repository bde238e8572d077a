// The core's inference pool: a few worker threads (inference-worker.ts) for the per-image work that blocks a thread
// — decode, the student's stem and head in ONNX Runtime, particle analysis — so that many chat questions at once
// use every core and the core's own thread (SQLite, quick answers, job bookkeeping) never waits on a model.
// Requests queue here, centrally, and go to the first idle worker; a worker that dies fails only the request it
// held, and is replaced for the next one.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { siblingModule, spawnWorker } from '../../../native-models/index.js';
import type { ErrorCode } from '../contract.js';
import { CoreError } from '../errors.js';
import type { MeasureResult } from '../measure/types.js';
import type { ImageFacts } from '../student/image-facts.js';
import type { ReviewedQuestion, TaughtParaphrase } from '../chat/augment.js';
import type { IntentModelData } from '../chat/intent.js';

export interface InferenceWorkerInit {
  /** ONNX Runtime intra-op threads per worker (the pool's workers together use the cores once). */
  readonly threads: number;
}

export type InferenceRequest =
  | { kind: 'facts'; id: number; versionDir: string; path: string; dataBar: { y: number | null; width: number }; nearest?: number }
  | { kind: 'measure'; id: number; path: string; segmenterPath: string | null; modelVersion: string | null; lines?: boolean; withLabels?: boolean }
  /** Fit the chat's intent model (chat/fit.ts): seconds of JavaScript that would otherwise hold the core's thread. */
  | {
      kind: 'intents';
      id: number;
      classes: readonly string[];
      reviewed: readonly ReviewedQuestion[];
      definitions: readonly string[];
      paraphrases: readonly TaughtParaphrase[];
    }
  /**
   * Pre-warm (sent to each worker once): load the version's stem and head, and the segmenter, and run the student on
   * one library image, so its stem session for that image size is open (a session per size is built on first use).
   */
  | {
      kind: 'warm';
      id: number;
      versionDir: string | null;
      sample: { path: string; dataBar: { y: number | null; width: number } } | null;
      segmenterPath: string | null;
    };

export type InferenceReply =
  | { id: number; ok: true; kind: 'ready' }
  | { id: number; ok: true; kind: 'facts'; facts: ImageFacts }
  | { id: number; ok: true; kind: 'measure'; result: MeasureResult; labels?: Int32Array }
  | { id: number; ok: true; kind: 'warm' }
  | { id: number; ok: true; kind: 'intents'; model: IntentModelData }
  | { id: number; ok: false; message: string; code?: ErrorCode };

export type Priority = 'interactive' | 'batch';
type Job = { req: InferenceRequest; resolve: (r: InferenceReply & { ok: true }) => void; reject: (e: Error) => void };
type Ask<K extends InferenceRequest['kind']> = Omit<Extract<InferenceRequest, { kind: K }>, 'id' | 'kind'>;

/** Workers on this machine: one per core, at most 4 (beyond that the stem's memory bandwidth is the limit). */
export function defaultInferenceWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

class Lane {
  readonly worker: Worker;
  busy: Job | null = null;
  /** A pre-warm request for this worker, sent before it takes anything from the queues. */
  warm: Job | null = null;
  ready = false;
  dead = false;

  constructor(
    init: InferenceWorkerInit,
    onReady: () => void,
    onDone: (lane: Lane, job: Job, r: InferenceReply) => void,
    onExit: (lane: Lane, e: Error) => void,
  ) {
    this.worker = spawnWorker(siblingModule(import.meta.url, 'inference-worker'), init satisfies InferenceWorkerInit);
    this.worker.on('message', (r: InferenceReply) => {
      if (r.id === -1) {
        this.ready = true;
        return onReady();
      }
      const job = this.busy;
      this.busy = null;
      if (job && job.req.id === r.id) onDone(this, job, r);
    });
    const stop = (e: Error) => {
      if (this.dead) return;
      this.dead = true;
      onExit(this, e);
    };
    this.worker.on('error', (e) => stop(new Error(`inference worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => stop(new Error(`inference worker stopped (exit code ${code})`)));
  }
}

export class InferencePool {
  private readonly lanes: Lane[] = [];
  /** Interactive requests (a chat answer, one measurement), first come first served; then the batch ones. */
  private readonly queue: Job[] = [];
  private readonly batch: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly init: InferenceWorkerInit;
  /** Interactive requests queued or being worked on, and when the last one settled (background work waits for quiet). */
  private interactiveOpen = 0;
  private lastInteractiveAt = -Infinity;

  constructor(readonly size: number = defaultInferenceWorkers()) {
    this.init = { threads: Math.max(1, Math.floor(availableParallelism() / Math.max(1, size))) };
  }

  /** Requests waiting for a worker (not counting those being worked on). */
  get waiting(): number {
    return this.queue.length + this.batch.length;
  }

  /**
   * Milliseconds since the last interactive request settled; 0 while one waits or runs. Background work that cannot
   * be pre-empted once a worker has it (a measurement takes up to seconds) submits only after a quiet spell.
   */
  interactiveQuietMs(): number {
    return this.interactiveOpen > 0 ? 0 : performance.now() - this.lastInteractiveAt;
  }

  /**
   * Starts every worker now and loads what a chat answer needs (see the 'warm' request), instead of on the first
   * question. Resolves when all have warmed; a worker that fails to warm is not an error (the request that needs
   * it loads it then, or fails with its own reason).
   */
  warm(ask: Ask<'warm'>): Promise<void> {
    if (this.closed) return Promise.resolve();
    while (this.lanes.length < this.size) this.spawn();
    const done = this.lanes.map(
      (lane) =>
        new Promise<void>((resolve) => {
          const settle = () => resolve();
          if (lane.warm) lane.warm.reject(new Error('superseded by a newer pre-warm'));
          lane.warm = { req: { ...ask, kind: 'warm', id: this.nextId++ }, resolve: settle, reject: settle };
        }),
    );
    this.pump();
    return Promise.all(done).then(() => undefined);
  }

  /** `batch`: background work (a classification job), served after every waiting interactive request. */
  facts(ask: Ask<'facts'>, priority: Priority = 'interactive'): Promise<ImageFacts> {
    return this.submit({ ...ask, kind: 'facts', id: this.nextId++ }, priority).then((r) => (r as Extract<InferenceReply, { kind: 'facts' }>).facts);
  }

  measure(ask: Ask<'measure'>, priority: Priority = 'interactive'): Promise<{ result: MeasureResult; labels?: Int32Array }> {
    return this.submit({ ...ask, kind: 'measure', id: this.nextId++ }, priority).then((r) => {
      const m = r as Extract<InferenceReply, { kind: 'measure' }>;
      return { result: m.result, labels: m.labels };
    });
  }

  intents(ask: Ask<'intents'>): Promise<IntentModelData> {
    return this.submit({ ...ask, kind: 'intents', id: this.nextId++ }, 'interactive').then((r) => (r as Extract<InferenceReply, { kind: 'intents' }>).model);
  }

  private submit(req: InferenceRequest, priority: Priority): Promise<InferenceReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('the inference pool is closed'));
    return new Promise((resolve, reject) => {
      if (priority === 'batch') this.batch.push({ req, resolve, reject });
      else {
        this.interactiveOpen++;
        const settled = () => {
          this.interactiveOpen--;
          this.lastInteractiveAt = performance.now();
        };
        this.queue.push({ req, resolve: (r) => (settled(), resolve(r)), reject: (e) => (settled(), reject(e)) });
      }
      this.pump();
    });
  }

  private next(): Job | undefined {
    return this.queue.shift() ?? this.batch.shift();
  }

  private pump(): void {
    // Workers start on first use (a core that is never asked a question starts none).
    while (this.lanes.length < this.size && this.lanes.length < this.waiting + this.lanes.filter((l) => l.busy).length) this.spawn();
    for (const lane of this.lanes) {
      if (!lane.ready || lane.busy || lane.dead) continue;
      const job = lane.warm ?? this.next();
      if (!job) continue;
      lane.warm = null;
      lane.busy = job;
      lane.worker.postMessage(job.req);
    }
  }

  private spawn(): void {
    const lane = new Lane(
      this.init,
      () => this.pump(),
      (_lane, job, r) => {
        if (r.ok) job.resolve(r);
        else job.reject(r.code && r.code !== 'internal' ? new CoreError(r.code, r.message) : new Error(r.message));
        this.pump();
      },
      (dead, e) => {
        const i = this.lanes.indexOf(dead);
        if (i >= 0) this.lanes.splice(i, 1);
        dead.busy?.reject(e);
        dead.busy = null;
        dead.warm?.reject(e);
        dead.warm = null;
        // A worker that cannot start at all must not loop: with no live worker left, fail what waits.
        if (!dead.ready && !this.lanes.some((l) => l.ready)) {
          for (const job of [...this.queue.splice(0), ...this.batch.splice(0)]) job.reject(e);
          return;
        }
        if (!this.closed) this.pump();
      },
    );
    this.lanes.push(lane);
  }

  async close(): Promise<void> {
    this.closed = true;
    const e = new Error('the inference pool is closed');
    for (const job of [...this.queue.splice(0), ...this.batch.splice(0)]) job.reject(e);
    for (const lane of this.lanes) lane.warm?.reject(e);
    await Promise.all(this.lanes.splice(0).map((l) => l.worker.terminate()));
  }
}
