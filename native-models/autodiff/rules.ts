// Gradient rules: for one forward node, emit ONNX ops computing the input gradients from the output
// gradients. Each rule uses only the builder's op vocabulary, so the backward pass is plain ONNX.
import type { GraphBuilder } from '../graph/builder.js';
import { attrFloat, attrInt, attrInts, type Node, type Value } from '../graph/ir.js';
import { broadcastAxes, sameShape } from '../graph/shape.js';

/** `dy[i]` is the gradient of output i (null: no gradient flows there); `need[i]`: input i wants one. */
export type GradRule = (g: GraphBuilder, n: Node, dy: readonly (Value | null)[], need: readonly boolean[]) => (Value | null)[];

/**
 * Sum over the leading `k` axes as a Gemm with a ones row: bias and norm-parameter gradients reduce a
 * tall [N, D] matrix over N, and MLAS does that ~2-3x faster than ReduceSum over axis 0 (measured).
 */
export function sumLeading(g: GraphBuilder, x: Value, k: number): Value {
  const lead = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(k);
  const ones = g.constant({ dtype: 'float32', shape: [1, lead], data: new Float32Array(lead).fill(1) }, 'ones');
  return g.reshape(g.gemm(ones, g.reshape(x, [lead, rest.reduce((a, b) => a * b, 1)])), rest);
}

/** Sums a broadcast gradient back down to `shape`. */
export function unbroadcast(g: GraphBuilder, grad: Value, shape: readonly number[]): Value {
  if (sameShape(grad.shape, shape)) return grad;
  const axes = broadcastAxes(shape, grad.shape);
  const k = axes.length;
  if (
    k > 0 &&
    axes.every((a, i) => a === i) &&
    k < grad.shape.length &&
    grad.shape.slice(k).join() === shape.slice(shape.length - (grad.shape.length - k)).join()
  ) {
    return g.reshape(sumLeading(g, grad, k), shape);
  }
  return g.reshape(g.reduceSum(grad, axes, true), shape);
}

const inp = (n: Node, i: number): Value => {
  const v = n.inputs[i];
  if (!v) throw new Error(`${n.op}: missing input ${i}`);
  return v;
};
const first = (dy: readonly (Value | null)[]): Value => {
  if (!dy[0]) throw new Error('missing output gradient');
  return dy[0];
};
const swapLast2 = (rank: number): number[] => [...Array(rank - 2).keys(), rank - 1, rank - 2];

