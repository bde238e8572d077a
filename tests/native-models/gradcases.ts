// The gradient-check cases, as data: run by gradients.test.ts (vitest) and by run-gradchecks.ts (plain
// node, for the device check where vitest is not carried).
import type { GradRule } from '../../native-models/autodiff/rules.js';
import type { GraphBuilder } from '../../native-models/graph/builder.js';
import type { Value } from '../../native-models/graph/ir.js';
import { VitClassifier } from '../../native-models/models/vit-tiny.js';
import { attention, transformerBlock } from '../../native-models/nn/attention.js';
import { conv2d, embedding, linear } from '../../native-models/nn/layers.js';
import { bceWithLogits, clipLoss, crossEntropy } from '../../native-models/nn/losses.js';
import type { CheckInput, CheckOptions } from './gradcheck.js';

/** fp32 forward + central differences: errors sit around 1e-4; a 2% error in a gradient fails. */
export const TOL = 5e-3;

export type Case = [name: string, build: (g: GraphBuilder, x: Value[]) => Value, inputs: CheckInput[], opts?: CheckOptions];
const f = (...shape: number[]): CheckInput => ({ shape });
const pos = (...shape: number[]): CheckInput => ({ shape, positive: true });
const away = (...shape: number[]): CheckInput => ({ shape, awayFromZero: 0.05 });

