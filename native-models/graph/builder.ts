// GraphBuilder: a small, readable op vocabulary over ONNX with static shape inference at every call.
// Models, gradient rules and optimizers all emit through this one API, so every value has a known
// shape when the next op is added and shape mistakes surface where they are made, not inside ORT.
import { float, int, ints, sizeOf, str, type Attr, type DType, type Init, type Node, type ParamSpec, type Shape, type TensorData, type Value } from './ir.js';
import { broadcast, fmt, normAxis, shapeError } from './shape.js';

export type Operand = Value | number;

export interface ConvOptions {
  strides?: readonly number[];
  /** ONNX layout: [begin_0, begin_1, ..., end_0, end_1, ...]. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  /** Constant tensors (shape constants, scalars, baked weights). */
  readonly initializers = new Map<Value, TensorData>();
  readonly params: ParamSpec[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly constCache = new Map<string, Value>();

  // ---- values, inputs, outputs, constants, parameters --------------------------------------------

  value(shape: Shape, dtype: DType = 'float32', hint = 'v', exactName = false): Value {
    const id = this.nextId++;
    let name = exactName ? hint : `${hint}_${id}`;
    if (this.names.has(name)) {
      if (exactName) throw new Error(`duplicate value name ${name}`);
      name = `${name}_${id}`;
    }
    this.names.add(name);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`value ${name}: bad static shape ${fmt(shape)}`);
    }
    return { id, name, shape: [...shape], dtype };
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Value {
    const v = this.value(shape, dtype, name, true);
    this.inputs.push(v);
    return v;
  }

  /** Marks `v` as a graph output; with `name`, an Identity gives it that exact name. */
  output(v: Value, name?: string): Value {
    let out = v;
    if (name !== undefined && name !== v.name) {
      out = this.value(v.shape, v.dtype, name, true);
      this.nodes.push({ op: 'Identity', domain: '', inputs: [v], outputs: [out], attrs: {} });
    }
    this.outputs.push(out);
    return out;
  }

  param(name: string, shape: Shape, init: Init, decay = shape.length >= 2): Value {
    const v = this.value(shape, 'float32', name, true);
    this.params.push({ name, value: v, init, decay });
    return v;
  }

  constant(data: TensorData, hint = 'const'): Value {
    const v = this.value(data.shape, data.dtype, hint);
    if (data.data.length !== sizeOf(data.shape)) throw new Error(`constant ${hint}: data length mismatch`);
    this.initializers.set(v, data);
    return v;
  }

