// Worker files run from TypeScript source (tests, tsx) or compiled JavaScript (dist/). Compiled, the
// worker starts directly. From source it needs tsx's loader; `execArgv: ['--import', 'tsx']` does not
// take effect in worker threads on Node 20.20 ("Unknown file extension .ts", checked), so a two-line
// bootstrap registers tsx's ESM hooks inside the worker and then imports the entry.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, workerData } from 'node:worker_threads';

/** URL of a sibling module `stem` next to `base` (an import.meta.url), with base's own extension. */
export function siblingModule(base: string, stem: string): URL {
  const ext = new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${stem}${ext}`, base);
}

const TSX_BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((m) => { m.register(); return import(workerData.entry); });`;

function tsxApiUrl(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}

export function spawnWorker(url: URL, payload: unknown, transferList: readonly ArrayBuffer[] = []): Worker {
  const transfer = [...transferList];
  if (url.pathname.endsWith('.ts')) {
    return new Worker(TSX_BOOTSTRAP, { eval: true, workerData: { payload, tsx: tsxApiUrl(), entry: url.href }, transferList: transfer });
  }
  return new Worker(url, { workerData: { payload }, transferList: transfer });
}

/** Inside a worker started by spawnWorker: the payload it was given. */
export function workerPayload<T>(): T {
  return (workerData as { payload: T }).payload;
}