const rules: Record<string, GradRule> = {
  Identity: (_g, _n, dy) => [first(dy)],
  Add: (g, n, dy) => [unbroadcast(g, first(dy), inp(n, 0).shape), unbroadcast(g, first(dy), inp(n, 1).shape)],
  Sub: (g, n, dy, need) => [unbroadcast(g, first(dy), inp(n, 0).shape), need[1] ? unbroadcast(g, g.neg(first(dy)), inp(n, 1).shape) : null],
  Sum: (g, n, dy) => n.inputs.map((v) => unbroadcast(g, first(dy), (v as Value).shape)),
  Mul: (g, n, dy, need) => [
    need[0] ? unbroadcast(g, g.mul(first(dy), inp(n, 1)), inp(n, 0).shape) : null,
    need[1] ? unbroadcast(g, g.mul(first(dy), inp(n, 0)), inp(n, 1).shape) : null,
  ],
  Div: (g, n, dy, need) => [
    need[0] ? unbroadcast(g, g.div(first(dy), inp(n, 1)), inp(n, 0).shape) : null,
    // d(a/b)/db = -y/b
    need[1] ? unbroadcast(g, g.neg(g.div(g.mul(first(dy), n.outputs[0]), inp(n, 1))), inp(n, 1).shape) : null,
  ],
  Neg: (g, _n, dy) => [g.neg(first(dy))],
  Relu: (g, n, dy) => [g.where(g.greater(inp(n, 0), 0), first(dy), 0)],
  Gelu: (g, n, dy) => {
    // d/dx [x Φ(x)] = Φ(x) + x φ(x)
    const x = inp(n, 0);
    const cdf = g.add(g.mul(g.erf(g.mul(x, Math.SQRT1_2)), 0.5), 0.5);
    const pdf = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [g.mul(first(dy), g.add(cdf, g.mul(x, pdf)))];
  },
  Sigmoid: (g, n, dy) => {
    const y = n.outputs[0];
    return [g.mul(first(dy), g.mul(y, g.sub(1, y)))];
  },
  Tanh: (g, n, dy) => {
    const y = n.outputs[0];
    return [g.mul(first(dy), g.sub(1, g.mul(y, y)))];
  },
  Exp: (g, n, dy) => [g.mul(first(dy), n.outputs[0])],
  Log: (g, n, dy) => [g.div(first(dy), inp(n, 0))],
  Sqrt: (g, n, dy) => [g.div(g.mul(first(dy), 0.5), n.outputs[0])],
  Abs: (g, n, dy) => [g.mul(first(dy), g.sign(inp(n, 0)))],
  Erf: (g, n, dy) => {
    const x = inp(n, 0);
    return [g.mul(first(dy), g.mul(g.exp(g.neg(g.mul(x, x))), 2 / Math.sqrt(Math.PI)))];
  },
  Reciprocal: (g, n, dy) => {
    const y = n.outputs[0];
    return [g.neg(g.mul(first(dy), g.mul(y, y)))];
  },
  Sign: () => [null],
  Where: (g, n, dy, need) => {
    const c = inp(n, 0);
    return [
      null,
      need[1] ? unbroadcast(g, g.where(c, first(dy), 0), inp(n, 1).shape) : null,
      need[2] ? unbroadcast(g, g.where(c, 0, first(dy)), inp(n, 2).shape) : null,
    ];
  },

  MatMul: (g, n, dy, need) => {
    const a = inp(n, 0);
    const b = inp(n, 1);
    const d = first(dy);
    let da: Value | null = null;
    let db: Value | null = null;
    if (need[0]) {
      if (b.shape.length === 2 && a.shape.length > 2) {
        // [..., m, n] @ B^T as one 2-D Gemm over the flattened leading dims
        const d2 = g.reshape(d, [-1, d.shape[d.shape.length - 1]]);
        da = g.reshape(g.gemm(d2, b, null, { transB: true }), a.shape);
      } else {
        da = unbroadcast(g, g.matmul(d, g.transpose(b, swapLast2(b.shape.length))), a.shape);
      }
    }
    if (need[1]) {
      if (b.shape.length === 2) {
        // weight gradient: one Gemm (A^T dY) over all leading dims instead of a batched matmul + reduce
        const a2 = g.reshape(a, [-1, a.shape[a.shape.length - 1]]);
        const d2 = g.reshape(d, [-1, d.shape[d.shape.length - 1]]);
        db = g.gemm(a2, d2, null, { transA: true });
      } else {
        db = unbroadcast(g, g.matmul(g.transpose(a, swapLast2(a.shape.length)), d), b.shape);
      }
    }
    return [da, db];
  },

  Gemm: (g, n, dy, need) => {
    const a = inp(n, 0);
    const b = inp(n, 1);
    const c = n.inputs[2] ?? null;
    const d = first(dy);
    const tA = attrInt(n, 'transA', 0) === 1;
    const tB = attrInt(n, 'transB', 0) === 1;
    const alpha = attrFloat(n, 'alpha', 1);
    const beta = attrFloat(n, 'beta', 1);
    let da: Value | null = null;
    let db: Value | null = null;
    if (need[0]) {
      da = tA ? g.gemm(b, d, null, { transA: tB, transB: true, alpha }) : g.gemm(d, b, null, { transB: !tB, alpha });
    }
    if (need[1]) {
      db = tB ? g.gemm(d, a, null, { transA: true, transB: tA, alpha }) : g.gemm(a, d, null, { transA: !tA, alpha });
    }
    let dc: Value | null = null;
    if (c && need[2]) {
      dc = unbroadcast(g, d, c.shape);
      if (beta !== 1) dc = g.mul(dc, beta);
    }
    return [da, db, dc];
  },

  Softmax: (g, n, dy) => {
    const y = n.outputs[0];
    const axis = attrInt(n, 'axis', -1);
    const d = first(dy);
    return [g.mul(y, g.sub(d, g.reduceSum(g.mul(d, y), [axis], true)))];
  },
  LogSoftmax: (g, n, dy) => {
    const axis = attrInt(n, 'axis', -1);
    const d = first(dy);
    return [g.sub(d, g.mul(g.exp(n.outputs[0]), g.reduceSum(d, [axis], true)))];
  },

  LayerNormalization: (g, n, dy, need) => {
    const x = inp(n, 0);
    const scale = inp(n, 1);
    const [, mean, invStd] = n.outputs;
    const axis = attrInt(n, 'axis', -1);
    const d = first(dy);
    const r = x.shape.length;
    const normAxes = [...Array(r).keys()].slice(axis);
    const leadAxes = [...Array(r).keys()].slice(0, axis);
    const xhat = g.mul(g.sub(x, mean), invStd);
    const dscale = need[1] ? g.reshape(sumLeading(g, g.mul(d, xhat), leadAxes.length), scale.shape) : null;
    const dbias = n.inputs[2] && need[2] ? g.reshape(sumLeading(g, d, leadAxes.length), scale.shape) : null;
    let dx: Value | null = null;
    if (need[0]) {
      const dxhat = g.mul(d, scale);
      const m1 = g.reduceMean(dxhat, normAxes, true);
      const m2 = g.reduceMean(g.mul(dxhat, xhat), normAxes, true);
      dx = g.mul(invStd, g.sub(g.sub(dxhat, m1), g.mul(xhat, m2)));
    }
    return [dx, dscale, dbias];
  },

  Gather: (g, n, dy) => {
    const data = inp(n, 0);
    const idx = inp(n, 1);
    if (attrInt(n, 'axis', 0) !== 0) throw new Error('Gather gradient: only axis 0 is supported');
    const row = data.shape.slice(1).reduce((p, q) => p * q, 1);
    const count = idx.shape.reduce((p, q) => p * q, 1);
    const upd = g.reshape(first(dy), [count, row]);
    const where = g.expand(g.reshape(idx, [count, 1]), [count, row]);
    const grad = g.scatterElementsAdd(g.zeros([data.shape[0], row]), where, upd, 0);
    return [g.reshape(grad, data.shape), null];
  },
  GatherElements: (g, n, dy) => {
    const data = inp(n, 0);
    return [g.scatterElementsAdd(g.zeros([...data.shape]), inp(n, 1), first(dy), attrInt(n, 'axis', 0)), null];
  },

  Reshape: (g, n, dy) => [g.reshape(first(dy), inp(n, 0).shape), null],
  Transpose: (g, n, dy) => {
    const perm = attrInts(n, 'perm', []);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(first(dy), inv)];
  },
  Concat: (g, n, dy) => {
    const axis = attrInt(n, 'axis', 0);
    const parts = g.split(
      first(dy),
      n.inputs.map((v) => (v as Value).shape[axis]),
      axis,
    );
    return parts;
  },
  Split: (g, n, dy) => {
    const axis = attrInt(n, 'axis', 0);
    const parts = n.outputs.map((o, i) => dy[i] ?? g.zeros([...o.shape]));
    return [g.concat(parts, axis), null];
  },
  Slice: (g, n, dy) => {
    const x = inp(n, 0);
    const data = (v: Value | null) => (v ? (g.initializers.get(v)?.data as BigInt64Array | undefined) : undefined);
    const starts = data(n.inputs[1]);
    const axes = data(n.inputs[3]);
    const steps = data(n.inputs[4] ?? null);
    if (!starts || !axes) throw new Error('Slice gradient: starts/axes must be constants');
    if (steps && [...steps].some((s) => s !== 1n)) throw new Error('Slice gradient: steps other than 1 are not supported');
    const r = x.shape.length;
    const pads = new Array<number>(2 * r).fill(0);
    const out = n.outputs[0];
    axes.forEach((a, i) => {
      const ax = Number(a);
      const d = x.shape[ax];
      const s = Number(starts[i]);
      const begin = Math.min(Math.max(s < 0 ? s + d : s, 0), d);
      pads[ax] = begin;
      pads[ax + r] = d - begin - out.shape[ax];
    });
    return [g.pad(first(dy), pads, 0), null, null, null, null];
  },
  Expand: (g, n, dy) => [unbroadcast(g, first(dy), inp(n, 0).shape), null],
  Pad: (g, n, dy) => {
    const x = inp(n, 0);
    const pads = g.initializers.get(inp(n, 1))?.data as BigInt64Array | undefined;
    if (!pads) throw new Error('Pad gradient: pads must be constant');
    const r = x.shape.length;
    const starts = x.shape.map((_, i) => Number(pads[i]));
    return [
      g.slice(
        first(dy),
        starts,
        starts.map((s, i) => s + x.shape[i]),
        [...Array(r).keys()],
      ),
      null,
      null,
    ];
  },

  ReduceSum: (g, n, dy) => {
    const x = inp(n, 0);
    const keep = x.shape.map((d, i) => (attrInts(n, 'axes', []).includes(i) ? 1 : d));
    return [g.expand(g.reshape(first(dy), keep), [...x.shape])];
  },
  ReduceMean: (g, n, dy) => {
    const x = inp(n, 0);
    const axes = attrInts(n, 'axes', []);
    const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    return [g.expand(g.mul(g.reshape(first(dy), keep), 1 / count), [...x.shape])];
  },
  ReduceMax: (g, n, dy) => {
    // Ties each receive the full gradient (a subgradient choice; ties are measure-zero in practice).
    const x = inp(n, 0);
    const keep = x.shape.map((d, i) => (attrInts(n, 'axes', []).includes(i) ? 1 : d));
    const y = g.reshape(n.outputs[0], keep);
    return [g.where(g.equal(x, y), g.reshape(first(dy), keep), 0)];
  },

  Conv: (g, n, dy, need) => {
    const x = inp(n, 0);
    const w = inp(n, 1);
    const d = first(dy);
    const sp = x.shape.length - 2;
    const strides = attrInts(n, 'strides', []);
    const pads = attrInts(n, 'pads', []);
    const dil = attrInts(n, 'dilations', []);
    const group = attrInt(n, 'group', 1);
    let dx: Value | null = null;
    let dw: Value | null = null;
    if (need[0]) {
      const outputPadding = [...Array(sp).keys()].map((i) => {
        const base = strides[i] * (d.shape[2 + i] - 1) + (w.shape[2 + i] - 1) * dil[i] + 1 - pads[i] - pads[i + sp];
        return x.shape[2 + i] - base;
      });
      dx = g.convTranspose(d, w, { strides, pads, dilations: dil, group, outputPadding });
    }
    if (need[1]) {
      if (group !== 1) throw new Error('Conv weight gradient: group > 1 is not supported');
      // dW[m,c,i,j] = sum_{n,y,x} X[n,c,y*s+i*d-p] dY[n,m,y,x]: a Conv with batch and channels swapped,
      // stride and dilation exchanged; extra rows (from padding slack) are sliced off.
      const perm = [1, 0, ...[...Array(sp).keys()].map((i) => i + 2)];
      const r = g.conv(g.transpose(x, perm), g.transpose(d, perm), null, { strides: dil, dilations: strides, pads });
      const cut = g.slice(
        r,
        new Array<number>(sp).fill(0),
        w.shape.slice(2),
        [...Array(sp).keys()].map((i) => i + 2),
      );
      dw = g.transpose(cut, perm);
    }
    const db = n.inputs[2] && need[2] ? g.reduceSum(d, [0, ...[...Array(sp).keys()].map((i) => i + 2)], false) : null;
    return [dx, dw, db];
  },
  AveragePool: (g, n, dy) => {
    // kernel == stride, no padding (enforced by the builder): spread each output evenly over its window.
    const x = inp(n, 0);
    const k = attrInts(n, 'kernel_shape', []);
    const d = first(dy);
    const sp = k.length;
    const inter = [d.shape[0], d.shape[1]];
    const full = [d.shape[0], d.shape[1]];
    for (let i = 0; i < sp; i++) {
      inter.push(d.shape[2 + i], 1);
      full.push(d.shape[2 + i], k[i]);
    }
    const area = k.reduce((p, q) => p * q, 1);
    return [g.reshape(g.expand(g.reshape(g.mul(d, 1 / area), inter), full), x.shape)];
  },
  GlobalAveragePool: (g, n, dy) => {
    const x = inp(n, 0);
    const area = x.shape.slice(2).reduce((p, q) => p * q, 1);
    return [g.expand(g.mul(first(dy), 1 / area), [...x.shape])];
  },
};

export function gradRule(op: string): GradRule | undefined {
  return rules[op];
}

export const differentiableOps = (): string[] => Object.keys(rules).sort();
