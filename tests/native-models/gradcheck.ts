// Finite-difference gradient checker. The analytic gradient comes from our autodiff graph run in ORT
// (fp32); the numeric one from central differences of L(x) = sum_i w_i * y_i(x), where y comes from an
// ORT forward run (fp32) and the weighting, differencing and division happen in fp64 in JS. The actual
// fp32 step (x+h) - (x-h) is used as the denominator, not the nominal 2*eps.
import * as ort from 'onnxruntime-node';
import { gradients } from '../../native-models/autodiff/grad.js';
import type { GradRule } from '../../native-models/autodiff/rules.js';
import { GraphBuilder } from '../../native-models/graph/builder.js';
import type { DType, Value } from '../../native-models/graph/ir.js';
import { writeModel } from '../../native-models/onnx/writer.js';
import { bindFlatParams, initParams } from '../../native-models/optim/flat.js';
import { openSession, providersFromEnv } from '../../native-models/runtime/session.js';
import { Rng } from '../../native-models/util/rng.js';

export interface CheckInput {
  readonly shape: readonly number[];
  readonly dtype?: DType;
  /** Fixed values (required for int64/bool inputs); float inputs default to N(0,1) draws. */
  readonly values?: readonly number[] | Float32Array;
  /** Keep |x| >= this (to stay off kinks such as Relu/Abs at 0). */
  readonly awayFromZero?: number;
  /** Draw positive values (Log, Sqrt, divisors). */
  readonly positive?: boolean;
  /** Not differentiated (default: float inputs are). */
  readonly constant?: boolean;
}

export interface CheckOptions {
  eps?: number;
  seed?: number;
  /** Check at most this many coordinates per input (random sample); default all. */
  sample?: number;
  /** Replace gradient rules (negative controls). */
  overrides?: Readonly<Record<string, GradRule>>;
  /** Multiply the analytic gradient (negative control). */
  scaleAnalytic?: number;
  /** Create parameters with the nn layers: they become one extra flat input, checked like the others. */
  withParams?: boolean;
}

export interface CheckResult {
  /** Worst norm-wise relative error over the inputs: ||num - ana|| / max(||num||, ||ana||). */
  readonly relErr: number;
  readonly perInput: readonly number[];
  readonly ops: readonly string[];
  readonly provider: string;
  readonly fallbacks: readonly string[];
}

export const OPS_SEEN = new Set<string>();

const F32 = (x: number) => Math.fround(x);

export async function gradCheck(build: (g: GraphBuilder, xs: Value[]) => Value, inputs: readonly CheckInput[], o: CheckOptions = {}): Promise<CheckResult> {
  const rng = new Rng(o.seed ?? 7);
  // Deep composites have small input gradients next to fp32 output noise; a wider step keeps the
  // noise term (~ulp/eps) below the truncation term (~eps^2) there.
  const eps = o.eps ?? (o.withParams ? 1e-2 : 1e-3);
  const g = new GraphBuilder();
  const xs = inputs.map((s, i) => g.input(`x${i}`, s.shape, s.dtype ?? 'float32'));
  const y = build(g, xs);
  const values: (Float32Array | BigInt64Array | Uint8Array)[] = inputs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dt = s.dtype ?? 'float32';
    if (dt === 'int64') return BigInt64Array.from(s.values ?? [], (v) => BigInt(v));
    if (dt === 'bool') return Uint8Array.from(s.values ?? []);
    if (s.values) return Float32Array.from(s.values);
    return Float32Array.from({ length: n }, () => {
      let v = rng.normal();
      if (s.positive) v = 0.5 + Math.abs(v);
      const a = s.awayFromZero ?? 0;
      if (Math.abs(v) < a) v = v < 0 ? v - a : v + a;
      return v;
    });
  });
  const diff = inputs.map((s) => (s.dtype ?? 'float32') === 'float32' && !s.constant);
  const names = xs.map((v) => v.name);
  const diffValues = xs.filter((_, i) => diff[i]);
  if (o.withParams) {
    const { flat, layout } = bindFlatParams(g, 'params');
    const p = initParams(layout, o.seed ?? 7);
    // LayerNorm scales start at exactly 1 and biases at 0; jitter them so their gradients are exercised.
    for (let i = 0; i < p.length; i++) p[i] += 0.1 * rng.normal();
    names.push(flat.name);
    values.push(p);
    diff.push(true);
    diffValues.push(flat);
  }
  for (const n of g.nodes) OPS_SEEN.add(n.op);
  g.outputs.push(y);
  const fwdBytes = writeModel(g, { contrib: true });
  const seed = g.input('seed', y.shape);
  const grads = gradients(g, y, diffValues, seed, o.overrides);
  grads.forEach((d, i) => g.output(d, `grad${i}`));
  const gradBytes = writeModel(g, { contrib: true });

  const providers = providersFromEnv() ?? ['cpu'];
  const fwd = await openSession(fwdBytes, { providers });
  const bwd = await openSession(gradBytes, { providers });
  try {
    const tensor = (i: number, data: Float32Array | BigInt64Array | Uint8Array) => {
      const dt = i < inputs.length ? (inputs[i].dtype ?? 'float32') : 'float32';
      const shape = i < inputs.length ? [...inputs[i].shape] : [data.length];
      return new ort.Tensor(dt, data as Float32Array, shape);
    };
    const feeds = (vals: typeof values) => Object.fromEntries(names.map((nm, i) => [nm, tensor(i, vals[i])]));
    const w = Float64Array.from({ length: y.shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    const loss = async (vals: typeof values): Promise<number> => {
      const r = await fwd.session.run(feeds(vals));
      const out = r[y.name].data as Float32Array;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += w[i] * out[i];
      return s;
    };
    const r = await bwd.session.run({ ...feeds(values), seed: new ort.Tensor('float32', Float32Array.from(w), [...y.shape]) });
    const perInput: number[] = [];
    let k = 0;
    for (let i = 0; i < values.length; i++) {
      if (!diff[i]) continue;
      const ana = r[`grad${k++}`].data as Float32Array;
      const x = values[i] as Float32Array;
      let coords = [...Array(x.length).keys()];
      if (o.sample && o.sample < coords.length) coords = [...rng.permutation(x.length)].slice(0, o.sample);
      let num2 = 0;
      let ana2 = 0;
      let err2 = 0;
      for (const j of coords) {
        const orig = x[j];
        const step = eps * Math.max(1, Math.abs(orig));
        const plus = F32(orig + step);
        const minus = F32(orig - step);
        x[j] = plus;
        const lp = await loss(values);
        x[j] = minus;
        const lm = await loss(values);
        x[j] = orig;
        const num = (lp - lm) / (plus - minus);
        const a = ana[j] * (o.scaleAnalytic ?? 1);
        num2 += num * num;
        ana2 += a * a;
        err2 += (num - a) * (num - a);
      }
      perInput.push(Math.sqrt(err2) / Math.max(Math.sqrt(num2), Math.sqrt(ana2), 1e-6));
    }
    return {
      relErr: Math.max(0, ...perInput),
      perInput,
      ops: [...new Set(g.nodes.map((n) => n.op))],
      provider: fwd.provider,
      fallbacks: fwd.fallbacks.map((x) => `${x.provider}: ${x.reason}`),
    };
  } finally {
    await fwd.session.release();
    await bwd.session.release();
  }
}
