// The student's vision-language part (BLIP-style, small), over the frozen texture stem's cached features:
//  - image tokens: the stem's feature vector split into its blocks (one per pyramid level and atom size,
//    [levels*banks] groups of 4*atoms*8 numbers), each projected to `dim` plus a learned group embedding,
//    and one token of global measurements (intensity statistics and histogram, calibration); one
//    transformer block over them = the image encoder;
//  - a text encoder (bidirectional, key-padding mask) whose [cls] output is the text's ITC embedding;
//  - an image-grounded text encoder (self-attention + cross-attention to the image tokens) with an
//    image–text matching head (one logit);
//  - an image-grounded text decoder (causal self-attention + cross-attention), a prefix LM over
//    `<bos> question <sep> answer <eos>`, output layer tied to the token embedding; for part of the rows the
//    prefix starts with earlier turns about the same image, `<bos> q1 <sep> a1 <turn> question <sep> answer <eos>`.
// Loss = w_itc * CLIP(image, text) + w_itm * BCE(match) + w_lm * CE(answer tokens), weights configurable.
import * as ort from 'onnxruntime-node';
import { gradients } from '../autodiff/grad.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import type { InputSpec, LossResult, Preprocessing, TaskModel } from '../models/model.js';
import { registerArch } from '../models/registry.js';
import { transformerBlock } from '../nn/attention.js';
import { layerNorm, linear } from '../nn/layers.js';
import { bceWithLogits, clipLoss, crossEntropy, l2normalize } from '../nn/losses.js';
import { writeModel } from '../onnx/writer.js';
import { adamw, DEFAULT_ADAMW } from '../optim/adamw.js';
import { bindFlatParams, decayMask, initParams, layoutOf, type ParamLayout } from '../optim/flat.js';
import { lrAt } from '../runtime/schedule.js';
import { openSession, type Provider, type SessionConfig } from '../runtime/session.js';
import { TRAIN_IO } from '../train/graphs.js';
import { Rng, subSeed } from '../util/rng.js';
import { BOS, CAPTION, CLS, EOS, PAD, SEP, TURN } from './tokenizer.js';

export interface VlmConfig {
  vocab: number;
  dim: number;
  heads: number;
  mlpRatio: number;
  textLayers: number;
  imageLayers: number;
  decoderLayers: number;
  /** Token positions of every text sequence (padded). */
  seq: number;
  /** Image tokens from the stem: groups x groupDim features, plus one token of statsDim measurements. */
  groups: number;
  groupDim: number;
  statsDim: number;
  /** ITC embedding size. */
  embedDim: number;
  weights: { itc: number; itm: number; lm: number };
}

export interface VlmTrainOptions {
  steps: number;
  batch: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** Share of ITM rows that get a negative text (hard: same question, another image's answer; or a rejected answer). */
  negativeShare: number;
  /**
   * Share of Q&A rows whose decoder prefix starts with 1..historyTurns other accepted Q&A pairs of the same image
   * (a chat's earlier turns). 0 or absent (versions saved before this option): single questions only.
   */
  historyShare?: number;
  historyTurns?: number;
}

export const DEFAULT_VLM_SIZE = { dim: 128, heads: 4, mlpRatio: 2, textLayers: 2, imageLayers: 1, decoderLayers: 2, seq: 56, embedDim: 64 } as const;
export const DEFAULT_VLM_WEIGHTS = { itc: 0.5, itm: 0.5, lm: 1 } as const;
export const DEFAULT_VLM_TRAIN: VlmTrainOptions = {
  steps: 1500,
  batch: 32,
  lr: 2e-3,
  weightDecay: 0.05,
  seed: 3,
  negativeShare: 0.5,
  historyShare: 0.5,
  historyTurns: 2,
};

type Mode = 'train' | 'image' | 'text' | 'decode' | 'itm';

/** The whole model for training; sub-graphs (`mode`) for inference reuse its parameter names. */
export class VlmModel implements TaskModel<VlmConfig> {
  readonly arch = 'student-vlm';
  readonly preprocessing: Preprocessing = { layout: 'NCHW', channels: 1, height: 1, width: 1, scale: 1, mean: [0], std: [1], resize: 'nearest' };
  constructor(
    readonly config: VlmConfig,
    readonly mode: Mode = 'train',
  ) {}

