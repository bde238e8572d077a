// Lowers IR nodes to ONNX nodes for one target opset. Keeps the IR opset-neutral, so the same model is
// written at opset 18 for training and at opset 17 (or any other) for export:
// - Reduce*: `axes` is an input from opset 13 (ReduceSum) / 18 (ReduceMean, ReduceMax), an attribute before.
// - Gelu: a standard op from opset 20; below that the ORT contrib op when allowed, else Erf arithmetic.
import type { Attr, Node, TensorData } from '../graph/ir.js';

export interface WireNode {
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface LowerOptions {
  opset: number;
  /** Allow com.microsoft contrib ops (ORT-only; faster fused kernels). */
  contrib: boolean;
}

export interface Lowered {
  nodes: WireNode[];
  initializers: { name: string; data: TensorData }[];
}

const AXES_INPUT_SINCE: Record<string, number> = { ReduceSum: 13, ReduceMean: 18, ReduceMax: 18, ReduceMin: 18, ReduceProd: 18 };

export function lowerNodes(nodes: readonly Node[], o: LowerOptions): Lowered {
  const out: WireNode[] = [];
  const inits = new Map<string, TensorData>();
  let tmp = 0;
  const constName = (key: string, data: TensorData): string => {
    const name = `lower_${key}`;
    if (!inits.has(name)) inits.set(name, data);
    return name;
  };
  for (const n of nodes) {
    const inputs = n.inputs.map((v) => (v ? v.name : ''));
    const outputs = n.outputs.map((v) => v.name);
    const since = AXES_INPUT_SINCE[n.op];
    if (since !== undefined) {
      const { axes, ...rest } = n.attrs;
      if (o.opset >= since && axes && axes.type === 'ints') {
        const name = constName(`axes_${axes.value.join('_')}`, { dtype: 'int64', shape: [axes.value.length], data: BigInt64Array.from(axes.value, BigInt) });
        out.push({ op: n.op, domain: '', inputs: [...inputs, name], outputs, attrs: rest });
      } else {
        out.push({ op: n.op, domain: '', inputs, outputs, attrs: { ...n.attrs } });
      }
      continue;
    }
    if (n.op === 'Gelu' && n.domain === '') {
      if (o.opset >= 20) out.push({ op: 'Gelu', domain: '', inputs, outputs, attrs: {} });
      else if (o.contrib) out.push({ op: 'Gelu', domain: 'com.microsoft', inputs, outputs, attrs: {} });
      else {
        // 0.5 * x * (1 + erf(x / sqrt 2))
        const f = (x: number) => constName(`f_${x}`, { dtype: 'float32', shape: [], data: new Float32Array([x]) });
        const t = (s: string) => `${outputs[0]}_gelu${tmp++}_${s}`;
        const a = t('scaled');
        const e = t('erf');
        const p = t('onep');
        const m = t('xm');
        out.push({ op: 'Mul', domain: '', inputs: [inputs[0], f(Math.SQRT1_2)], outputs: [a], attrs: {} });
        out.push({ op: 'Erf', domain: '', inputs: [a], outputs: [e], attrs: {} });
        out.push({ op: 'Add', domain: '', inputs: [e, f(1)], outputs: [p], attrs: {} });
        out.push({ op: 'Mul', domain: '', inputs: [inputs[0], p], outputs: [m], attrs: {} });
        out.push({ op: 'Mul', domain: '', inputs: [m, f(0.5)], outputs, attrs: {} });
      }
      continue;
    }
    out.push({ op: n.op, domain: n.domain, inputs, outputs, attrs: { ...n.attrs } });
  }
  return { nodes: out, initializers: [...inits].map(([name, data]) => ({ name, data })) };
}
