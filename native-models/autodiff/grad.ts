// Reverse-mode autodiff over a GraphBuilder: walks the forward nodes backwards from the loss and emits
// the backward pass as ONNX ops into the same graph (so forward activations are reused, not recomputed).
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { gradRule, type GradRule } from './rules.js';

/**
 * Gradients of `loss` (any shape; seeded with ones, or `seed` when given) with respect to `wrt`.
 * A value in `wrt` that does not influence the loss gets a zero gradient.
 */
export function gradients(g: GraphBuilder, loss: Value, wrt: readonly Value[], seed?: Value, overrides: Readonly<Record<string, GradRule>> = {}): Value[] {
  const forward = g.nodes.slice();
  // Values depending on some `wrt` (forward sweep) ...
  const dependsOnWrt = new Set(wrt.map((v) => v.id));
  for (const n of forward) {
    if (n.inputs.some((v) => v && dependsOnWrt.has(v.id))) {
      for (const o of n.outputs) if (o.dtype === 'float32') dependsOnWrt.add(o.id);
    }
  }
  // ... and influencing the loss (backward sweep): only their intersection carries gradients.
  const reachesLoss = new Set([loss.id]);
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    if (n.outputs.some((o) => reachesLoss.has(o.id))) for (const v of n.inputs) if (v) reachesLoss.add(v.id);
  }
  const needs = (v: Value | null): boolean => !!v && dependsOnWrt.has(v.id) && reachesLoss.has(v.id);

  const pending = new Map<number, Value[]>();
  const push = (v: Value, grad: Value) => {
    if (grad.shape.join() !== v.shape.join()) {
      throw new Error(`gradient for ${v.name} has shape [${grad.shape}], expected [${v.shape}]`);
    }
    const list = pending.get(v.id);
    if (list) list.push(grad);
    else pending.set(v.id, [grad]);
  };
  const take = (v: Value): Value | null => {
    const list = pending.get(v.id);
    if (!list) return null;
    const total = g.sum(list);
    pending.set(v.id, [total]);
    return total;
  };

  push(loss, seed ?? (loss.shape.length === 0 ? g.scalar(1) : g.expand(g.scalar(1), [...loss.shape])));
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    const need = n.inputs.map(needs);
    if (!need.some(Boolean)) continue;
    const dy = n.outputs.map(take);
    if (!dy.some(Boolean)) continue;
    const rule = overrides[n.op] ?? gradRule(n.op);
    if (!rule) throw new Error(`no gradient rule for ${n.op} (on the path from parameters to the loss)`);
    const dx = rule(g, n, dy, need);
    n.inputs.forEach((v, k) => {
      const d = dx[k];
      if (v && need[k] && d) push(v, d);
    });
  }
  return wrt.map((v) => take(v) ?? g.zeros([...v.shape]));
}