  inputs(b: number): { features: InputSpec[]; targets: InputSpec[] } {
    const c = this.config;
    const T = c.seq;
    const f = (name: string, shape: number[]): InputSpec => ({ name, shape, dtype: 'float32' });
    const i = (name: string, shape: number[]): InputSpec => ({ name, shape, dtype: 'int64' });
    const img = [f('img', [b, c.groups, c.groupDim]), f('stats', [b, c.statsDim])];
    const ctx = f('ctx', [b, c.groups + 1, c.dim]);
    switch (this.mode) {
      case 'image':
        return { features: img, targets: [] };
      case 'text':
        return { features: [i('ids', [b, T]), f('mask', [b, T])], targets: [] };
      case 'decode':
        return { features: [ctx, i('ids', [b, T])], targets: [] };
      case 'itm':
        return { features: [ctx, i('ids', [b, T]), f('mask', [b, T])], targets: [] };
      default:
        return {
          features: [...img, i('itc_ids', [b, T]), f('itc_mask', [b, T]), i('itm_ids', [b, T]), f('itm_mask', [b, T]), i('dec_ids', [b, T])],
          targets: [f('itm_label', [b]), i('dec_target', [b, T]), f('dec_weight', [b, T])],
        };
    }
  }

  private imageTokens(g: GraphBuilder, img: Value, stats: Value, b: number): { ctx: Value; emb: Value } {
    const c = this.config;
    const G = c.groups + 1;
    const x = linear(g, 'img.proj', g.reshape(img, [b * c.groups, c.groupDim]), c.dim, { std: Math.sqrt(1 / c.groupDim) });
    const pos = g.param('img.group_emb', [1, c.groups, c.dim], { kind: 'normal', std: 0.02 }, false);
    const groups = g.add(g.reshape(x, [b, c.groups, c.dim]), pos);
    const s = g.reshape(linear(g, 'img.stats', g.gelu(linear(g, 'img.stats_in', stats, c.dim)), c.dim), [b, 1, c.dim]);
    let h = g.reshape(g.concat([s, groups], 1), [b * G, c.dim]);
    for (let l = 0; l < c.imageLayers; l++) h = transformerBlock(g, `img.blk${l}`, h, { batch: b, seq: G, heads: c.heads, mlpRatio: c.mlpRatio });
    h = layerNorm(g, 'img.ln', h);
    const pooled = g.reduceMean(g.reshape(h, [b, G, c.dim]), [1], false);
    return { ctx: h, emb: linear(g, 'itc.img', pooled, c.embedDim) };
  }

  private embed(g: GraphBuilder, table: Value, ids: Value, b: number, name: string): Value {
    const c = this.config;
    const pos = g.param(`${name}.pos`, [1, c.seq, c.dim], { kind: 'normal', std: 0.02 }, false);
    return g.reshape(g.add(g.gather(table, ids, 0), pos), [b * c.seq, c.dim]);
  }

  private textEncoder(g: GraphBuilder, table: Value, ids: Value, mask: Value, b: number): Value {
    const c = this.config;
    let h = this.embed(g, table, ids, b, 'tenc');
    for (let l = 0; l < c.textLayers; l++)
      h = transformerBlock(g, `tenc.blk${l}`, h, { batch: b, seq: c.seq, heads: c.heads, mlpRatio: c.mlpRatio, keyMask: mask });
    h = layerNorm(g, 'tenc.ln', h);
    const cls = g.reshape(g.slice(g.reshape(h, [b, c.seq, c.dim]), [0], [1], [1]), [b, c.dim]);
    return linear(g, 'itc.txt', cls, c.embedDim);
  }

