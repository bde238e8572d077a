// The host's side of the core's thread boundary: the same surface as an in-process core (createCore) for the bindings
// (call → envelope, events, media files, location, close), with the core itself in a worker thread.
import type { Worker } from 'node:worker_threads';
import { siblingModule, spawnWorker } from '../../../native-models/index.js';
import type { CoreEndpoint } from '../api.js';
import { EMMA_METHODS, type EmmaApi, type EmmaEvent, type EmmaMethod, type Envelope, type MediaKind } from '../contract.js';
import type { DataLocation } from '../paths.js';
import type { TeacherKeyProvider } from '../teacher/keys.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { CoreError } from '../errors.js';

export interface CoreWorkerOptions {
  dbPath?: string;
  mode: string;
  /** Kept on this side; the worker asks for the key right before a teacher request. */
  teacherKeyProvider?: TeacherKeyProvider;
  /** Lab-server mode: symbolic links met during an import are followed only into these (real) folders. */
  linkRoots?: string[];
  /** Background work switches (createCore's options of the same names; benchmarks); absent: the mode's defaults. */
  background?: WorkerInit['background'];
}

export class CoreStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CoreStartError';
  }
}

export interface CoreClient extends CoreEndpoint {
  /** The worker, for tests that need to see it (thread id, exit). */
  readonly worker: Worker;
  /** What the open-time check of the database wants said (e.g. a file too large to check in full), or null. */
  readonly openNote: string | null;
}

/** Starts the core in a worker thread; resolves once its database is open (or rejects with why it cannot be). */
export async function startCoreWorker(options: CoreWorkerOptions): Promise<CoreClient> {
  const keys = options.teacherKeyProvider;
  const init: WorkerInit = {
    dbPath: options.dbPath,
    mode: options.mode,
    hostKey: keys ? { describe: keys.describe(), canSet: Boolean(keys.setKey) } : null,
    linkRoots: options.linkRoots,
    background: options.background,
  };
  const worker = spawnWorker(siblingModule(import.meta.url, 'core-worker'), init);
  const send = (message: ToWorker) => worker.postMessage(message);
  const listeners = new Set<(event: EmmaEvent) => void>();
  const pending = new Map<number, (message: FromWorker) => void>();
  let nextId = 1;
  let stopped: string | null = null;

  const { location, openNote } = await new Promise<{ location: DataLocation; openNote: string | null }>((ok, fail) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === 'ready') ok(message);
      else if (message.type === 'init-failed') fail(new CoreStartError(message.code, message.message));
      else return;
      worker.off('message', onMessage);
      worker.off('error', fail);
    };
    worker.on('message', onMessage);
    worker.once('error', fail);
  });

  worker.on('message', (message: FromWorker) => {
    switch (message.type) {
      case 'event':
        for (const listener of listeners) {
          try {
            listener(message.event);
          } catch {
            // A broken subscriber (closed window, dropped socket) must not stop the others.
          }
        }
        return;
      case 'key':
        void answerKey(message);
        return;
      case 'reply':
      case 'media-reply':
      case 'closed': {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(message);
        return;
      }
    }
  });

  async function answerKey(message: Extract<FromWorker, { type: 'key' }>): Promise<void> {
    try {
      if (!keys) throw new Error('no key provider on the host');
      if (message.op === 'get') return send({ type: 'key-reply', id: message.id, ok: true, key: await keys.getKey() });
      if (!keys.setKey) throw new Error('this binding cannot store a key');
      await keys.setKey(message.key ?? null);
      send({ type: 'key-reply', id: message.id, ok: true, key: null });
    } catch (e) {
      send({ type: 'key-reply', id: message.id, ok: false, error: (e as Error).message });
    }
  }

  // A crashed worker must not leave callers waiting: every open request gets an error, and so does every later one.
  const fail = (why: string) => {
    if (stopped) return;
    stopped = why;
    for (const [id, resolve] of pending) {
      resolve({ type: 'reply', id, envelope: { ok: false, error: { code: 'core_stopped', message: why } } });
    }
    pending.clear();
  };
  worker.on('error', (e) => fail(`Emma's core stopped with an error: ${e.message}. Restart Emma.`));
  worker.on('exit', (code) => fail(`Emma's core stopped (exit code ${code}). Restart Emma.`));

  function request(build: (id: number) => ToWorker): Promise<FromWorker> {
    const id = nextId++;
    if (stopped) return Promise.resolve({ type: 'reply', id, envelope: { ok: false, error: { code: 'core_stopped', message: stopped } } });
    return new Promise((ok) => {
      pending.set(id, ok);
      send(build(id));
    });
  }

  const call = async (method: unknown, args: unknown): Promise<Envelope<unknown>> => {
    const reply = await request((id) => ({ type: 'call', id, method, args }));
    return reply.type === 'reply' ? reply.envelope : { ok: false, error: { code: 'internal', message: 'unexpected reply' } };
  };

  const api = {} as Record<EmmaMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of EMMA_METHODS) {
    api[method] = async (...args: unknown[]) => {
      const envelope = await call(method, args);
      if (envelope.ok) return envelope.value;
      throw new CoreError(envelope.error.code, envelope.error.message);
    };
  }

  return {
    worker,
    location,
    openNote,
    api: api as unknown as EmmaApi,
    call,
    events: {
      on(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    media: {
      async file(imageId: number, kind: MediaKind) {
        const reply = await request((id) => ({ type: 'media', id, imageId, kind }));
        if (reply.type === 'media-reply' && reply.path) return reply.path;
        const error = reply.type === 'media-reply' ? reply.error : reply.type === 'reply' && !reply.envelope.ok ? reply.envelope.error : undefined;
        throw new CoreError(error?.code ?? 'internal', error?.message ?? 'media unavailable');
      },
    },
    async close() {
      if (!stopped) {
        await request((id) => ({ type: 'close', id }));
        stopped = "Emma's core was closed.";
      }
      await worker.terminate();
    },
  };
}
