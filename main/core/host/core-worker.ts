// The core's own thread: SQLite, image decoding, ONNX sessions and jobs all run here, never on Electron's main
// thread or the HTTP server's event loop. Started by client.ts through spawnWorker.
import { isAbsolute, relative } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { workerPayload } from '../../../native-models/index.js';
import { createCore, type CoreInternals } from '../api.js';
import { openCheckOf } from '../db/database.js';
import type { TeacherKeyProvider } from '../teacher/keys.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { errorInfo } from '../errors.js';

const port = parentPort;
if (!port) throw new Error('core-worker.ts must run in a worker thread');
const post = (message: FromWorker) => port.postMessage(message);

// Key requests go to the host and wait for its answer.
let nextKeyRequest = 1;
const keyWaiters = new Map<number, { ok: (key: string | null) => void; fail: (e: Error) => void }>();
function askHost(op: 'get' | 'set', key?: string | null): Promise<string | null> {
  const id = nextKeyRequest++;
  return new Promise((ok, fail) => {
    keyWaiters.set(id, { ok, fail });
    post({ type: 'key', id, op, key });
  });
}

function hostKeyProvider(info: NonNullable<WorkerInit['hostKey']>): TeacherKeyProvider {
  return {
    getKey: () => askHost('get'),
    setKey: info.canSet ? async (key) => void (await askHost('set', key)) : undefined,
    describe: () => info.describe,
  };
}

const init = workerPayload<WorkerInit>();
const linkRoots = init.linkRoots;
/** Whether a link's real target lies inside one of the (already real) data folders. */
const insideRoots = (real: string) =>
  (linkRoots ?? []).some((root) => {
    const rel = relative(root, real);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
let core: CoreInternals;
try {
  core = createCore({
    dbPath: init.dbPath,
    mode: init.mode,
    teacherKeyProvider: init.hostKey ? hostKeyProvider(init.hostKey) : undefined,
    allowLinkTarget: linkRoots ? insideRoots : undefined,
    ...init.background,
  });
} catch (e) {
  const err = e as { code?: unknown; message?: unknown; name?: string };
  post({ type: 'init-failed', code: typeof err.code === 'string' ? err.code : (err.name ?? 'error'), message: String(err.message ?? e) });
  process.exit(1);
}

core.events.on((event) => post({ type: 'event', event }));

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'call':
      void core.call(message.method, message.args).then((envelope) => post({ type: 'reply', id: message.id, envelope }));
      return;
    case 'media':
      core.media.file(message.imageId, message.kind).then(
        (path) => post({ type: 'media-reply', id: message.id, path }),
        (e: unknown) => post({ type: 'media-reply', id: message.id, error: errorInfo(e) }),
      );
      return;
    case 'key-reply': {
      const waiter = keyWaiters.get(message.id);
      keyWaiters.delete(message.id);
      if (message.ok) waiter?.ok(message.key ?? null);
      else waiter?.fail(new Error(message.error ?? 'the key store failed'));
      return;
    }
    case 'close':
      void core.close().finally(() => {
        post({ type: 'closed', id: message.id });
        port.close();
      });
      return;
  }
});

// A file too large to check in full at open says so once, through the host.
post({ type: 'ready', location: core.location, openNote: openCheckOf(core.db)?.note ?? null });
