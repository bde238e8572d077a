// Main-thread side of training: starts a worker, relays progress, cancels, and resolves with the result.
// session.run() blocks its thread, so it must never run on the thread that serves the UI.
import { siblingModule, spawnWorker } from './spawn.js';
import type { Provider, ProviderFailure } from './session.js';
import type { StepReport, TrainResult, TrainSpec } from './train-loop.js';

export type WorkerMessage =
  | { type: 'ready'; provider: Provider; fallbacks: readonly ProviderFailure[]; params: number; startStep: number }
  | { type: 'progress'; report: StepReport }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'done'; result: TrainResult }
  | { type: 'error'; message: string };

export interface TrainingJob {
  /** Asks the worker to stop after the current step (it writes a checkpoint if configured). */
  cancel(): void;
  readonly result: Promise<TrainResult>;
}

export interface TrainingHandlers {
  onReady?(m: Extract<WorkerMessage, { type: 'ready' }>): void;
  onProgress?(r: StepReport): void;
  onCheckpoint?(step: number, path: string): void;
}

export function startTraining(spec: TrainSpec, h: TrainingHandlers = {}): TrainingJob {
  const cancel = new SharedArrayBuffer(4);
  const worker = spawnWorker(siblingModule(import.meta.url, 'train-worker'), { spec, cancel });
  const result = new Promise<TrainResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'ready':
          h.onReady?.(m);
          break;
        case 'progress':
          h.onProgress?.(m.report);
          break;
        case 'checkpoint':
          h.onCheckpoint?.(m.step, m.path);
          break;
        case 'done':
          settled = true;
          resolve(m.result);
          void worker.terminate();
          break;
        case 'error':
          settled = true;
          reject(new Error(m.message));
          void worker.terminate();
          break;
      }
    });
    worker.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`training worker exited with code ${code}`));
      }
    });
  });
  return {
    cancel: () => Atomics.store(new Int32Array(cancel), 0, 1),
    result,
  };
}
