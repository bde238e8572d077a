// Worker entry: trains the student's vision-language part off the calling thread (session.run() blocks it).
// Cancellation is a shared flag polled between steps; the deadline (ms since epoch) stops early, keeping the weights.
import { parentPort } from 'node:worker_threads';
import { workerPayload } from '../runtime/spawn.js';
import { trainVlm, type VlmConfig, type VlmData, type VlmTrainOptions } from './vlm.js';
import type { VlmWorkerMessage } from './vlm-job.js';

interface Init {
  data: VlmData;
  config: VlmConfig;
  options: VlmTrainOptions;
  cancel: SharedArrayBuffer;
  deadline: number | null;
}
const { data, config, options, cancel, deadline } = workerPayload<Init>();
const flag = new Int32Array(cancel);
const post = (m: VlmWorkerMessage) => parentPort?.postMessage(m);
try {
  let last = 0;
  const result = await trainVlm(data, config, options, {
    isCancelled: () => Atomics.load(flag, 0) !== 0 || (deadline !== null && Date.now() > deadline),
    onStep: (r) => {
      if (r.step === r.steps || Date.now() - last > 200) {
        last = Date.now();
        post({ type: 'progress', report: r });
      }
    },
  });
  post({ type: 'done', result, cancelled: Atomics.load(flag, 0) !== 0 });
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
