// Assembles the three graphs a model needs: the train step (forward + backward + AdamW on flat buffers),
// a forward pass fed from the flat buffer (evaluation during training), and an inference graph with the
// weights baked in (export).
import { gradients } from '../autodiff/grad.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import type { TaskModel } from '../models/model.js';
import { adamw, DEFAULT_ADAMW, type AdamWConfig } from '../optim/adamw.js';
import { bakeParams, bindFlatParams, decayMask, type ParamLayout } from '../optim/flat.js';

export interface BuiltGraph {
  readonly g: GraphBuilder;
  readonly layout: ParamLayout;
}

export const TRAIN_IO = {
  params: 'params',
  m: 'adam_m',
  v: 'adam_v',
  lr: 'lr',
  step: 'step',
  loss: 'loss',
  paramsOut: 'params_out',
  mOut: 'adam_m_out',
  vOut: 'adam_v_out',
  gradNorm: 'grad_norm',
} as const;

function addInputs(g: GraphBuilder, model: TaskModel, batch: number, withTargets: boolean): Record<string, Value> {
  const { features, targets } = model.inputs(batch);
  const x: Record<string, Value> = {};
  for (const s of withTargets ? [...features, ...targets] : features) x[s.name] = g.input(s.name, s.shape, s.dtype);
  return x;
}

/**
 * Train step: inputs params/adam_m/adam_v [P], lr [], step [], the batch; outputs loss, the updated
 * buffers, grad_norm and the model's metrics (named `metric_<name>`).
 */
export function buildTrainStep(model: TaskModel, batch: number, opt: AdamWConfig = DEFAULT_ADAMW): BuiltGraph {
  const g = new GraphBuilder();
  const x = addInputs(g, model, batch, true);
  const out = model.forward(g, x, batch);
  const { loss, metrics } = model.loss(g, out, x);
  const { flat, layout } = bindFlatParams(g, TRAIN_IO.params);
  const grads = gradients(
    g,
    loss,
    g.params.map((p) => p.value),
  );
  const flatGrad = g.concat(
    grads.map((d) => g.reshape(d, [-1])),
    0,
  );
  const m = g.input(TRAIN_IO.m, [layout.total]);
  const v = g.input(TRAIN_IO.v, [layout.total]);
  const lr = g.input(TRAIN_IO.lr, []);
  const step = g.input(TRAIN_IO.step, []);
  const allDecay = layout.entries.every((e) => e.decay);
  const mask = allDecay ? null : g.constant({ dtype: 'float32', shape: [layout.total], data: decayMask(layout) }, 'decay_mask');
  const next = adamw(g, { params: flat, grad: flatGrad, m, v, lr, step, decayMask: mask }, opt);
  g.output(loss, TRAIN_IO.loss);
  g.output(next.params, TRAIN_IO.paramsOut);
  g.output(next.m, TRAIN_IO.mOut);
  g.output(next.v, TRAIN_IO.vOut);
  g.output(next.gradNorm, TRAIN_IO.gradNorm);
  for (const [k, val] of Object.entries(metrics)) g.output(val, `metric_${k}`);
  return { g, layout };
}

/** Forward pass fed from the flat parameter buffer (same layout as the train step). */
export function buildForward(model: TaskModel, batch: number): BuiltGraph {
  const g = new GraphBuilder();
  const x = addInputs(g, model, batch, false);
  const out = model.forward(g, x, batch);
  const { layout } = bindFlatParams(g, TRAIN_IO.params);
  for (const [k, v] of Object.entries(out)) g.output(v, k);
  return { g, layout };
}

/** Inference graph with weights baked in as initializers: a self-contained model for any ONNX Runtime. */
export function buildInference(model: TaskModel, batch: number, params: Float32Array): BuiltGraph {
  const g = new GraphBuilder();
  const x = addInputs(g, model, batch, false);
  const out = model.forward(g, x, batch);
  const layout = bakeParams(g, params);
  for (const [k, v] of Object.entries(out)) g.output(v, k);
  return { g, layout };
}
