// Batch inference with an exported model. `predictInWorker` keeps session.run() off the caller's thread.
import * as ort from 'onnxruntime-node';
import { readManifest } from '../export/export.js';
import { dirname, resolve } from 'node:path';
import { openSession, type Provider, type SessionConfig } from './session.js';
import { siblingModule, spawnWorker } from './spawn.js';

export interface Predictions {
  /** [count, ...output dims] row-major values of the manifest's first output (logits for classifiers). */
  readonly data: Float32Array;
  readonly rowSize: number;
  readonly provider: Provider;
}

/** Runs preprocessed NCHW images (count * C*H*W floats) through an exported model, padding the last chunk. */
export async function predict(manifestPath: string, images: Float32Array, count: number, cfg: SessionConfig = {}): Promise<Predictions> {
  const m = readManifest(manifestPath);
  const open = await openSession(resolve(dirname(manifestPath), m.onnx), cfg);
  try {
    const input = m.inputs[0];
    const B = m.batch;
    const per = input.shape.slice(1).reduce((a, b) => a * b, 1);
    const out = m.outputs[0];
    const rowSize = out.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(count * rowSize);
    const buf = new Float32Array(B * per);
    for (let i = 0; i < count; i += B) {
      const n = Math.min(B, count - i);
      buf.fill(0);
      buf.set(images.subarray(i * per, (i + n) * per));
      const r = await open.session.run({ [input.name]: new ort.Tensor('float32', buf, [...input.shape]) });
      data.set(((r[out.name] as ort.Tensor).data as Float32Array).subarray(0, n * rowSize), i * rowSize);
    }
    return { data, rowSize, provider: open.provider };
  } finally {
    await open.session.release();
  }
}

export function predictInWorker(manifestPath: string, images: Float32Array, count: number, cfg: SessionConfig = {}): Promise<Predictions> {
  return new Promise((resolvePromise, reject) => {
    const w = spawnWorker(siblingModule(import.meta.url, 'predict-worker'), { manifestPath, images, count, cfg });
    w.once('message', (m: { ok: true; value: Predictions } | { ok: false; error: string }) => {
      void w.terminate();
      if (m.ok) resolvePromise(m.value);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}