export const opCases: Case[] = [
  ['Add (broadcast)', (g, [a, b]) => g.add(a, b), [f(2, 3), f(3)]],
  ['Sub (broadcast)', (g, [a, b]) => g.sub(a, b), [f(2, 3), f(2, 1)]],
  ['Mul (broadcast)', (g, [a, b]) => g.mul(a, b), [f(2, 1, 4), f(3, 1)]],
  ['Div (broadcast)', (g, [a, b]) => g.div(a, b), [f(2, 3), pos(3)]],
  ['Sum (n-ary)', (g, [a, b, c]) => g.sum([a, b, c]), [f(2, 3), f(3), f(2, 1)]],
  ['Neg', (g, [a]) => g.neg(a), [f(5)]],
  ['Identity', (g, [a]) => g.mul(g.identity(a), a), [f(5)]],
  ['Relu', (g, [a]) => g.relu(a), [away(3, 4)]],
  ['Gelu', (g, [a]) => g.gelu(a), [f(3, 4)]],
  ['Sigmoid', (g, [a]) => g.sigmoid(a), [f(3, 4)]],
  ['Tanh', (g, [a]) => g.tanh(a), [f(3, 4)]],
  ['Exp', (g, [a]) => g.exp(a), [f(3, 4)]],
  ['Log', (g, [a]) => g.log(a), [pos(3, 4)]],
  ['Sqrt', (g, [a]) => g.sqrt(a), [pos(3, 4)]],
  ['Abs', (g, [a]) => g.abs(a), [away(3, 4)]],
  ['Erf', (g, [a]) => g.erf(a), [f(3, 4)]],
  ['Reciprocal', (g, [a]) => g.reciprocal(a), [pos(6)]],
  ['Where', (g, [c, a, b]) => g.where(c, a, b), [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, f(2, 3), f(3)]],
  ['MatMul 2-D', (g, [a, b]) => g.matmul(a, b), [f(3, 4), f(4, 5)]],
  ['MatMul batched x 2-D weight', (g, [a, b]) => g.matmul(a, b), [f(2, 3, 4), f(4, 5)]],
  ['MatMul broadcast batch', (g, [a, b]) => g.matmul(a, b), [f(2, 1, 3, 4), f(3, 4, 2)]],
  ['Gemm', (g, [a, b, c]) => g.gemm(a, b, c), [f(3, 4), f(4, 5), f(5)]],
  ['Gemm transA transB alpha beta', (g, [a, b, c]) => g.gemm(a, b, c, { transA: true, transB: true, alpha: 0.7, beta: 1.5 }), [f(4, 3), f(5, 4), f(3, 1)]],
  ['Gemm transB', (g, [a, b]) => g.gemm(a, b, null, { transB: true }), [f(3, 4), f(5, 4)]],
  ['Softmax (last axis)', (g, [a]) => g.softmax(a, -1), [f(3, 5)]],
  ['Softmax (axis 1 of 3)', (g, [a]) => g.softmax(a, 1), [f(2, 3, 4)]],
  ['LogSoftmax', (g, [a]) => g.logSoftmax(a, -1), [f(3, 5)]],
  ['LayerNormalization', (g, [a, s, b]) => g.layerNorm(a, s, b, -1), [f(4, 6), f(6), f(6)]],
  ['LayerNormalization (2 axes)', (g, [a, s, b]) => g.layerNorm(a, s, b, 1), [f(2, 3, 4), f(3, 4), f(3, 4)]],
  ['Gather (duplicate indices)', (g, [t, i]) => g.gather(t, i, 0), [f(5, 3), { shape: [2, 3], dtype: 'int64', values: [0, 2, 2, 4, 0, 0] }]],
  ['GatherElements', (g, [t, i]) => g.gatherElements(t, i, 1), [f(3, 4), { shape: [3, 2], dtype: 'int64', values: [0, 3, 1, 1, 2, 0] }]],
  ['Reshape', (g, [a]) => g.mul(g.reshape(a, [3, 4]), g.reshape(a, [3, 4])), [f(2, 6)]],
  ['Transpose', (g, [a, b]) => g.mul(g.transpose(a, [2, 0, 1]), b), [f(2, 3, 4), f(4, 2, 3)]],
  ['Concat', (g, [a, b]) => g.tanh(g.concat([a, b], 1)), [f(2, 3), f(2, 2)]],
  [
    'Split',
    (g, [a]) => {
      const [p, q] = g.split(a, [1, 3], 1);
      return g.concat([g.tanh(p), g.sigmoid(q)], 1);
    },
    [f(2, 4)],
  ],
  ['Slice', (g, [a]) => g.tanh(g.slice(a, [1, 0], [3, -1], [0, 1])), [f(4, 5)]],
  ['Expand', (g, [a]) => g.tanh(g.expand(a, [3, 2, 4])), [f(2, 1)]],
  ['Pad', (g, [a]) => g.tanh(g.pad(a, [1, 0, 0, 2], 0.5)), [f(2, 3)]],
  ['ReduceSum', (g, [a]) => g.tanh(g.reduceSum(a, [0, 2], false)), [f(2, 3, 4)]],
  ['ReduceMean', (g, [a]) => g.tanh(g.reduceMean(a, [1], true)), [f(2, 3, 4)]],
  ['ReduceMax', (g, [a]) => g.reduceMax(a, [1], false), [f(3, 5)]],
  ['Conv 3x3 pad 1 + bias', (g, [x, w, b]) => g.conv(x, w, b, { pads: [1, 1, 1, 1] }), [f(2, 3, 5, 5), f(4, 3, 3, 3), f(4)]],
  ['Conv stride 2', (g, [x, w]) => g.conv(x, w, null, { strides: [2, 2], pads: [1, 1, 1, 1] }), [f(2, 2, 6, 7), f(3, 2, 3, 3)]],
  ['Conv dilation 2 asymmetric pad', (g, [x, w]) => g.conv(x, w, null, { dilations: [2, 2], pads: [0, 1, 2, 0] }), [f(1, 2, 7, 6), f(2, 2, 3, 2)]],
  ['AveragePool 2x2', (g, [x]) => g.tanh(g.averagePool(x, [2, 2])), [f(2, 3, 4, 6)]],
  ['GlobalAveragePool', (g, [x]) => g.tanh(g.globalAveragePool(x)), [f(2, 3, 3, 4)]],
];

const B = 2;
const T = 3;
const vit = new VitClassifier({ imageSize: 8, channels: 1, patch: 2, dim: 8, depth: 2, heads: 2, mlpRatio: 2, classes: 3, stem: [4] });

