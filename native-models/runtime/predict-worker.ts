// Worker entry for batch inference: replies once with an {ok, value} | {ok, error} envelope.
import { parentPort } from 'node:worker_threads';
import { workerPayload } from './spawn.js';
import { predict } from './predict.js';
import type { SessionConfig } from './session.js';

const { manifestPath, images, count, cfg } = workerPayload<{ manifestPath: string; images: Float32Array; count: number; cfg: SessionConfig }>();
try {
  const value = await predict(manifestPath, images, count, cfg);
  parentPort?.postMessage({ ok: true, value }, [value.data.buffer as ArrayBuffer]);
} catch (e) {
  parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