  /** A float32 constant of shape [] (or `shape` of ones, for rank-matched broadcasting), cached by value. */
  scalar(x: number, shape: Shape = []): Value {
    const key = `f:${x}:${shape.join(',')}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.constant({ dtype: 'float32', shape, data: new Float32Array([x]) }, 'c');
      this.constCache.set(key, v);
    }
    return v;
  }

  /** A 1-D int64 constant (shapes, axes, indices), cached by value. */
  i64(values: readonly number[], shape: Shape = [values.length]): Value {
    const key = `i:${values.join(',')}:${shape.join(',')}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.constant({ dtype: 'int64', shape, data: BigInt64Array.from(values, (n) => BigInt(n)) }, 'i');
      this.constCache.set(key, v);
    }
    return v;
  }

  private lift(x: Operand): Value {
    return typeof x === 'number' ? this.scalar(x) : x;
  }

  /** Low-level: appends a node whose output shapes the caller has inferred. */
  node(op: string, inputs: readonly (Value | null)[], outs: readonly (readonly [Shape, DType])[], attrs: Record<string, Attr> = {}, domain = ''): Value[] {
    const outputs = outs.map(([s, t]) => this.value(s, t, op.toLowerCase()));
    this.nodes.push({ op, domain, inputs, outputs, attrs });
    return outputs;
  }

  private one(op: string, inputs: readonly (Value | null)[], shape: Shape, dtype: DType, attrs: Record<string, Attr> = {}, domain = ''): Value {
    return this.node(op, inputs, [[shape, dtype]], attrs, domain)[0];
  }

  // ---- elementwise ----------------------------------------------------------------------------

  private binary(op: string, a: Operand, b: Operand, outDtype?: DType): Value {
    const x = this.lift(a);
    const y = this.lift(b);
    if (x.dtype !== y.dtype) throw shapeError(op, `dtype mismatch ${x.dtype} vs ${y.dtype}`);
    return this.one(op, [x, y], broadcast(x.shape, y.shape, op), outDtype ?? x.dtype);
  }
  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Operand, b: Operand): Value {
    return this.binary('Pow', a, b);
  }
  max(a: Operand, b: Operand): Value {
    return this.binary('Max', a, b);
  }
  min(a: Operand, b: Operand): Value {
    return this.binary('Min', a, b);
  }
  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b, 'bool');
  }
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b, 'bool');
  }
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b, 'bool');
  }

  /** N-ary sum of same-dtype operands (gradient accumulation). */
  sum(xs: readonly Value[]): Value {
    if (xs.length === 1) return xs[0];
    let shape: Shape = xs[0].shape;
    for (const x of xs.slice(1)) shape = broadcast(shape, x.shape, 'Sum');
    return this.one('Sum', xs, shape, xs[0].dtype);
  }

  private unary(op: string, x: Value, attrs: Record<string, Attr> = {}, domain = ''): Value {
    return this.one(op, [x], x.shape, x.dtype, attrs, domain);
  }
  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  relu(x: Value): Value {
    return this.unary('Relu', x);
  }
  /** Exact (erf) GELU; one IR node, lowered per target (see onnx/lower.ts). */
  gelu(x: Value): Value {
    return this.unary('Gelu', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  abs(x: Value): Value {
    return this.unary('Abs', x);
  }
  erf(x: Value): Value {
    return this.unary('Erf', x);
  }
  sign(x: Value): Value {
    return this.unary('Sign', x);
  }
  reciprocal(x: Value): Value {
    return this.unary('Reciprocal', x);
  }
  identity(x: Value): Value {
    return this.unary('Identity', x);
  }
  not(x: Value): Value {
    return this.unary('Not', x);
  }

  cast(x: Value, to: DType): Value {
    const code = { float32: 1, int64: 7, bool: 9 }[to];
    return this.one('Cast', [x], x.shape, to, { to: int(code) });
  }

  where(cond: Value, a: Operand, b: Operand): Value {
    const x = this.lift(a);
    const y = this.lift(b);
    if (cond.dtype !== 'bool') throw shapeError('Where', 'condition must be bool');
    const shape = broadcast(broadcast(cond.shape, x.shape, 'Where'), y.shape, 'Where');
    return this.one('Where', [cond, x, y], shape, x.dtype);
  }

  // ---- linear algebra -------------------------------------------------------------------------

  /** Numpy matmul on rank >= 2 operands with broadcast batch dimensions. */
  matmul(a: Value, b: Value): Value {
    if (a.shape.length < 2 || b.shape.length < 2) throw shapeError('MatMul', 'operands must have rank >= 2');
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw shapeError('MatMul', `inner dims differ: ${fmt(a.shape)} x ${fmt(b.shape)}`);
    const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    return this.one('MatMul', [a, b], [...batch, m, n], 'float32');
  }

  /** Y = alpha * op(A) @ op(B) + beta * C on 2-D operands; C broadcasts to [M, N]. */
  gemm(a: Value, b: Value, c: Value | null = null, o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw shapeError('Gemm', 'operands must be 2-D');
    const [m, ka] = o.transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [kb, n] = o.transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (ka !== kb) throw shapeError('Gemm', `inner dims differ: ${fmt(a.shape)} x ${fmt(b.shape)}`);
    if (c) broadcast(c.shape, [m, n], 'Gemm');
    const attrs: Record<string, Attr> = {};
    if (o.transA) attrs.transA = int(1);
    if (o.transB) attrs.transB = int(1);
    if (o.alpha !== undefined && o.alpha !== 1) attrs.alpha = float(o.alpha);
    if (o.beta !== undefined && o.beta !== 1) attrs.beta = float(o.beta);
    return this.one('Gemm', c ? [a, b, c] : [a, b], [m, n], 'float32', attrs);
  }

  // ---- normalisation and activations over an axis -----------------------------------------------

  softmax(x: Value, axis = -1): Value {
    return this.unary('Softmax', x, { axis: int(normAxis(axis, x.shape.length, 'Softmax')) });
  }
  logSoftmax(x: Value, axis = -1): Value {
    return this.unary('LogSoftmax', x, { axis: int(normAxis(axis, x.shape.length, 'LogSoftmax')) });
  }

  /** LayerNormalization over axes [axis..rank); also emits Mean and InvStdDev, which the gradient reuses. */
  layerNorm(x: Value, scale: Value, bias: Value | null, axis = -1, epsilon = 1e-5): Value {
    const a = normAxis(axis, x.shape.length, 'LayerNormalization');
    const normShape = x.shape.slice(a);
    if (scale.shape.join() !== normShape.join()) throw shapeError('LayerNormalization', `scale ${fmt(scale.shape)} != ${fmt(normShape)}`);
    const statShape = x.shape.map((d, i) => (i < a ? d : 1));
    const [y] = this.node(
      'LayerNormalization',
      bias ? [x, scale, bias] : [x, scale],
      [
        [x.shape, 'float32'],
        [statShape, 'float32'],
        [statShape, 'float32'],
      ],
      { axis: int(a), epsilon: float(epsilon) },
    );
    return y;
  }

  // ---- indexing -------------------------------------------------------------------------------

  gather(data: Value, indices: Value, axis = 0): Value {
    const a = normAxis(axis, data.shape.length, 'Gather');
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.one('Gather', [data, indices], shape, data.dtype, { axis: int(a) });
  }

  gatherElements(data: Value, indices: Value, axis = 0): Value {
    const a = normAxis(axis, data.shape.length, 'GatherElements');
    if (indices.shape.length !== data.shape.length) throw shapeError('GatherElements', 'rank mismatch');
    return this.one('GatherElements', [data, indices], indices.shape, data.dtype, { axis: int(a) });
  }

  /** ScatterElements with reduction=add (correct with duplicate indices on ORT CPU, unlike ScatterND). */
  scatterElementsAdd(data: Value, indices: Value, updates: Value, axis = 0): Value {
    const a = normAxis(axis, data.shape.length, 'ScatterElements');
    return this.one('ScatterElements', [data, indices, updates], data.shape, data.dtype, { axis: int(a), reduction: str('add') });
  }

  // ---- shape ops ------------------------------------------------------------------------------

  reshape(x: Value, shape: readonly number[]): Value {
    const known = shape.filter((d) => d !== -1);
    const total = sizeOf(x.shape);
    const out = shape.map((d) => (d === -1 ? total / sizeOf(known) : d));
    if (shape.filter((d) => d === -1).length > 1 || sizeOf(out) !== total || !out.every(Number.isInteger)) {
      throw shapeError('Reshape', `cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
    }
    if (out.join() === x.shape.join()) return x;
    return this.one('Reshape', [x, this.i64(out)], out, x.dtype);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) {
      throw shapeError('Transpose', `bad perm [${perm}] for ${fmt(x.shape)}`);
    }
    if (perm.every((p, i) => p === i)) return x;
    return this.one(
      'Transpose',
      [x],
      perm.map((p) => x.shape[p]),
      x.dtype,
      { perm: ints(perm) },
    );
  }

  concat(xs: readonly Value[], axis: number): Value {
    const r = xs[0].shape.length;
    const a = normAxis(axis, r, 'Concat');
    const shape = [...xs[0].shape];
    shape[a] = 0;
    for (const x of xs) {
      if (x.shape.length !== r || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
        throw shapeError('Concat', `shapes ${xs.map((v) => fmt(v.shape)).join(' ')} disagree off axis ${a}`);
      }
      shape[a] += x.shape[a];
    }
    if (xs.length === 1) return xs[0];
    return this.one('Concat', xs, shape, xs[0].dtype, { axis: int(a) });
  }

  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    const a = normAxis(axis, x.shape.length, 'Split');
    if (sizes.reduce((s, n) => s + n, 0) !== x.shape[a]) throw shapeError('Split', `sizes [${sizes}] do not sum to ${x.shape[a]}`);
    const outs = sizes.map((n) => [x.shape.map((d, i) => (i === a ? n : d)), x.dtype] as const);
    return this.node('Split', [x, this.i64(sizes)], outs, { axis: int(a) });
  }

  /** Static Slice with positive steps; ends are clamped like ONNX does. */
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): Value {
    const shape = [...x.shape];
    const st = steps ?? axes.map(() => 1);
    axes.forEach((ax, i) => {
      const a = normAxis(ax, x.shape.length, 'Slice');
      const d = x.shape[a];
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      if (st[i] <= 0) throw shapeError('Slice', 'only positive steps are supported');
      shape[a] = Math.max(0, Math.ceil((clamp(ends[i]) - clamp(starts[i])) / st[i]));
    });
    const inputs = [x, this.i64(starts), this.i64(ends), this.i64(axes.map((a) => normAxis(a, x.shape.length)))];
    if (steps) inputs.push(this.i64(steps));
    return this.one('Slice', inputs, shape, x.dtype);
  }

  expand(x: Value, shape: readonly number[]): Value {
    const out = broadcast(x.shape, shape, 'Expand');
    if (out.join() === x.shape.join()) return x;
    return this.one('Expand', [x, this.i64(shape)], out, x.dtype);
  }

  /** Constant-mode Pad; `pads` in ONNX layout [begins..., ends...] (negative values crop). */
  pad(x: Value, pads: readonly number[], value = 0): Value {
    const r = x.shape.length;
    if (pads.length !== 2 * r) throw shapeError('Pad', `need ${2 * r} pads`);
    const shape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
    return this.one('Pad', [x, this.i64(pads), this.scalar(value)], shape, x.dtype, { mode: str('constant') });
  }

  zeros(shape: readonly number[]): Value {
    return this.one('Expand', [this.scalar(0), this.i64(shape)], shape, 'float32');
  }

  // ---- reductions (axes kept as an IR attribute; the writer encodes them per opset) -----------------

  private reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
    const r = x.shape.length;
    const ax = [...new Set(axes.map((a) => normAxis(a, r, op)))].sort((p, q) => p - q);
    if (ax.length === 0) return x;
    const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
    return this.one(op, [x], shape, x.dtype, { axes: ints(ax), keepdims: int(keepdims ? 1 : 0) });
  }
  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  reduceMax(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }

  argMax(x: Value, axis = -1, keepdims = false): Value {
    const a = normAxis(axis, x.shape.length, 'ArgMax');
    const shape = keepdims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
    return this.one('ArgMax', [x], shape, 'int64', { axis: int(a), keepdims: int(keepdims ? 1 : 0) });
  }

  // ---- convolution and pooling (NCHW) --------------------------------------------------------------

  conv(x: Value, w: Value, b: Value | null = null, o: ConvOptions = {}): Value {
    const sp = x.shape.length - 2;
    const { strides, pads, dilations, group } = convDefaults(o, sp);
    if (w.shape[1] * group !== x.shape[1]) throw shapeError('Conv', `weight ${fmt(w.shape)} vs input ${fmt(x.shape)} (group ${group})`);
    const out = [x.shape[0], w.shape[0]];
    for (let i = 0; i < sp; i++) {
      const k = (w.shape[2 + i] - 1) * dilations[i] + 1;
      out.push(Math.floor((x.shape[2 + i] + pads[i] + pads[i + sp] - k) / strides[i]) + 1);
    }
    const attrs = { strides: ints(strides), pads: ints(pads), dilations: ints(dilations), group: int(group), kernel_shape: ints(w.shape.slice(2)) };
    return this.one('Conv', b ? [x, w, b] : [x, w], out, 'float32', attrs);
  }

  /** ConvTranspose (used for Conv's input gradient); `outShape` spatial sizes pin the output exactly. */
  convTranspose(x: Value, w: Value, o: ConvOptions & { outputPadding?: readonly number[] } = {}): Value {
    const sp = x.shape.length - 2;
    const { strides, pads, dilations, group } = convDefaults(o, sp);
    const op = o.outputPadding ?? new Array<number>(sp).fill(0);
    const out = [x.shape[0], w.shape[1] * group];
    for (let i = 0; i < sp; i++) {
      out.push(strides[i] * (x.shape[2 + i] - 1) + op[i] + (w.shape[2 + i] - 1) * dilations[i] + 1 - pads[i] - pads[i + sp]);
    }
    const attrs = {
      strides: ints(strides),
      pads: ints(pads),
      dilations: ints(dilations),
      group: int(group),
      output_padding: ints(op),
      kernel_shape: ints(w.shape.slice(2)),
    };
    return this.one('ConvTranspose', [x, w], out, 'float32', attrs);
  }

  /** Non-overlapping average pooling (kernel == stride, no padding): cheap and exactly invertible in the gradient. */
  averagePool(x: Value, kernel: readonly number[]): Value {
    const out = [x.shape[0], x.shape[1], ...kernel.map((k, i) => Math.floor(x.shape[2 + i] / k))];
    if (kernel.some((k, i) => x.shape[2 + i] % k !== 0)) throw shapeError('AveragePool', `${fmt(x.shape)} not divisible by kernel [${kernel}]`);
    return this.one('AveragePool', [x], out, 'float32', { kernel_shape: ints(kernel), strides: ints(kernel) });
  }

  globalAveragePool(x: Value): Value {
    return this.one(
      'GlobalAveragePool',
      [x],
      x.shape.map((d, i) => (i < 2 ? d : 1)),
      'float32',
    );
  }
}

function convDefaults(o: ConvOptions, sp: number): { strides: number[]; pads: number[]; dilations: number[]; group: number } {
  return {
    strides: [...(o.strides ?? new Array<number>(sp).fill(1))],
    pads: [...(o.pads ?? new Array<number>(2 * sp).fill(0))],
    dilations: [...(o.dilations ?? new Array<number>(sp).fill(1))],
    group: o.group ?? 1,
  };
}