export const compositeCases: Case[] = [
  [
    'self-attention (2 heads) with key-padding mask',
    (g, [x, mask]) => attention(g, 'att', x, { batch: B, seq: T, heads: 2, keyMask: mask }),
    [f(B * T, 8), { shape: [B, T], values: [1, 1, 0, 1, 1, 1], constant: true }],
    { withParams: true },
  ],
  [
    'causal cross-attention',
    (g, [x, ctx]) => attention(g, 'att', x, { batch: B, seq: T, heads: 2, causal: true, context: { value: ctx, seq: 4 } }),
    [f(B * T, 8), f(B * 4, 6)],
    { withParams: true },
  ],
  [
    'transformer block with cross-attention (image-grounded decoder layer)',
    (g, [x, ctx]) => transformerBlock(g, 'blk', x, { batch: B, seq: T, heads: 2, mlpRatio: 2, causal: true, context: { value: ctx, seq: 2 } }),
    [f(B * T, 8), f(B * 2, 8)],
    { withParams: true, sample: 120 },
  ],
  [
    'cross-entropy with per-sample weights',
    (g, [z, y, w]) => crossEntropy(g, z, y, w),
    [f(4, 5), { shape: [4], dtype: 'int64', values: [1, 0, 4, 4] }, { shape: [4], values: [1, 1, 0, 1], constant: true }],
  ],
  ['BCE with logits', (g, [z, t]) => bceWithLogits(g, z, t), [away(3, 4), { shape: [3, 4], values: [0, 1, 1, 0, 0.3, 1, 0, 0, 1, 1, 0.5, 0], constant: true }]],
  ['CLIP contrastive loss (learned temperature)', (g, [a, b, s]) => clipLoss(g, a, b, s), [f(4, 6), f(4, 6), { shape: [], values: [1.2] }]],
  [
    'embedding + linear + conv layers',
    (g, [ids, img]) => {
      const e = g.reduceMean(embedding(g, 'emb', ids, 7, 4), [1], false); // [2,4]
      const c = g.reshape(g.globalAveragePool(conv2d(g, 'conv', img, 4, 3, { stride: 2 })), [2, 4]);
      return linear(g, 'out', g.gelu(g.add(e, c)), 3);
    },
    [{ shape: [2, 3], dtype: 'int64', values: [1, 6, 1, 0, 3, 3] }, f(2, 1, 6, 6)],
    { withParams: true },
  ],
  [
    'whole ViT classifier loss (conv stem, 2 blocks), sampled parameters',
    (g, [img, lab]) => vit.loss(g, vit.forward(g, { image: img }, 2), { label: lab }).loss,
    [f(2, 1, 8, 8), { shape: [2], dtype: 'int64', values: [2, 0] }],
    { withParams: true, sample: 150 },
  ],
];

const wrongTanh: GradRule = (g, n, dy) => [g.mul(dy[0] as Value, g.sub(1, n.outputs[0]))];
// correct for a plain Gemm, wrong for transB=1
const gemmIgnoringTransB: GradRule = (g, n, dy) => [
  g.gemm(dy[0] as Value, n.inputs[1] as Value, null, { transB: true }),
  g.gemm(n.inputs[0] as Value, dy[0] as Value, null, { transA: true }),
  null,
];

/** Negative controls: each must produce an error above `minErr`, proving the checker can fail. */
export const negativeCases: (readonly [...Case, number])[] = [
  ['a wrong gradient rule (Tanh rule missing the square)', (g, [a]) => g.tanh(a), [f(3, 4)], { overrides: { Tanh: wrongTanh } }, 0.05],
  ['a 2% scale error in an otherwise correct gradient', (g, [a, b]) => g.matmul(a, b), [f(3, 4), f(4, 5)], { scaleAnalytic: 1.02 }, TOL],
  [
    'a transposed-operand mistake in Gemm',
    (g, [a, b]) => g.gemm(a, b, null, { transB: true }),
    [f(3, 4), f(4, 4)],
    { overrides: { Gemm: gemmIgnoringTransB } },
    0.05,
  ],
];
