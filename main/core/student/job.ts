// Starts a student training run in a worker thread: progress events, cancel, and the outcome as a promise.
import { siblingModule, spawnWorker } from '../../../native-models/index.js';
import { TrainingCancelled, type TrainOptions, type TrainOutcome, type TrainProgress } from './service.js';

export type StudentWorkerMessage =
  { type: 'progress'; progress: TrainProgress } | { type: 'done'; result: TrainOutcome } | { type: 'cancelled' } | { type: 'error'; message: string };

export interface StudentTrainingJob {
  cancel(): void;
  /** Resolves with the outcome; rejects with TrainingCancelled or the run's error. */
  readonly result: Promise<TrainOutcome>;
}

export function startStudentTraining(
  dbPath: string,
  options: Omit<TrainOptions, 'signal' | 'isCancelled' | 'onProgress'>,
  onProgress?: (p: TrainProgress) => void,
): StudentTrainingJob {
  const cancel = new SharedArrayBuffer(4);
  const worker = spawnWorker(siblingModule(import.meta.url, 'train-worker'), { dbPath, options, cancel });
  const result = new Promise<TrainOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (!settled) {
        settled = true;
        f();
        void worker.terminate();
      }
    };
    worker.on('message', (m: StudentWorkerMessage) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else if (m.type === 'cancelled') settle(() => reject(new TrainingCancelled()));
      else settle(() => reject(new Error(m.message)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`student training worker exited with code ${code}`))));
  });
  return { cancel: () => Atomics.store(new Int32Array(cancel), 0, 1), result };
}