  private groundedEncoder(g: GraphBuilder, table: Value, ids: Value, mask: Value, ctx: Value, b: number): Value {
    const c = this.config;
    let h = this.embed(g, table, ids, b, 'genc');
    for (let l = 0; l < c.textLayers; l++) {
      h = transformerBlock(g, `genc.blk${l}`, h, {
        batch: b,
        seq: c.seq,
        heads: c.heads,
        mlpRatio: c.mlpRatio,
        keyMask: mask,
        context: { value: ctx, seq: c.groups + 1 },
      });
    }
    h = layerNorm(g, 'genc.ln', h);
    const cls = g.reshape(g.slice(g.reshape(h, [b, c.seq, c.dim]), [0], [1], [1]), [b, c.dim]);
    return g.reshape(linear(g, 'itm.head', cls, 1), [b]);
  }

  private decoder(g: GraphBuilder, table: Value, ids: Value, ctx: Value, b: number): Value {
    const c = this.config;
    let h = this.embed(g, table, ids, b, 'dec');
    for (let l = 0; l < c.decoderLayers; l++) {
      h = transformerBlock(g, `dec.blk${l}`, h, {
        batch: b,
        seq: c.seq,
        heads: c.heads,
        mlpRatio: c.mlpRatio,
        causal: true,
        context: { value: ctx, seq: c.groups + 1 },
      });
    }
    h = layerNorm(g, 'dec.ln', h);
    const bias = g.param('lm.bias', [c.vocab], { kind: 'zeros' }, false);
    return g.gemm(h, table, bias, { transB: true }); // [b*T, V], tied to the token embedding
  }

  forward(g: GraphBuilder, x: Readonly<Record<string, Value>>, b: number): Record<string, Value> {
    const c = this.config;
    const table = () => g.param('tok.weight', [c.vocab, c.dim], { kind: 'normal', std: 0.02 }, false);
    switch (this.mode) {
      case 'image': {
        const { ctx, emb } = this.imageTokens(g, x.img, x.stats, b);
        return { ctx: g.reshape(ctx, [b, c.groups + 1, c.dim]), img_emb: l2normalize(g, emb) };
      }
      case 'text':
        return { text_emb: l2normalize(g, this.textEncoder(g, table(), x.ids, x.mask, b)) };
      case 'decode': {
        const t = table();
        return { logits: g.reshape(this.decoder(g, t, x.ids, g.reshape(x.ctx, [b * (c.groups + 1), c.dim]), b), [b, c.seq, c.vocab]) };
      }
      case 'itm': {
        const t = table();
        return { itm: this.groundedEncoder(g, t, x.ids, x.mask, g.reshape(x.ctx, [b * (c.groups + 1), c.dim]), b) };
      }
      default: {
        const { ctx, emb } = this.imageTokens(g, x.img, x.stats, b);
        const t = table();
        const txt = this.textEncoder(g, t, x.itc_ids, x.itc_mask, b);
        const itm = this.groundedEncoder(g, t, x.itm_ids, x.itm_mask, ctx, b);
        const logits = this.decoder(g, t, x.dec_ids, ctx, b);
        return { logits, img_emb: emb, text_emb: txt, itm };
      }
    }
  }

