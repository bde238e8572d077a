// Multi-head attention (self or cross, optional key-padding and causal masks) and a pre-LN transformer
// block with optional cross-attention: enough for a ViT encoder, a text encoder and an image-grounded
// encoder/decoder (the student's ITM / LM heads).
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { layerNorm, linear, mlp, type Activation } from './layers.js';

export interface AttentionOptions {
  batch: number;
  /** Query length T (x is [batch*T, D]). */
  seq: number;
  heads: number;
  /** Cross-attention: keys/values from this [batch*S, Dc] instead of x. */
  context?: { value: Value; seq: number };
  /** [batch, S] float, 1 = attend, 0 = padding. */
  keyMask?: Value;
  /** Each query sees only keys at positions <= its own (decoder). */
  causal?: boolean;
}

const NEG = -1e4; // large but finite: exp underflows to 0 in fp32 without producing NaNs in the gradient

/** [B,T,n*H*dh] rows -> n tensors [B,H,T,dh] with one Transpose and one Split. */
function heads(g: GraphBuilder, x: Value, b: number, t: number, n: number, h: number, dh: number): Value[] {
  const r = g.transpose(g.reshape(x, [b, t, n, h, dh]), [2, 0, 3, 1, 4]);
  if (n === 1) return [g.reshape(r, [b, h, t, dh])];
  return g.split(r, new Array<number>(n).fill(1), 0).map((v) => g.reshape(v, [b, h, t, dh]));
}

export function attention(g: GraphBuilder, name: string, x: Value, o: AttentionOptions): Value {
  const d = x.shape[x.shape.length - 1];
  const h = o.heads;
  const dh = d / h;
  if (!Number.isInteger(dh)) throw new Error(`attention ${name}: dim ${d} not divisible by ${h} heads`);
  const b = o.batch;
  const t = o.seq;
  let q: Value;
  let k: Value;
  let v: Value;
  let s = t;
  if (o.context) {
    s = o.context.seq;
    [q] = heads(g, linear(g, `${name}.q`, x, d), b, t, 1, h, dh);
    [k, v] = heads(g, linear(g, `${name}.kv`, o.context.value, 2 * d), b, s, 2, h, dh);
  } else {
    [q, k, v] = heads(g, linear(g, `${name}.qkv`, x, 3 * d), b, t, 3, h, dh);
  }
  let scores = g.matmul(g.mul(q, 1 / Math.sqrt(dh)), g.transpose(k, [0, 1, 3, 2])); // [B,H,T,S]
  if (o.keyMask) scores = g.add(scores, g.reshape(g.mul(g.sub(1, o.keyMask), NEG), [b, 1, 1, s]));
  if (o.causal) {
    const bias = new Float32Array(t * s);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < s; j++) bias[i * s + j] = NEG;
    scores = g.add(scores, g.constant({ dtype: 'float32', shape: [1, 1, t, s], data: bias }, 'causal'));
  }
  const att = g.softmax(scores, -1);
  const ctx = g.transpose(g.matmul(att, v), [0, 2, 1, 3]); // [B,T,H,dh]
  return linear(g, `${name}.proj`, g.reshape(ctx, [b * t, d]), d);
}

export interface BlockOptions extends AttentionOptions {
  mlpRatio: number;
  act?: Activation;
}

/** Pre-LN block: x + SelfAttn(LN x) [+ CrossAttn(LN x, context)] + MLP(LN x). */
export function transformerBlock(g: GraphBuilder, name: string, x: Value, o: BlockOptions): Value {
  const { context, ...self } = o;
  let y = g.add(x, attention(g, `${name}.attn`, layerNorm(g, `${name}.ln1`, x), { ...self, context: undefined, keyMask: o.keyMask }));
  if (context) {
    y = g.add(y, attention(g, `${name}.cross`, layerNorm(g, `${name}.lnx`, y), { batch: o.batch, seq: o.seq, heads: o.heads, context }));
  }
  const d = x.shape[x.shape.length - 1];
  return g.add(y, mlp(g, `${name}.mlp`, layerNorm(g, `${name}.ln2`, y), Math.round(d * o.mlpRatio), o.act));
}
