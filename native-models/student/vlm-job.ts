// Trains the vision-language part in a worker thread (progress, cancel) or in this thread (benchmarks, workers).
import { siblingModule, spawnWorker } from '../runtime/spawn.js';
import { trainVlm, type TrainedVlm, type VlmConfig, type VlmData, type VlmStep, type VlmTrainOptions } from './vlm.js';

export type VlmWorkerMessage =
  { type: 'progress'; report: VlmStep } | { type: 'done'; result: TrainedVlm; cancelled: boolean } | { type: 'error'; message: string };

export interface VlmRunHooks {
  onStep?(r: VlmStep): void;
  /** Polled between steps: stop and report `cancelled`. */
  isCancelled?(): boolean;
  /** Wall-clock deadline (Date.now() ms): stop early, keeping what was learned. */
  deadline?: number | null;
  /** Run in a worker thread (default true). */
  worker?: boolean;
}

/** Resolves with the trained model and whether the caller cancelled (a deadline stop is not a cancel). */
export async function runVlmTraining(
  data: VlmData,
  config: VlmConfig,
  options: VlmTrainOptions,
  h: VlmRunHooks = {},
): Promise<{ result: TrainedVlm; cancelled: boolean }> {
  const deadline = h.deadline ?? null;
  if (h.worker === false) {
    let cancelled = false;
    const result = await trainVlm(data, config, options, {
      onStep: h.onStep,
      isCancelled: () => (h.isCancelled?.() ? (cancelled = true) : deadline !== null && Date.now() > deadline),
    });
    return { result, cancelled };
  }
  const cancel = new SharedArrayBuffer(4);
  const worker = spawnWorker(siblingModule(import.meta.url, 'vlm-worker'), { data, config, options, cancel, deadline });
  const poll = setInterval(() => {
    if (h.isCancelled?.()) Atomics.store(new Int32Array(cancel), 0, 1);
  }, 50);
  try {
    return await new Promise((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (!settled) {
          settled = true;
          f();
          void worker.terminate();
        }
      };
      worker.on('message', (m: VlmWorkerMessage) => {
        if (m.type === 'progress') h.onStep?.(m.report);
        else if (m.type === 'done') settle(() => resolve({ result: m.result, cancelled: m.cancelled }));
        else settle(() => reject(new Error(m.message)));
      });
      worker.on('error', (e) => settle(() => reject(e)));
      worker.on('exit', (code) => settle(() => reject(new Error(`vision-language training worker exited with code ${code}`))));
    });
  } finally {
    clearInterval(poll);
  }
}
