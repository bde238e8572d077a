// The in-memory graph: values with static shapes, ONNX-style nodes, initializers and trainable parameters.
// Op names and attribute meanings are ONNX's, except two IR-level conveniences that the ONNX writer lowers
// per target opset: Reduce* keep `axes` as an attribute, and `Gelu` is one node (see onnx/lower.ts).

export type DType = 'float32' | 'int64' | 'bool';
export type Shape = readonly number[];

export interface Value {
  readonly id: number;
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Attributes are tagged because a JS number cannot say whether ONNX wants an int or a float. */
export type Attr =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

export const int = (value: number): Attr => ({ type: 'int', value });
export const float = (value: number): Attr => ({ type: 'float', value });
export const ints = (value: readonly number[]): Attr => ({ type: 'ints', value });
export const floats = (value: readonly number[]): Attr => ({ type: 'floats', value });
export const str = (value: string): Attr => ({ type: 'string', value });

export interface Node {
  readonly op: string;
  readonly domain: string;
  /** `null` marks an omitted optional input (written as an empty name). */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

export type TensorArray = Float32Array | BigInt64Array | Uint8Array;

export interface TensorData {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: TensorArray;
}

/** How a parameter starts; drawn in JS from a seeded generator so runs are reproducible. */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'uniform'; readonly bound: number };

export interface ParamSpec {
  readonly name: string;
  readonly value: Value;
  readonly init: Init;
  /** Decoupled weight decay applies to matrices/kernels, not to biases, norms or embeddings' scales. */
  readonly decay: boolean;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function attrInt(node: Node, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && (a.type === 'int' || a.type === 'float') ? a.value : dflt;
}

export function attrInts(node: Node, name: string, dflt: readonly number[]): readonly number[] {
  const a = node.attrs[name];
  return a && (a.type === 'ints' || a.type === 'floats') ? a.value : dflt;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  return attrInt(node, name, dflt);
}
