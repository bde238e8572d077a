// Trained model -> self-contained inference ONNX (weights baked in, standard ops only, opset 17 so that
// older ONNX tooling such as Debian's onnx 1.12 checker accepts it too) + a JSON manifest. Import reads
// both back: the manifest rebuilds the architecture, the initializers give back the flat weights.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { InputSpec, Preprocessing, TaskModel } from '../models/model.js';
import { createModel, type ModelRef } from '../models/registry.js';
import { readModel } from '../onnx/reader.js';
import { writeModel } from '../onnx/writer.js';
import { layoutOf } from '../optim/flat.js';
import { buildInference } from '../train/graphs.js';

export const MANIFEST_FORMAT = 'emma-model';
export const EXPORT_OPSET = 17;

export interface TokenizerInfo {
  readonly kind: string;
  readonly file?: string;
  readonly vocabSize?: number;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  /** Where the weights came from: trained here, or an external backbone. */
  readonly kind: 'emma-trained' | 'external-backbone';
  readonly name: string;
  readonly onnx: string;
  readonly opset: number;
  readonly model: ModelRef | null;
  readonly params: number | null;
  readonly batch: number;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly { name: string; shape: readonly number[] }[];
  readonly preprocessing: Preprocessing;
  readonly labels: readonly string[] | null;
  readonly tokenizer: TokenizerInfo | null;
  readonly training?: Readonly<Record<string, unknown>>;
}

export interface ExportOptions {
  readonly name: string;
  /** Static batch of the exported graph (inference pads the last chunk). */
  readonly batch?: number;
  readonly opset?: number;
  readonly labels?: readonly string[];
  readonly tokenizer?: TokenizerInfo | null;
  readonly training?: Readonly<Record<string, unknown>>;
}

export interface Exported {
  readonly onnxPath: string;
  readonly manifestPath: string;
  readonly manifest: Manifest;
}

export function exportModel(model: TaskModel, params: Float32Array, dir: string, o: ExportOptions): Exported {
  const batch = o.batch ?? 1;
  const opset = o.opset ?? EXPORT_OPSET;
  const { g } = buildInference(model, batch, params);
  const bytes = writeModel(g, {
    opset,
    contrib: false,
    graphName: o.name,
    metadata: { 'emma.arch': model.arch, 'emma.config': JSON.stringify(model.config) },
  });
  mkdirSync(dir, { recursive: true });
  const onnxFile = `${o.name}.onnx`;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    kind: 'emma-trained',
    name: o.name,
    onnx: onnxFile,
    opset,
    model: { arch: model.arch, config: model.config },
    params: params.length,
    batch,
    inputs: model.inputs(batch).features,
    outputs: g.outputs.map((v) => ({ name: v.name, shape: v.shape })),
    preprocessing: model.preprocessing,
    labels: o.labels ?? model.labels ?? null,
    tokenizer: o.tokenizer ?? null,
    training: o.training,
  };
  const onnxPath = join(dir, onnxFile);
  const manifestPath = join(dir, `${o.name}.manifest.json`);
  writeFileSync(onnxPath, bytes);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { onnxPath, manifestPath, manifest };
}

export function readManifest(manifestPath: string): Manifest {
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Partial<Manifest>;
  if (m.format !== MANIFEST_FORMAT || m.version !== 1) throw new Error(`${manifestPath}: not an ${MANIFEST_FORMAT} v1 manifest`);
  for (const k of ['onnx', 'inputs', 'outputs', 'preprocessing', 'batch'] as const) {
    if (m[k] === undefined) throw new Error(`${manifestPath}: missing '${k}'`);
  }
  return m as Manifest;
}

export interface Imported {
  readonly manifest: Manifest;
  readonly onnxPath: string;
  readonly model: TaskModel;
  /** Flat weights in the model's layout: continue training or re-export from them. */
  readonly params: Float32Array;
}

/** Loads an exported Emma model back: architecture from the manifest, weights from the ONNX initializers. */
export function importModel(manifestPath: string): Imported {
  const manifest = readManifest(manifestPath);
  if (!manifest.model) throw new Error(`${manifestPath}: no architecture recorded (an external backbone? use loadBackbone)`);
  const onnxPath = resolve(dirname(manifestPath), manifest.onnx);
  const model = createModel(manifest.model);
  const read = readModel(readFileSync(onnxPath));
  // Rebuild the graph only to learn the parameter names/shapes/order; no weights are drawn.
  const { g } = buildInference(model, manifest.batch, new Float32Array(manifest.params ?? 0));
  const layout = layoutOf(g.params);
  const params = new Float32Array(layout.total);
  for (const e of layout.entries) {
    const t = read.initializers.get(e.name);
    if (!t || t.dtype !== 'float32' || t.data.length !== e.size) throw new Error(`${onnxPath}: weight '${e.name}' missing or misshapen`);
    params.set(t.data as Float32Array, e.offset);
  }
  return { manifest, onnxPath, model, params };
}
