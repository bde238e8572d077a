// External ONNX image backbones (a site's pretrained encoder): the manifest says where the file is,
// which input it takes and how to preprocess; Emma runs it for features and never trains it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Preprocessing } from '../models/model.js';
import { readModel } from '../onnx/reader.js';
import { openSession, type OpenSession, type SessionConfig } from '../runtime/session.js';
import { MANIFEST_FORMAT, readManifest, type Manifest } from './export.js';
import { preprocessInto, type RawImage } from './preprocess.js';

export interface Backbone {
  readonly manifest: Manifest;
  readonly open: OpenSession;
  /** Features for raw images, run in chunks of the manifest's batch (the last chunk is zero-padded). */
  features(images: readonly RawImage[], output?: string): Promise<{ data: Float32Array; dims: number[] }>;
  close(): Promise<void>;
}

/** Writes a manifest for a third-party ONNX file, checking its input against the stated preprocessing. */
export function describeBackbone(onnxPath: string, p: Preprocessing, o: { name: string; output?: string }): string {
  const read = readModel(readFileSync(onnxPath));
  const input = read.inputs[0];
  if (!input) throw new Error(`${onnxPath}: no graph input`);
  const [b, c, h, w] = input.shape;
  if (c !== p.channels || h !== p.height || w !== p.width) {
    throw new Error(`${onnxPath}: input ${input.name} [${input.shape}] does not match preprocessing ${p.channels}x${p.height}x${p.width}`);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    kind: 'external-backbone',
    name: o.name,
    onnx: basename(onnxPath),
    opset: read.opset,
    model: null,
    params: null,
    batch: b > 0 ? b : 1,
    inputs: [{ name: input.name, shape: [b > 0 ? b : 1, c, h, w], dtype: 'float32' }],
    outputs: read.outputs.filter((v) => !o.output || v.name === o.output).map((v) => ({ name: v.name, shape: v.shape })),
    preprocessing: p,
    labels: null,
    tokenizer: null,
  };
  const path = resolve(dirname(onnxPath), `${o.name}.manifest.json`);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

export async function loadBackbone(manifestPath: string, cfg: SessionConfig = {}): Promise<Backbone> {
  const manifest = readManifest(manifestPath);
  const onnxPath = resolve(dirname(manifestPath), manifest.onnx);
  if (!existsSync(onnxPath)) throw new Error(`${manifestPath}: model file ${onnxPath} not found`);
  const open = await openSession(onnxPath, cfg);
  const input = manifest.inputs[0];
  const p = manifest.preprocessing;
  const per = p.channels * p.height * p.width;
  return {
    manifest,
    open,
    async features(images, output) {
      const outName = output ?? manifest.outputs[0].name;
      const B = manifest.batch;
      const chunks: Float32Array[] = [];
      let dims: number[] = [];
      for (let i = 0; i < images.length; i += B) {
        const buf = new Float32Array(B * per);
        images.slice(i, i + B).forEach((img, k) => preprocessInto(img, p, buf.subarray(k * per, (k + 1) * per)));
        const r = await open.session.run({ [input.name]: new ort.Tensor('float32', buf, [B, p.channels, p.height, p.width]) });
        const t = r[outName] as ort.Tensor;
        dims = [...t.dims];
        const rowSize = (t.data as Float32Array).length / B;
        chunks.push((t.data as Float32Array).slice(0, rowSize * Math.min(B, images.length - i)));
      }
      const rowSize = dims.slice(1).reduce((a, b) => a * b, 1);
      const data = new Float32Array(images.length * rowSize);
      let off = 0;
      for (const c of chunks) {
        data.set(c, off);
        off += c.length;
      }
      return { data, dims: [images.length, ...dims.slice(1)] };
    },
    close: () => open.session.release(),
  };
}
