// The contract every trainable architecture implements. A model is a pure graph-building recipe plus a
// JSON config, so a worker thread (or a later session) can rebuild exactly the same graph from {arch, config}.
import type { GraphBuilder } from '../graph/builder.js';
import type { DType, Value } from '../graph/ir.js';

export interface InputSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** How raw pixels become the model's input tensor; recorded in the export manifest. */
export interface Preprocessing {
  readonly layout: 'NCHW';
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** input = (pixel / scale - mean[c]) / std[c] */
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly resize: 'bilinear' | 'nearest';
}

export interface LossResult {
  readonly loss: Value;
  /** Extra scalar outputs of the train step (e.g. correct predictions). */
  readonly metrics: Readonly<Record<string, Value>>;
}

export interface TaskModel<C = unknown> {
  readonly arch: string;
  readonly config: C;
  /** Inputs the forward pass needs at a batch size (features) and those only the loss needs (targets). */
  inputs(batch: number): { features: InputSpec[]; targets: InputSpec[] };
  /** Builds the forward pass; creates parameters with `g.param` in a fixed order. First output = primary. */
  forward(g: GraphBuilder, x: Readonly<Record<string, Value>>, batch: number): Record<string, Value>;
  loss(g: GraphBuilder, out: Readonly<Record<string, Value>>, x: Readonly<Record<string, Value>>): LossResult;
  readonly preprocessing: Preprocessing;
  readonly labels?: readonly string[];
}
