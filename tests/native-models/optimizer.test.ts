// AdamW + clipping as ONNX ops agrees with a plain fp64 JS implementation of the same update.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../native-models/graph/builder.js';
import { writeModel } from '../../native-models/onnx/writer.js';
import { adamw, type AdamWConfig } from '../../native-models/optim/adamw.js';
import { openSession } from '../../native-models/runtime/session.js';
import { lrAt } from '../../native-models/runtime/schedule.js';
import { Rng } from '../../native-models/util/rng.js';

function reference(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, mask: Float64Array, lr: number, t: number, c: AdamWConfig) {
  let norm = 0;
  for (const x of g) norm += x * x;
  norm = Math.sqrt(norm);
  const k = c.clipNorm ? Math.min(1, c.clipNorm / (norm + 1e-6)) : 1;
  const out = { p: new Float64Array(p.length), m: new Float64Array(p.length), v: new Float64Array(p.length), norm };
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * k;
    out.m[i] = c.beta1 * m[i] + (1 - c.beta1) * gi;
    out.v[i] = c.beta2 * v[i] + (1 - c.beta2) * gi * gi;
    const mhat = out.m[i] / (1 - c.beta1 ** t);
    const vhat = out.v[i] / (1 - c.beta2 ** t);
    out.p[i] = p[i] - lr * c.weightDecay * mask[i] * p[i] - (lr * mhat) / (Math.sqrt(vhat) + c.eps);
  }
  return out;
}

describe('AdamW graph', () => {
  for (const clip of [0, 0.5]) {
    it(`matches the JS reference over 5 steps (clipNorm ${clip || 'off'}, decay mask)`, async () => {
      const P = 257;
      const cfg: AdamWConfig = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, clipNorm: clip };
      const g = new GraphBuilder();
      const [p, gr, m, v] = ['p', 'g', 'm', 'v'].map((n) => g.input(n, [P]));
      const lr = g.input('lr', []);
      const step = g.input('step', []);
      const maskData = Float32Array.from({ length: P }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const mask = g.constant({ dtype: 'float32', shape: [P], data: maskData });
      const o = adamw(g, { params: p, grad: gr, m, v, lr, step, decayMask: mask }, cfg);
      g.output(o.params, 'p2');
      g.output(o.m, 'm2');
      g.output(o.v, 'v2');
      g.output(o.gradNorm, 'norm');
      const { session } = await openSession(writeModel(g), { providers: ['cpu'] });
      const rng = new Rng(3);
      let P64 = Float64Array.from({ length: P }, () => rng.normal());
      let M64 = new Float64Array(P);
      let V64 = new Float64Array(P);
      let pT: Float32Array = new Float32Array(P64);
      let mT: Float32Array = new Float32Array(P);
      let vT: Float32Array = new Float32Array(P);
      for (let t = 1; t <= 5; t++) {
        const grad = Float64Array.from({ length: P }, () => rng.normal() * 0.3);
        const rate = lrAt({ kind: 'cosine', lr: 0.01, warmupSteps: 2 }, t - 1, 5);
        const r = await session.run({
          p: new ort.Tensor('float32', pT, [P]),
          g: new ort.Tensor('float32', Float32Array.from(grad), [P]),
          m: new ort.Tensor('float32', mT, [P]),
          v: new ort.Tensor('float32', vT, [P]),
          lr: new ort.Tensor('float32', Float32Array.from([rate]), []),
          step: new ort.Tensor('float32', Float32Array.from([t]), []),
        });
        const ref = reference(P64, grad, M64, V64, Float64Array.from(maskData), rate, t, cfg);
        pT = r.p2.data as Float32Array;
        mT = r.m2.data as Float32Array;
        vT = r.v2.data as Float32Array;
        expect((r.norm.data as Float32Array)[0]).toBeCloseTo(ref.norm, 4);
        let worst = 0;
        for (let i = 0; i < P; i++) worst = Math.max(worst, Math.abs(pT[i] - ref.p[i]) / Math.max(1e-3, Math.abs(ref.p[i] - P64[i])));
        // the parameter *change* agrees to ~1e-3 relative (fp32 vs fp64), on every element
        expect(worst).toBeLessThan(2e-3);
        [P64, M64, V64] = [ref.p, ref.m, ref.v];
      }
      await session.release();
    });
  }
});
