// One flat parameter buffer per model: the train step takes params/moments as three big tensors, because
// ORT copies every output of run() and per-tensor optimizer nodes dominated the graph otherwise.
import type { GraphBuilder } from '../graph/builder.js';
import { sizeOf, type Init, type ParamSpec, type Shape, type Value } from '../graph/ir.js';
import { Rng } from '../util/rng.js';

export interface LayoutEntry {
  readonly name: string;
  readonly shape: Shape;
  readonly offset: number;
  readonly size: number;
  readonly decay: boolean;
  readonly init: Init;
}

export interface ParamLayout {
  readonly entries: readonly LayoutEntry[];
  readonly total: number;
}

export function layoutOf(params: readonly ParamSpec[]): ParamLayout {
  let offset = 0;
  const entries = params.map((p) => {
    const size = sizeOf(p.value.shape);
    const e = { name: p.name, shape: p.value.shape, offset, size, decay: p.decay, init: p.init };
    offset += size;
    return e;
  });
  return { entries, total: offset };
}

/** Two builds of one model must agree on the layout, or a checkpoint would be misread. */
export function assertSameLayout(a: ParamLayout, b: ParamLayout): void {
  const key = (l: ParamLayout) => l.entries.map((e) => `${e.name}:${e.shape.join('x')}`).join(';');
  if (key(a) !== key(b)) throw new Error('parameter layouts differ between graphs of the same model');
}

/**
 * Feeds every parameter from one flat graph input: one Split node plus free Reshapes, placed before all
 * other nodes. Returns the flat input value.
 */
export function bindFlatParams(g: GraphBuilder, name = 'params'): { flat: Value; layout: ParamLayout } {
  const layout = layoutOf(g.params);
  const flat = g.input(name, [layout.total]);
  const before = g.nodes.length;
  const pieces = g.split(
    flat,
    layout.entries.map((e) => e.size),
    0,
  );
  g.params.forEach((p, i) => {
    g.nodes.push({ op: 'Reshape', domain: '', inputs: [pieces[i], g.i64([...p.value.shape])], outputs: [p.value], attrs: {} });
  });
  // The parameters were created first (as placeholders); their producers must precede every consumer.
  const prologue = g.nodes.splice(before);
  g.nodes.unshift(...prologue);
  return { flat, layout };
}

/** Bakes parameter values into the graph as initializers (inference export). */
export function bakeParams(g: GraphBuilder, values: Float32Array): ParamLayout {
  const layout = layoutOf(g.params);
  if (values.length !== layout.total) throw new Error(`expected ${layout.total} parameter values, got ${values.length}`);
  g.params.forEach((p, i) => {
    const e = layout.entries[i];
    g.initializers.set(p.value, { dtype: 'float32', shape: p.value.shape, data: values.slice(e.offset, e.offset + e.size) });
  });
  return layout;
}

export function initParams(layout: ParamLayout, seed: number): Float32Array {
  const out = new Float32Array(layout.total);
  const rng = new Rng(seed);
  for (const e of layout.entries) {
    const view = out.subarray(e.offset, e.offset + e.size);
    const init = e.init;
    switch (init.kind) {
      case 'zeros':
        break;
      case 'ones':
        view.fill(1);
        break;
      case 'normal':
        for (let i = 0; i < view.length; i++) view[i] = rng.normal() * init.std;
        break;
      case 'uniform':
        for (let i = 0; i < view.length; i++) view[i] = (2 * rng.next() - 1) * init.bound;
        break;
    }
  }
  return out;
}

export function decayMask(layout: ParamLayout): Float32Array {
  const m = new Float32Array(layout.total);
  for (const e of layout.entries) if (e.decay) m.fill(1, e.offset, e.offset + e.size);
  return m;
}
