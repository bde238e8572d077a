// Encodes a graph as ONNX ModelProto bytes (protobufjs over the subset in proto.ts).
import type { Attr, DType, Node, TensorData, Value } from '../graph/ir.js';
import { lowerNodes, type WireNode } from './lower.js';
import { ATTR_TYPE, ModelProto, ONNX_DTYPE } from './proto.js';

export interface GraphDef {
  readonly nodes: readonly Node[];
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly initializers: ReadonlyMap<Value, TensorData>;
}

export interface WriteOptions {
  /** Default opset of the ai.onnx domain (18: Reduce* axes as inputs). */
  opset?: number;
  /** Allow com.microsoft contrib ops in the lowering (ORT-only). */
  contrib?: boolean;
  graphName?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export const DEFAULT_OPSET = 18;

function tensorProto(name: string, t: TensorData): Record<string, unknown> {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  // raw_data is little-endian; every platform Emma targets is little-endian, so the view is the encoding.
  return { name, dims: [...t.shape], data_type: ONNX_DTYPE[t.dtype], raw_data: bytes };
}

function attrProto(name: string, a: Attr): Record<string, unknown> {
  switch (a.type) {
    case 'int':
      return { name, type: ATTR_TYPE.INT, i: a.value };
    case 'float':
      return { name, type: ATTR_TYPE.FLOAT, f: a.value };
    case 'ints':
      return { name, type: ATTR_TYPE.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: ATTR_TYPE.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function valueInfo(name: string, shape: readonly number[], dtype: DType): Record<string, unknown> {
  return {
    name,
    type: { tensor_type: { elem_type: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dim_value: d })) } } },
  };
}

/**
 * Drops `Identity(x) -> output` nodes by renaming x to the output name: ORT copies through an Identity,
 * and on the train step those copies (params/moments out) cost as much as a big elementwise op each.
 */
function elideOutputIdentities(g: GraphDef, nodes: WireNode[]): WireNode[] {
  const fixed = new Set<string>([...g.inputs.map((v) => v.name), ...[...g.initializers.keys()].map((v) => v.name)]);
  const outputs = new Set(g.outputs.map((v) => v.name));
  const rename = new Map<string, string>();
  const kept = nodes.filter((n) => {
    const src = n.inputs[0];
    if (n.op !== 'Identity' || !outputs.has(n.outputs[0]) || fixed.has(src) || outputs.has(src) || rename.has(src)) return true;
    rename.set(src, n.outputs[0]);
    return false;
  });
  const r = (x: string) => rename.get(x) ?? x;
  return kept.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
}

export function writeModel(g: GraphDef, o: WriteOptions = {}): Uint8Array {
  const opset = o.opset ?? DEFAULT_OPSET;
  const contrib = o.contrib ?? false;
  const lowered = lowerNodes(g.nodes, { opset, contrib });
  lowered.nodes = elideOutputIdentities(g, lowered.nodes);
  const usesContrib = lowered.nodes.some((n) => n.domain === 'com.microsoft');
  const initializers = [...[...g.initializers].map(([v, t]) => tensorProto(v.name, t)), ...lowered.initializers.map((i) => tensorProto(i.name, i.data))];
  const graph = {
    name: o.graphName ?? 'emma',
    node: lowered.nodes.map((n, i) => ({
      name: `n${i}_${n.op}`,
      op_type: n.op,
      domain: n.domain || undefined,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    })),
    initializer: initializers,
    input: g.inputs.map((v) => valueInfo(v.name, v.shape, v.dtype)),
    output: g.outputs.map((v) => valueInfo(v.name, v.shape, v.dtype)),
  };
  const model = {
    ir_version: 8,
    producer_name: 'emma-native-models',
    producer_version: '1',
    doc_string: o.docString,
    graph,
    opset_import: [{ domain: '', version: opset }, ...(usesContrib ? [{ domain: 'com.microsoft', version: 1 }] : [])],
    metadata_props: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`ONNX model does not verify: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
