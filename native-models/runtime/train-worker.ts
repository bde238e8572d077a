// Worker entry: runs one training job and reports over the port. Cancellation is a shared flag read
// between steps, so it does not depend on this thread's event loop getting a turn.
import { parentPort } from 'node:worker_threads';
import { workerPayload } from './spawn.js';
import { runTraining, type TrainSpec } from './train-loop.js';
import type { WorkerMessage } from './trainer.js';

interface Init {
  spec: TrainSpec;
  cancel: SharedArrayBuffer;
}
const { spec, cancel } = workerPayload<Init>();
const flag = new Int32Array(cancel);
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(m, transfer);

try {
  const result = await runTraining(spec, {
    isCancelled: () => Atomics.load(flag, 0) !== 0,
    onReady: (info) => post({ type: 'ready', ...info }),
    onStep: (report) => post({ type: 'progress', report }),
    onCheckpoint: (step, path) => post({ type: 'checkpoint', step, path }),
  });
  post({ type: 'done', result }, [result.params.buffer as ArrayBuffer]);
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
