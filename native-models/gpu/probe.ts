// Prints which execution provider a train-step session actually gets under the current EMMA_EP, with
// the reason for every fallback, then times a few steps of the tiny ViT on it. Used by gpu/check.sh.
import * as ort from 'onnxruntime-node';
import { VIT_TINY, VitClassifier } from '../models/vit-tiny.js';
import { writeModel } from '../onnx/writer.js';
import { initParams } from '../optim/flat.js';
import { openSession, PROVIDER_ENV, providersFromEnv } from '../runtime/session.js';
import { buildTrainStep, TRAIN_IO } from '../train/graphs.js';

const model = new VitClassifier(VIT_TINY);
const B = 32;
const { g, layout } = buildTrainStep(model, B);
const s = await openSession(writeModel(g, { contrib: true }), {});
console.log(`${PROVIDER_ENV}=${process.env[PROVIDER_ENV] ?? '(unset)'} -> wanted ${(providersFromEnv() ?? ['cuda', 'dml', 'cpu']).join(',')}`);
console.log(`provider that ran: ${s.provider}`);
for (const f of s.fallbacks) console.log(`fallback from ${f.provider}: ${f.reason}`);
const P = layout.total;
let p: ort.Tensor = new ort.Tensor('float32', initParams(layout, 1), [P]);
let m: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
let v: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
const img = new ort.Tensor('float32', new Float32Array(B * 32 * 32).fill(0.1), [B, 1, 32, 32]);
const label = new ort.Tensor('int64', new BigInt64Array(B), [B]);
const times: number[] = [];
let loss = 0;
for (let i = 0; i < 13; i++) {
  const t0 = performance.now();
  const r = await s.session.run({
    image: img,
    label,
    [TRAIN_IO.params]: p,
    [TRAIN_IO.m]: m,
    [TRAIN_IO.v]: v,
    lr: new ort.Tensor('float32', Float32Array.from([1e-3]), []),
    step: new ort.Tensor('float32', Float32Array.from([i + 1]), []),
  });
  p = r[TRAIN_IO.paramsOut] as ort.Tensor;
  m = r[TRAIN_IO.mOut] as ort.Tensor;
  v = r[TRAIN_IO.vOut] as ort.Tensor;
  loss = (r[TRAIN_IO.loss].data as Float32Array)[0];
  if (i >= 3) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`vit-tiny train step on ${s.provider}: median ${times[5].toFixed(2)} ms over 10 steps (batch ${B}), final loss ${loss.toFixed(4)}`);
await s.session.release();
