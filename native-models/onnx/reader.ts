// Reads back what writer.ts (or another exporter using raw_data/float_data) wrote: initializers,
// graph inputs/outputs and metadata. Enough to re-import an exported model's weights.
import type { DType, TensorData } from '../graph/ir.js';
import { ModelProto } from './proto.js';

export interface ReadTensor extends TensorData {
  readonly name: string;
}
export interface ReadValueInfo {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: DType | 'other';
}
export interface ReadModel {
  readonly opset: number;
  readonly initializers: ReadonlyMap<string, ReadTensor>;
  readonly inputs: readonly ReadValueInfo[];
  readonly outputs: readonly ReadValueInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly nodeCount: number;
  readonly opTypes: readonly string[];
}

interface PTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int64_data?: number[];
}
interface PValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number }[] } } };
}
interface PModel {
  opset_import?: { domain?: string; version?: number }[];
  metadata_props?: { key?: string; value?: string }[];
  graph?: { node?: { op_type?: string }[]; initializer?: PTensor[]; input?: PValueInfo[]; output?: PValueInfo[] };
}

const DTYPES: Record<number, DType> = { 1: 'float32', 7: 'int64', 9: 'bool' };

function decodeTensor(t: PTensor): ReadTensor {
  const dtype = DTYPES[t.data_type ?? 0];
  if (!dtype) throw new Error(`initializer ${t.name}: unsupported data_type ${t.data_type}`);
  const shape = (t.dims ?? []).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array | BigInt64Array | Uint8Array;
  if (t.raw_data && t.raw_data.length > 0) {
    const raw = new Uint8Array(t.raw_data); // a real copy (Buffer.slice would alias) at offset 0: aligned views
    data = dtype === 'float32' ? new Float32Array(raw.buffer, 0, n) : dtype === 'int64' ? new BigInt64Array(raw.buffer, 0, n) : raw;
  } else if (dtype === 'float32') data = Float32Array.from(t.float_data ?? []);
  else if (dtype === 'int64') data = BigInt64Array.from((t.int64_data ?? []).map((x) => BigInt(x)));
  else throw new Error(`initializer ${t.name}: no data`);
  if (data.length !== n) throw new Error(`initializer ${t.name}: ${data.length} values for shape [${shape}]`);
  return { name: t.name ?? '', dtype, shape, data };
}

function info(v: PValueInfo): ReadValueInfo {
  const tt = v.type?.tensor_type;
  return { name: v.name ?? '', dtype: DTYPES[tt?.elem_type ?? 0] ?? 'other', shape: (tt?.shape?.dim ?? []).map((d) => Number(d.dim_value ?? -1)) };
}

export function readModel(bytes: Uint8Array): ReadModel {
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false }) as PModel;
  const g = m.graph ?? {};
  const initializers = new Map<string, ReadTensor>();
  for (const t of g.initializer ?? []) {
    const d = decodeTensor(t);
    initializers.set(d.name, d);
  }
  const metadata: Record<string, string> = {};
  for (const p of m.metadata_props ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  return {
    opset: Number((m.opset_import ?? []).find((o) => !o.domain)?.version ?? 0),
    initializers,
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(info),
    outputs: (g.output ?? []).map(info),
    metadata,
    nodeCount: (g.node ?? []).length,
    opTypes: [...new Set((g.node ?? []).map((n) => n.op_type ?? ''))],
  };
}
