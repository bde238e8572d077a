// Building blocks shared by the ViT classifier and the student: each takes a name prefix, creates its
// parameters on the builder (names are the checkpoint/export keys) and returns the output value.
// Token tensors stay 2-D [B*T, D] between blocks so every projection is a single Gemm.
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';

export function linear(g: GraphBuilder, name: string, x: Value, outDim: number, o: { bias?: boolean; std?: number } = {}): Value {
  const inDim = x.shape[x.shape.length - 1];
  const w = g.param(`${name}.weight`, [inDim, outDim], { kind: 'normal', std: o.std ?? 0.02 });
  const b = o.bias === false ? null : g.param(`${name}.bias`, [outDim], { kind: 'zeros' }, false);
  if (x.shape.length === 2) return g.gemm(x, w, b);
  const y = g.gemm(g.reshape(x, [-1, inDim]), w, b);
  return g.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

export function layerNorm(g: GraphBuilder, name: string, x: Value, eps = 1e-5): Value {
  const d = x.shape[x.shape.length - 1];
  const scale = g.param(`${name}.weight`, [d], { kind: 'ones' }, false);
  const bias = g.param(`${name}.bias`, [d], { kind: 'zeros' }, false);
  return g.layerNorm(x, scale, bias, -1, eps);
}

export type Activation = 'gelu' | 'relu';
export function activate(g: GraphBuilder, x: Value, act: Activation): Value {
  return act === 'gelu' ? g.gelu(x) : g.relu(x);
}

export function mlp(g: GraphBuilder, name: string, x: Value, hidden: number, act: Activation = 'gelu'): Value {
  const d = x.shape[x.shape.length - 1];
  return linear(g, `${name}.fc2`, activate(g, linear(g, `${name}.fc1`, x, hidden), act), d);
}

/** Token embedding table lookup; `ids` int64 of any shape -> [...ids.shape, dim]. */
export function embedding(g: GraphBuilder, name: string, ids: Value, vocab: number, dim: number): Value {
  const table = g.param(`${name}.weight`, [vocab, dim], { kind: 'normal', std: 0.02 }, false);
  return g.gather(table, ids, 0);
}

export function conv2d(
  g: GraphBuilder,
  name: string,
  x: Value,
  outCh: number,
  kernel: number,
  o: { stride?: number; pad?: number; bias?: boolean } = {},
): Value {
  const inCh = x.shape[1];
  const fanIn = inCh * kernel * kernel;
  const w = g.param(`${name}.weight`, [outCh, inCh, kernel, kernel], { kind: 'normal', std: Math.sqrt(2 / fanIn) });
  const b = o.bias === false ? null : g.param(`${name}.bias`, [outCh], { kind: 'zeros' }, false);
  const s = o.stride ?? 1;
  const p = o.pad ?? Math.floor(kernel / 2);
  return g.conv(x, w, b, { strides: [s, s], pads: [p, p, p, p] });
}

/**
 * Non-overlapping p x p patches of an NCHW image as tokens [B * (H/p) * (W/p), C * p * p]
 * (row-major patches, channel-major within a patch: the layout of a stride-p Conv's weight).
 */
export function patchify(g: GraphBuilder, x: Value, p: number): Value {
  const [b, c, h, w] = x.shape;
  if (h % p || w % p) throw new Error(`patchify: ${h}x${w} not divisible by ${p}`);
  const t = g.transpose(g.reshape(x, [b, c, h / p, p, w / p, p]), [0, 2, 4, 1, 3, 5]);
  return g.reshape(t, [b * (h / p) * (w / p), c * p * p]);
}

/** Patch embedding = stride-p Conv done as reshape + one Gemm (cheaper forward and backward on CPU). */
export function patchEmbed(g: GraphBuilder, name: string, x: Value, p: number, dim: number): Value {
  return linear(g, name, patchify(g, x, p), dim, { std: Math.sqrt(1 / (x.shape[1] * p * p)) });
}
