// Worker entry: one student training run on its own database connection, off the thread that serves the UI
// (onnxruntime's session.run() blocks its thread). Cancellation is a shared flag polled between images and steps.
import { parentPort } from 'node:worker_threads';
import { workerPayload } from '../../../native-models/index.js';
import { openDatabase } from '../db/database.js';
import { trainStudent, TrainingCancelled, type TrainOptions } from './service.js';
import type { StudentWorkerMessage } from './job.js';

interface Init {
  dbPath: string;
  options: Omit<TrainOptions, 'signal' | 'isCancelled' | 'onProgress'>;
  cancel: SharedArrayBuffer;
}
const { dbPath, options, cancel } = workerPayload<Init>();
const flag = new Int32Array(cancel);
const post = (m: StudentWorkerMessage) => parentPort?.postMessage(m);
// The parent checked this file when it opened it a moment ago: no second quick_check here.
const db = openDatabase(dbPath, { quickCheck: false });
try {
  const result = await trainStudent(db, {
    ...options,
    worker: false,
    isCancelled: () => Atomics.load(flag, 0) !== 0,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'done', result });
} catch (e) {
  post(e instanceof TrainingCancelled ? { type: 'cancelled' } : { type: 'error', message: e instanceof Error ? e.message : String(e) });
} finally {
  db.close();
}
