// A small ViT-style image classifier: patch (or conv-stem) embedding, learned positions, pre-LN
// transformer blocks, mean-pooled tokens, linear head. The same blocks make up the student.
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { transformerBlock } from '../nn/attention.js';
import { activate, conv2d, layerNorm, linear, patchEmbed } from '../nn/layers.js';
import { correctCount, crossEntropy } from '../nn/losses.js';
import type { InputSpec, LossResult, Preprocessing, TaskModel } from './model.js';

export interface VitConfig {
  imageSize: number;
  channels: number;
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  classes: number;
  /** Stride-2 3x3 conv channels before patching ([] = plain patch embedding). */
  stem: number[];
  labels?: string[];
}

export const VIT_TINY: VitConfig = { imageSize: 32, channels: 1, patch: 4, dim: 64, depth: 3, heads: 4, mlpRatio: 2, classes: 10, stem: [] };
/** ~1.9M parameters with a conv stem: the benchmark's stand-in for the student's image encoder. */
export const VIT_STUDENT_STANDIN: VitConfig = { imageSize: 64, channels: 1, patch: 2, dim: 192, depth: 4, heads: 3, mlpRatio: 4, classes: 10, stem: [32, 64] };

export function tokenGrid(c: VitConfig): number {
  return c.imageSize / 2 ** c.stem.length / c.patch;
}

/** The image encoder alone: [B, C, H, W] -> tokens [B*T, D] (post final LayerNorm). */
export function vitEncoder(g: GraphBuilder, name: string, image: Value, c: VitConfig, batch: number): { tokens: Value; seq: number } {
  let x = image;
  c.stem.forEach((ch, i) => {
    x = activate(g, conv2d(g, `${name}.stem.${i}`, x, ch, 3, { stride: 2, pad: 1 }), 'gelu');
  });
  const grid = tokenGrid(c);
  const seq = grid * grid;
  if (!Number.isInteger(grid)) throw new Error(`vit: image ${c.imageSize} does not split into ${c.patch}-patches after the stem`);
  let t = patchEmbed(g, `${name}.patch`, x, c.patch, c.dim); // [B*T, D]
  const pos = g.param(`${name}.pos`, [seq, c.dim], { kind: 'normal', std: 0.02 }, false);
  t = g.reshape(g.add(g.reshape(t, [batch, seq, c.dim]), pos), [batch * seq, c.dim]);
  for (let i = 0; i < c.depth; i++) {
    t = transformerBlock(g, `${name}.blocks.${i}`, t, { batch, seq, heads: c.heads, mlpRatio: c.mlpRatio });
  }
  return { tokens: layerNorm(g, `${name}.norm`, t), seq };
}

export class VitClassifier implements TaskModel<VitConfig> {
  readonly arch = 'vit-classifier';
  readonly preprocessing: Preprocessing;
  constructor(readonly config: VitConfig) {
    this.preprocessing = {
      layout: 'NCHW',
      channels: config.channels,
      height: config.imageSize,
      width: config.imageSize,
      scale: 255,
      mean: new Array<number>(config.channels).fill(0.5),
      std: new Array<number>(config.channels).fill(0.25),
      resize: 'bilinear',
    };
  }
  get labels(): readonly string[] | undefined {
    return this.config.labels;
  }
  inputs(batch: number): { features: InputSpec[]; targets: InputSpec[] } {
    const c = this.config;
    return {
      features: [{ name: 'image', shape: [batch, c.channels, c.imageSize, c.imageSize], dtype: 'float32' }],
      targets: [{ name: 'label', shape: [batch], dtype: 'int64' }],
    };
  }
  forward(g: GraphBuilder, x: Readonly<Record<string, Value>>, batch: number): Record<string, Value> {
    const c = this.config;
    const { tokens, seq } = vitEncoder(g, 'enc', x.image, c, batch);
    const pooled = g.reduceMean(g.reshape(tokens, [batch, seq, c.dim]), [1], false);
    return { logits: linear(g, 'head', pooled, c.classes) };
  }
  loss(g: GraphBuilder, out: Readonly<Record<string, Value>>, x: Readonly<Record<string, Value>>): LossResult {
    return { loss: crossEntropy(g, out.logits, x.label), metrics: { correct: correctCount(g, out.logits, x.label) } };
  }
}
