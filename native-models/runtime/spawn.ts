// Worker files run from TypeScript source (tests, tsx) or compiled JavaScript (dist/). From source the
// worker needs tsx's loader; compiled, it must not get it (tsx is not a runtime dependency there).
import { Worker } from 'node:worker_threads';

/** URL of a sibling module `stem` next to `base` (an import.meta.url), with base's own extension. */
export function siblingModule(base: string, stem: string): URL {
  const ext = new URL(base).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${stem}${ext}`, base);
}

export function spawnWorker(url: URL, workerData: unknown, transferList: readonly ArrayBuffer[] = []): Worker {
  const fromSource = url.pathname.endsWith('.ts');
  return new Worker(url, {
    workerData,
    transferList: [...transferList],
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  });
}