  loss(g: GraphBuilder, out: Readonly<Record<string, Value>>, x: Readonly<Record<string, Value>>): LossResult {
    const w = this.config.weights;
    const [b, T] = x.dec_target.shape;
    const logScale = g.add(g.param('itc.logit_scale', [], { kind: 'zeros' }, false), Math.log(1 / 0.07));
    const itc = clipLoss(g, out.img_emb, out.text_emb, logScale);
    const itm = bceWithLogits(g, out.itm, x.itm_label);
    const lm = crossEntropy(g, out.logits, g.reshape(x.dec_target, [b * T]), g.reshape(x.dec_weight, [b * T]));
    const loss = g.add(g.add(g.mul(itc, w.itc), g.mul(itm, w.itm)), g.mul(lm, w.lm));
    return { loss, metrics: { itc, itm, lm } };
  }
}

registerArch('student-vlm', (c) => new VlmModel(c as VlmConfig));

// ---- data -------------------------------------------------------------------------------------------

/** One reviewed text about an image, tokenized: a Q&A pair, or a caption (question = null). */
export interface VlmExample {
  readonly image: number;
  readonly question: readonly number[] | null;
  readonly answer: readonly number[];
  /** Rejected answers to the same question on the same image: ITM negatives. */
  readonly rejected?: readonly (readonly number[])[];
}

export interface VlmData {
  /** [N, groups*groupDim] standardised stem features. */
  readonly images: Float32Array;
  /** [N, statsDim] measurements. */
  readonly stats: Float32Array;
  readonly examples: readonly VlmExample[];
  /** Per image: the ITC text (its caption, or null to use the sampled example). */
  readonly captions: readonly (readonly number[] | null)[];
}

/** An earlier question and its answer about the same image (token ids, the answer in slot form). */
export interface DecoderTurn {
  readonly question: readonly number[];
  readonly answer: readonly number[];
}

/**
 * `<bos> question <sep> answer <eos>` (caption: `<bos> <caption> <sep> caption <eos>`), truncated to T;
 * answerStart = index of the first answer token. With `history` (oldest first; questions only, never captions):
 * `<bos> q1 <sep> a1 <turn> q2 <sep> a2 <turn> question <sep> answer <eos>`, with the most recent turns that leave
 * `room` positions after the prefix; whole turns are dropped, oldest first, so the question is always kept and
 * the prefix is never longer than T - room (or than the prefix without history). Training passes room = answer + `<eos>`
 * (a turn is included only when the whole answer still fits); `answer()` retries with fewer turns when the
 * generated answer runs out of positions, which is the same rule.
 */
export function decoderSequence(
  question: readonly number[] | null,
  answer: readonly number[] | null,
  T: number,
  history: readonly DecoderTurn[] = [],
  room = answer ? answer.length + 1 : 1,
): { ids: number[]; answerStart: number; turns: number } {
  const q = question ?? [CAPTION];
  const current = [...q.slice(0, Math.max(1, T - 8)), SEP];
  const past: number[] = [];
  let turns = 0;
  if (question !== null) {
    for (let i = history.length - 1; i >= 0; i--) {
      const t = history[i];
      const turn = [...t.question, SEP, ...t.answer, TURN];
      if (1 + turn.length + past.length + current.length + room > T) break;
      past.unshift(...turn);
      turns++;
    }
  }
  const head = [BOS, ...past, ...current];
  const ids = answer ? [...head, ...answer, EOS] : head;
  return { ids: ids.slice(0, T), answerStart: head.length, turns };
}

/** `<cls> [question <sep>] text`, padded to T: ids and the key mask. */
export function encoderSequence(question: readonly number[] | null, text: readonly number[], T: number): { ids: number[]; mask: number[] } {
  const ids = [CLS, ...(question ? [...question, SEP] : []), ...text].slice(0, T);
  const mask = ids.map(() => 1);
  while (ids.length < T) {
    ids.push(PAD);
    mask.push(0);
  }
  return { ids, mask };
}

interface Buffers {
  img: Float32Array;
  stats: Float32Array;
  itcIds: BigInt64Array;
  itcMask: Float32Array;
  itmIds: BigInt64Array;
  itmMask: Float32Array;
  decIds: BigInt64Array;
  itmLabel: Float32Array;
  decTarget: BigInt64Array;
  decWeight: Float32Array;
}

function sameAnswer(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Batch of step t: B distinct images (an epoch-wise permutation of images that have examples), one random
 * example each. Pure function of (seed, step).
 */
function fillVlmBatch(d: VlmData, c: VlmConfig, o: VlmTrainOptions, step: number, byImage: number[][], byQuestion: Map<string, number[]>, buf: Buffers): void {
  const B = o.batch;
  const T = c.seq;
  const F = c.groups * c.groupDim;
  const imgs = byImage.map((l, i) => (l.length ? i : -1)).filter((i) => i >= 0);
  const n = imgs.length;
  const rng = new Rng(subSeed(o.seed, 0xb1e, step));
  let epoch = -1;
  let order: Uint32Array = new Uint32Array(0);
  for (let r = 0; r < B; r++) {
    const k = step * B + r;
    const e = Math.floor(k / n);
    if (e !== epoch) {
      order = new Rng(subSeed(o.seed, 0x5eed, e)).permutation(n);
      epoch = e;
    }
    const image = imgs[order[k % n]];
    const ex = d.examples[byImage[image][rng.int(byImage[image].length)]];
    buf.img.set(d.images.subarray(image * F, (image + 1) * F), r * F);
    buf.stats.set(d.stats.subarray(image * c.statsDim, (image + 1) * c.statsDim), r * c.statsDim);
    // ITC: the image's caption, else this example.
    const cap = d.captions[image];
    const itc = cap ? encoderSequence(null, cap, T) : encoderSequence(ex.question, ex.answer, T);
    itc.ids.forEach((v, j) => {
      buf.itcIds[r * T + j] = BigInt(v);
      buf.itcMask[r * T + j] = itc.mask[j];
    });
    // ITM: positive, or a hard negative (a rejected answer; else the same question answered differently elsewhere).
    let text = ex.answer;
    let label = 1;
    if (rng.next() < o.negativeShare) {
      const pool: (readonly number[])[] = [...(ex.rejected ?? [])];
      if (pool.length === 0 || rng.next() < 0.5) {
        const same = byQuestion.get((ex.question ?? [CAPTION]).join(',')) ?? [];
        for (let tries = 0; tries < 6 && same.length > 1; tries++) {
          const other = d.examples[same[rng.int(same.length)]];
          if (other.image !== ex.image && !sameAnswer(other.answer, ex.answer)) {
            pool.push(other.answer);
            break;
          }
        }
      }
      if (pool.length) {
        text = pool[rng.int(pool.length)];
        label = 0;
      }
    }
    const itm = encoderSequence(ex.question, text, T);
    itm.ids.forEach((v, j) => {
      buf.itmIds[r * T + j] = BigInt(v);
      buf.itmMask[r * T + j] = itm.mask[j];
    });
    buf.itmLabel[r] = label;
    // LM: targets are the answer tokens and <eos> (never the history's).
    const history =
      ex.question !== null && (o.historyShare ?? 0) > 0 && rng.next() < o.historyShare! ? historyFor(d, ex, byImage[image], o.historyTurns ?? 1, rng) : [];
    const { ids, answerStart } = decoderSequence(ex.question, ex.answer, T + 1, history);
    for (let j = 0; j < T; j++) {
      buf.decIds[r * T + j] = BigInt(j < ids.length ? ids[j] : PAD);
      const tgt = j + 1 < ids.length ? ids[j + 1] : PAD;
      buf.decTarget[r * T + j] = BigInt(tgt);
      buf.decWeight[r * T + j] = j + 1 < ids.length && j + 1 >= answerStart ? 1 : 0;
    }
  }
}

/** 1..maxTurns other Q&A pairs of the example's image (distinct questions, random order) as its chat history. */
function historyFor(d: VlmData, ex: VlmExample, ofImage: readonly number[], maxTurns: number, rng: Rng): DecoderTurn[] {
  const seen = new Set([ex.question!.join(',')]);
  const pool: DecoderTurn[] = [];
  for (const i of ofImage) {
    const o = d.examples[i];
    if (o.question === null || seen.has(o.question.join(','))) continue;
    seen.add(o.question.join(','));
    pool.push({ question: o.question, answer: o.answer });
  }
  const k = Math.min(pool.length, 1 + rng.int(Math.max(1, maxTurns)));
  const out: DecoderTurn[] = [];
  for (let j = 0; j < k; j++) out.push(pool.splice(rng.int(pool.length), 1)[0]);
  return out;
}

// ---- training ---------------------------------------------------------------------------------------

export interface VlmStep {
  step: number;
  steps: number;
  loss: number;
  itc: number;
  itm: number;
  lm: number;
  ms: number;
}

export interface VlmHooks {
  onStep?(r: VlmStep): void;
  isCancelled?(): boolean;
  session?: SessionConfig;
}

export interface TrainedVlm {
  readonly config: VlmConfig;
  readonly options: VlmTrainOptions;
  readonly params: Float32Array;
  readonly status: 'completed' | 'cancelled';
  readonly steps: number;
  readonly provider: Provider;
  readonly lastLoss: { loss: number; itc: number; itm: number; lm: number } | null;
}

export function vlmLayout(c: VlmConfig): ParamLayout {
  const g = new GraphBuilder();
  const m = new VlmModel(c);
  const spec = m.inputs(2);
  const x: Record<string, Value> = {};
  for (const s of [...spec.features, ...spec.targets]) x[s.name] = g.input(s.name, s.shape, s.dtype);
  m.loss(g, m.forward(g, x, 2), x);
  return layoutOf(g.params);
}

export async function trainVlm(d: VlmData, c: VlmConfig, o: VlmTrainOptions = DEFAULT_VLM_TRAIN, hooks: VlmHooks = {}): Promise<TrainedVlm> {
  if (d.examples.length === 0) throw new Error('no reviewed captions or Q&A pairs to learn from');
  const model = new VlmModel(c);
  const B = o.batch;
  const T = c.seq;
  const g = new GraphBuilder();
  const spec = model.inputs(B);
  const x: Record<string, Value> = {};
  for (const s of [...spec.features, ...spec.targets]) x[s.name] = g.input(s.name, s.shape, s.dtype);
  const out = model.forward(g, x, B);
  const { loss, metrics } = model.loss(g, out, x);
  const { flat, layout } = bindFlatParams(g, TRAIN_IO.params);
  const grads = gradients(
    g,
    loss,
    g.params.map((p) => p.value),
  );
  const flatGrad = g.concat(
    grads.map((dv) => g.reshape(dv, [-1])),
    0,
  );
  const m = g.input(TRAIN_IO.m, [layout.total]);
  const v = g.input(TRAIN_IO.v, [layout.total]);
  const lr = g.input(TRAIN_IO.lr, []);
  const stepIn = g.input(TRAIN_IO.step, []);
  const mask = g.constant({ dtype: 'float32', shape: [layout.total], data: decayMask(layout) }, 'decay_mask');
  const next = adamw(g, { params: flat, grad: flatGrad, m, v, lr, step: stepIn, decayMask: mask }, { ...DEFAULT_ADAMW, weightDecay: o.weightDecay });
  g.output(loss, TRAIN_IO.loss);
  g.output(next.params, TRAIN_IO.paramsOut);
  g.output(next.m, TRAIN_IO.mOut);
  g.output(next.v, TRAIN_IO.vOut);
  for (const [k, val] of Object.entries(metrics)) g.output(val, `metric_${k}`);
  const open = await openSession(writeModel(g, { contrib: true }), hooks.session);
  try {
    const P = layout.total;
    let pT: ort.Tensor = new ort.Tensor('float32', initParams(layout, o.seed), [P]);
    let mT: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
    let vT: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
    const buf: Buffers = {
      img: new Float32Array(B * c.groups * c.groupDim),
      stats: new Float32Array(B * c.statsDim),
      itcIds: new BigInt64Array(B * T),
      itcMask: new Float32Array(B * T),
      itmIds: new BigInt64Array(B * T),
      itmMask: new Float32Array(B * T),
      decIds: new BigInt64Array(B * T),
      itmLabel: new Float32Array(B),
      decTarget: new BigInt64Array(B * T),
      decWeight: new Float32Array(B * T),
    };
    const feeds: Record<string, ort.Tensor> = {
      img: new ort.Tensor('float32', buf.img, [B, c.groups, c.groupDim]),
      stats: new ort.Tensor('float32', buf.stats, [B, c.statsDim]),
      itc_ids: new ort.Tensor('int64', buf.itcIds, [B, T]),
      itc_mask: new ort.Tensor('float32', buf.itcMask, [B, T]),
      itm_ids: new ort.Tensor('int64', buf.itmIds, [B, T]),
      itm_mask: new ort.Tensor('float32', buf.itmMask, [B, T]),
      dec_ids: new ort.Tensor('int64', buf.decIds, [B, T]),
      itm_label: new ort.Tensor('float32', buf.itmLabel, [B]),
      dec_target: new ort.Tensor('int64', buf.decTarget, [B, T]),
      dec_weight: new ort.Tensor('float32', buf.decWeight, [B, T]),
    };
    const N = d.images.length / (c.groups * c.groupDim);
    const byImage: number[][] = Array.from({ length: N }, () => []);
    const byQuestion = new Map<string, number[]>();
    d.examples.forEach((e, i) => {
      byImage[e.image].push(i);
      const k = (e.question ?? [CAPTION]).join(',');
      byQuestion.set(k, [...(byQuestion.get(k) ?? []), i]);
    });
    const schedule = { kind: 'cosine' as const, lr: o.lr, warmupSteps: Math.min(100, Math.floor(o.steps / 10)) };
    let step = 0;
    let cancelled = false;
    let last: TrainedVlm['lastLoss'] = null;
    while (step < o.steps) {
      if (hooks.isCancelled?.()) {
        cancelled = true;
        break;
      }
      const t0 = performance.now();
      fillVlmBatch(d, c, o, step, byImage, byQuestion, buf);
      const r = await open.session.run({
        ...feeds,
        [TRAIN_IO.params]: pT,
        [TRAIN_IO.m]: mT,
        [TRAIN_IO.v]: vT,
        [TRAIN_IO.lr]: new ort.Tensor('float32', Float32Array.of(lrAt(schedule, step, o.steps)), []),
        [TRAIN_IO.step]: new ort.Tensor('float32', Float32Array.of(step + 1), []),
      });
      pT = r[TRAIN_IO.paramsOut] as ort.Tensor;
      mT = r[TRAIN_IO.mOut] as ort.Tensor;
      vT = r[TRAIN_IO.vOut] as ort.Tensor;
      const num = (k: string) => (r[k].data as Float32Array)[0];
      last = { loss: num(TRAIN_IO.loss), itc: num('metric_itc'), itm: num('metric_itm'), lm: num('metric_lm') };
      if (!Number.isFinite(last.loss)) throw new Error(`vision-language loss became ${last.loss} at step ${step + 1}`);
      step++;
      hooks.onStep?.({ step, steps: o.steps, ...last, ms: performance.now() - t0 });
    }
    return {
      config: c,
      options: o,
      params: (pT.data as Float32Array).slice(),
      status: cancelled ? 'cancelled' : 'completed',
      steps: step,
      provider: open.provider,
      lastLoss: last,
    };
  } finally {
    await open.session.release();
  }
}

// ---- inference --------------------------------------------------------------------------------------

/** A sub-graph (image / text / decode / itm) with the trained weights baked in, matched by parameter name. */
export function vlmPartBytes(c: VlmConfig, params: Float32Array, mode: Exclude<Mode, 'train'>, batch = 1): Uint8Array {
  const full = vlmLayout(c);
  const byName = new Map(full.entries.map((e) => [e.name, e]));
  const m = new VlmModel(c, mode);
  const g = new GraphBuilder();
  const x: Record<string, Value> = {};
  for (const s of m.inputs(batch).features) x[s.name] = g.input(s.name, s.shape, s.dtype);
  const out = m.forward(g, x, batch);
  for (const p of g.params) {
    const e = byName.get(p.name);
    if (!e) throw new Error(`vision-language ${mode}: parameter ${p.name} is not in the trained model`);
    g.initializers.set(p.value, { dtype: 'float32', shape: p.value.shape, data: params.slice(e.offset, e.offset + e.size) });
  }
  for (const [k, v] of Object.entries(out)) g.output(v, k);
  return writeModel(g, { opset: 17, graphName: `student-vlm-${mode}`, metadata: { 'emma.arch': 'student-vlm', 'emma.part': mode } });
}
