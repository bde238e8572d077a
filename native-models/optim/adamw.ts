// AdamW (decoupled weight decay, Loshchilov & Hutter) with global-norm clipping, as ONNX ops over the
// flat parameter buffer. The learning rate and step count are graph inputs, so any schedule runs on the JS
// side without rebuilding the graph. Scalars are folded on [] tensors to keep passes over P to a minimum.
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 or undefined disables clipping. */
  clipNorm?: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, clipNorm: 1.0 };

export interface AdamWState {
  params: Value;
  grad: Value;
  m: Value;
  v: Value;
  /** Scalar learning rate for this step. */
  lr: Value;
  /** Scalar step number, 1-based (bias correction). */
  step: Value;
  /** [P] 0/1 mask of parameters that receive weight decay (a constant). */
  decayMask: Value | null;
}

export interface AdamWOutputs {
  params: Value;
  m: Value;
  v: Value;
  gradNorm: Value;
}

export function adamw(g: GraphBuilder, s: AdamWState, c: AdamWConfig): AdamWOutputs {
  const gradNorm = g.sqrt(g.reduceSum(g.mul(s.grad, s.grad), [0], false));
  // clip factor k = min(1, max_norm / (norm + 1e-6)), folded into the moment coefficients (scalars)
  const k = c.clipNorm ? g.min(g.scalar(1), g.div(c.clipNorm, g.add(gradNorm, 1e-6))) : g.scalar(1);
  const m = g.add(g.mul(s.m, c.beta1), g.mul(s.grad, g.mul(k, 1 - c.beta1)));
  const v = g.add(g.mul(s.v, c.beta2), g.mul(g.mul(s.grad, s.grad), g.mul(g.mul(k, k), 1 - c.beta2)));
  // lr * mhat / (sqrt(vhat) + eps) == [lr * sqrt(bc2) / bc1] * m / (sqrt(v) + eps * sqrt(bc2))
  const bc1 = g.sub(1, g.pow(g.scalar(c.beta1), s.step));
  const sbc2 = g.sqrt(g.sub(1, g.pow(g.scalar(c.beta2), s.step)));
  const stepSize = g.div(g.mul(s.lr, sbc2), bc1);
  const update = g.mul(g.div(m, g.add(g.sqrt(v), g.mul(sbc2, c.eps))), stepSize);
  let p = s.params;
  if (c.weightDecay > 0) {
    const decay = g.mul(s.lr, c.weightDecay);
    const shrink = s.decayMask ? g.mul(g.mul(p, s.decayMask), decay) : g.mul(p, decay);
    p = g.sub(p, shrink);
  }
  return { params: g.sub(p, update), m, v, gradNorm };
}
