// A model trained here exports to a self-contained ONNX file + manifest that gives the same predictions
// when loaded back (in-process, in a worker, and re-imported for more training), passes the independent
// onnx.checker where Python's onnx is installed, and external backbones load through their manifest.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackbone, loadBackbone } from '../../native-models/export/backbone.js';
import { exportModel, importModel, type Exported } from '../../native-models/export/export.js';
import { VitClassifier } from '../../native-models/models/vit-tiny.js';
import { readModel } from '../../native-models/onnx/reader.js';
import { writeModel } from '../../native-models/onnx/writer.js';
import { buildForward } from '../../native-models/train/graphs.js';
import { GraphBuilder } from '../../native-models/graph/builder.js';
import { openSession } from '../../native-models/runtime/session.js';
import { predict, predictInWorker } from '../../native-models/runtime/predict.js';
import { runTraining, type TrainResult } from '../../native-models/runtime/train-loop.js';
import { stripesDataset, tinySpec, TINY } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'emma-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const test = stripesDataset(24, 16, 99);
const model = new VitClassifier(TINY);
let trained: TrainResult;
let exported: Exported;

/** Reference predictions: the training-time forward graph fed from the flat buffer. */
async function referenceLogits(params: Float32Array): Promise<Float32Array> {
  const { g } = buildForward(model, test.labels.length);
  const { session } = await openSession(writeModel(g, { contrib: true }), { providers: ['cpu'] });
  const r = await session.run({
    image: new ort.Tensor('float32', test.images, [test.labels.length, 1, 16, 16]),
    params: new ort.Tensor('float32', params, [params.length]),
  });
  await session.release();
  return r.logits.data as Float32Array;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const hasPythonOnnx = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  trained = await runTraining(tinySpec({ steps: 60 }));
  exported = exportModel(model, trained.params, dir, { name: 'stripes', batch: 8, training: { steps: trained.step } });
});

describe('export', () => {
  it('writes an opset-17 model with only standard ops and a manifest', () => {
    const read = readModel(readFileSync(exported.onnxPath));
    expect(read.opset).toBe(17);
    expect(read.opTypes).not.toContain('Gelu'); // lowered to Erf arithmetic below opset 20
    expect(read.inputs.map((i) => i.name)).toEqual(['image']);
    const m = exported.manifest;
    expect(m.inputs[0].shape).toEqual([8, 1, 16, 16]);
    expect(m.labels).toEqual(TINY.labels);
    expect(m.preprocessing.channels).toBe(1);
    expect(m.model?.arch).toBe('vit-classifier');
    expect(m.tokenizer).toBeNull();
  });

  it('reloaded file predicts what the trained weights predict (and learned the task)', async () => {
    const ref = await referenceLogits(trained.params);
    const got = await predict(exported.manifestPath, test.images, test.labels.length, { providers: ['cpu'] });
    expect(maxDiff(got.data, ref)).toBeLessThan(1e-4);
    let correct = 0;
    for (let i = 0; i < test.labels.length; i++) {
      const row = got.data.subarray(i * 4, i * 4 + 4);
      if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
    }
    expect(correct / test.labels.length).toBeGreaterThan(0.7);
  });

  it('batch inference in a worker gives the same numbers', async () => {
    const inProc = await predict(exported.manifestPath, test.images, test.labels.length, { providers: ['cpu'] });
    const inWorker = await predictInWorker(exported.manifestPath, test.images, test.labels.length, { providers: ['cpu'] });
    expect(Buffer.from(inWorker.data.buffer).equals(Buffer.from(inProc.data.buffer))).toBe(true);
  });

  it('import gives back the exact weights, and they re-export byte-identically', () => {
    const imp = importModel(exported.manifestPath);
    expect(Buffer.from(imp.params.buffer).equals(Buffer.from(trained.params.buffer))).toBe(true);
    const again = exportModel(imp.model, imp.params, join(dir, 'again'), { name: 'stripes', batch: 8, training: { steps: trained.step } });
    expect(readFileSync(again.onnxPath).equals(readFileSync(exported.onnxPath))).toBe(true);
  });

  it.skipIf(!hasPythonOnnx)('passes onnx.checker (full check) and ONNX shape inference', () => {
    const out = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import onnx, sys',
          'm = onnx.load(sys.argv[1])',
          'onnx.checker.check_model(m, full_check=True)',
          'i = onnx.shape_inference.infer_shapes(m, strict_mode=True)',
          'print("ok", onnx.__version__, len(m.graph.node), [d.dim_value for d in i.graph.output[0].type.tensor_type.shape.dim])',
        ].join('\n'),
        exported.onnxPath,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/^ok .* \[8, 4\]/);
  });
  if (!hasPythonOnnx) it.skip('onnx.checker: skipped, /usr/bin/python3 has no onnx module (apt-get install python3-onnx)', () => {});

  it.skipIf(!hasPythonOnnx)('the training-time forward graph written at opset 17 also passes onnx.checker', () => {
    const path = join(dir, 'train.onnx');
    const { g } = buildForward(model, 2);
    writeFileSync(path, writeModel(g, { opset: 17 }));
    execFileSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', path]);
  });
});

describe('external backbone', () => {
  it('loads through a manifest and preprocesses raw pixels as it says', async () => {
    // Stand-in for a site's pretrained encoder: a fixed conv + global pool over 3x16x16 input.
    const g = new GraphBuilder();
    const x = g.input('pixel_values', [2, 3, 16, 16]);
    const w = g.constant({ dtype: 'float32', shape: [5, 3, 3, 3], data: Float32Array.from({ length: 135 }, (_, i) => Math.sin(i)) });
    g.output(g.reshape(g.globalAveragePool(g.relu(g.conv(x, w, null, { pads: [1, 1, 1, 1] }))), [2, 5]), 'features');
    const path = join(dir, 'backbone.onnx');
    writeFileSync(path, writeModel(g, { opset: 17 }));
    const prep = {
      layout: 'NCHW' as const,
      channels: 3,
      height: 16,
      width: 16,
      scale: 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      resize: 'bilinear' as const,
    };
    const manifestPath = describeBackbone(path, prep, { name: 'backbone' });
    expect(() => describeBackbone(path, { ...prep, height: 32 }, { name: 'bad' })).toThrow(/does not match/);
    const bb = await loadBackbone(manifestPath, { providers: ['cpu'] });
    const gray = (v: number, wd: number, ht: number) => ({ data: new Uint8Array(wd * ht).fill(v), width: wd, height: ht, channels: 1 });
    const feats = await bb.features([gray(10, 40, 30), gray(200, 16, 16), gray(10, 16, 16)]);
    await bb.close();
    expect(feats.dims).toEqual([3, 5]);
    // Uniform images of the same value give the same features whatever their size (resize is exact there);
    // a different value gives different ones.
    expect(maxDiff(feats.data.subarray(0, 5), feats.data.subarray(10, 15))).toBeLessThan(1e-5);
    expect(maxDiff(feats.data.subarray(0, 5), feats.data.subarray(5, 10))).toBeGreaterThan(1e-2);
  });
});
