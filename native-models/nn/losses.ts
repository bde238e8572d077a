// Losses as compositions of differentiable ops (so autodiff covers them with no special cases).
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';

/** Mean cross-entropy of logits [N, C] against int64 labels [N]; optional float weights [N] (e.g. padding mask). */
export function crossEntropy(g: GraphBuilder, logits: Value, labels: Value, weights?: Value): Value {
  const [n] = logits.shape;
  const logp = g.logSoftmax(logits, -1);
  const picked = g.reshape(g.gatherElements(logp, g.reshape(labels, [n, 1]), 1), [n]);
  if (!weights) return g.neg(g.reduceMean(picked, [0], false));
  const total = g.reduceSum(g.mul(picked, weights), [0], false);
  return g.neg(g.div(total, g.max(g.reduceSum(weights, [0], false), g.scalar(1e-6))));
}

/** Mean binary cross-entropy with logits, stable form: relu(x) - x*y + log(1 + exp(-|x|)). */
export function bceWithLogits(g: GraphBuilder, logits: Value, targets: Value): Value {
  const softplusNegAbs = g.log(g.add(g.exp(g.neg(g.abs(logits))), 1));
  const perElem = g.add(g.sub(g.relu(logits), g.mul(logits, targets)), softplusNegAbs);
  return g.reduceMean(perElem, [...logits.shape.keys()], false);
}

/** Rows scaled to unit L2 norm. */
export function l2normalize(g: GraphBuilder, x: Value, eps = 1e-6): Value {
  return g.div(x, g.sqrt(g.add(g.reduceSum(g.mul(x, x), [-1], true), eps)));
}

/**
 * CLIP-style symmetric contrastive (InfoNCE) loss between matched rows of a [B, D] and b [B, D];
 * `logScale` is a learnable [] temperature (CLIP initialises it at ln(1/0.07)).
 */
export function clipLoss(g: GraphBuilder, a: Value, b: Value, logScale: Value): Value {
  const n = a.shape[0];
  const logits = g.mul(g.gemm(l2normalize(g, a), l2normalize(g, b), null, { transB: true }), g.exp(logScale));
  const labels = g.i64([...Array(n).keys()]);
  const l1 = crossEntropy(g, logits, labels);
  const l2 = crossEntropy(g, g.transpose(logits, [1, 0]), labels);
  return g.mul(g.add(l1, l2), 0.5);
}

/** Number of rows whose argmax equals the label (float scalar; not differentiable). */
export function correctCount(g: GraphBuilder, logits: Value, labels: Value): Value {
  return g.reduceSum(g.cast(g.equal(g.argMax(logits, -1), labels), 'float32'), [0], false);
}
