// Where the per-file work of an import runs: in the importing thread itself ("inline") and in a few worker
// threads, so that hashing, TIFF tag parsing, data-bar detection (JavaScript) and the thumbnail encode use every
// core. A file stays on one processor from its hash to its decode, so its bytes are read once and never copied
// between threads. The database is not touched here: the importer owns the single SQLite writer.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { siblingModule, spawnWorker } from '../../../native-models/index.js';
import { prepareFile, readAndHash, type HashedFile, type PreparedFile } from './import-file.js';

export type PoolRequest =
  { kind: 'hash'; id: number; path: string } | { kind: 'decode'; id: number; path: string; dataDir: string } | { kind: 'release'; id: number };

export type PoolReply = { id: number; ok: true; sha256?: string; size?: number; info?: PreparedFile['info'] } | { id: number; ok: false; message: string };

/** What a worker is started with (nothing yet). */
export type PoolWorkerInit = Record<string, never>;

/** Where one file's hash and decode run. */
export interface FileProcessor {
  /** Resolves once the processor can take work (a worker has loaded its modules); rejects if it never will. */
  readonly ready: Promise<void>;
  /** False once the processor can take no more work (its worker stopped). */
  readonly alive: boolean;
  hash(id: number, path: string): Promise<{ sha256: string; size: number }>;
  decode(id: number, path: string, dataDir: string): Promise<PreparedFile>;
  /** Forgets a hashed file that will not be decoded (a duplicate). */
  release(id: number): void;
  close(): Promise<void>;
}

/** Worker threads for an import on this machine: one per core beside the importing thread, at most 7. */
export function defaultImportWorkers(): number {
  return Math.max(0, Math.min(7, availableParallelism() - 1));
}

/**
 * How many of the `wanted` workers are worth starting, given how busy the machine already is. A worker only adds
 * speed on a core that would otherwise sit idle: libvips already decodes on the libuv threads beside the importing
 * thread, so on a small or loaded machine a worker would only compete for the same cores and add its start-up
 * (about 0.4 s of CPU from TypeScript source, measured). `coresInUse` is this process's CPU time over wall time
 * while the importing thread ran alone; `loadAverage1m` counts other work too (0 where the OS does not report it).
 * One whole idle core per worker.
 */
export function workersWorthStarting(o: { wanted: number; cores: number; coresInUse: number; loadAverage1m: number }): number {
  const busy = Math.max(o.coresInUse, o.loadAverage1m);
  return Math.max(0, Math.min(o.wanted, Math.floor(o.cores - busy)));
}

/** Runs the work in the calling thread (always ready; the reference path the pool must agree with). */
export class InlineProcessor implements FileProcessor {
  readonly ready = Promise.resolve();
  readonly alive = true;
  private readonly held = new Map<number, HashedFile>();

  async hash(id: number, path: string) {
    const h = await readAndHash(path);
    this.held.set(id, h);
    return { sha256: h.sha256, size: h.size };
  }

  async decode(id: number, path: string, dataDir: string) {
    const h = this.held.get(id);
    this.held.delete(id);
    if (!h) throw new Error('internal: decode asked for a file that was not hashed');
    return prepareFile(path, h, dataDir);
  }

  release(id: number): void {
    this.held.delete(id);
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}

/** Runs the work in a worker thread (import-worker.ts). */
export class WorkerProcessor implements FileProcessor {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: PoolReply & { ok: true }) => void; reject: (e: Error) => void }>();
  private stopped: Error | null = null;

  get alive(): boolean {
    return this.stopped === null;
  }

  constructor() {
    this.worker = spawnWorker(siblingModule(import.meta.url, 'import-worker'), {} satisfies PoolWorkerInit);
    let started!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    // A worker that never starts is not an error of any file: its lanes simply take no work.
    this.ready.catch(() => undefined);
    this.worker.on('message', (r: PoolReply) => {
      if (r.id === -1) return started();
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new Error(r.message));
    });
    const stop = (e: Error) => {
      this.stopped ??= e;
      failed(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => stop(new Error(`import worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => stop(new Error(`import worker stopped (exit code ${code})`)));
  }

  private ask(req: PoolRequest): Promise<PoolReply & { ok: true }> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req);
    });
  }

  async hash(id: number, path: string) {
    const r = await this.ask({ kind: 'hash', id, path });
    return { sha256: r.sha256!, size: r.size! };
  }

  async decode(id: number, path: string, dataDir: string) {
    const r = await this.ask({ kind: 'decode', id, path, dataDir });
    return { info: r.info! };
  }

  release(id: number): void {
    if (!this.stopped) this.worker.postMessage({ kind: 'release', id } satisfies PoolRequest);
  }

  async close(): Promise<void> {
    this.stopped ??= new Error('import worker closed');
    await this.worker.terminate();
  }
}

/**
 * The processors of one import: the inline one from the start, worker threads when `addWorkers` asks. While
 * workers run, libvips uses fewer threads per image (sharp.concurrency is process-wide), so the pool does not
 * oversubscribe the cores.
 */
export class Processors {
  readonly inline = new InlineProcessor();
  private readonly workers: WorkerProcessor[] = [];
  private previousThreads: number | null = null;

  get count(): number {
    return 1 + this.workers.length;
  }

  addWorkers(n: number): FileProcessor[] {
    const added = Array.from({ length: n }, () => new WorkerProcessor());
    this.workers.push(...added);
    if (added.length > 0) {
      this.previousThreads ??= sharp.concurrency();
      sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / this.count)));
    }
    return added;
  }

  async close(): Promise<void> {
    await Promise.all([this.inline.close(), ...this.workers.map((w) => w.close())]);
    if (this.previousThreads !== null) sharp.concurrency(this.previousThreads);
  }
}
