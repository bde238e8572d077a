// ONNX writer encoding details that ORT would otherwise reject or misread, shape inference errors, and
// execution-provider selection with recorded fallback reasons.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../native-models/graph/builder.js';
import { ModelProto } from '../../native-models/onnx/proto.js';
import { writeModel } from '../../native-models/onnx/writer.js';
import { openSession, providersFromEnv } from '../../native-models/runtime/session.js';

interface PAttr {
  name: string;
  type: number;
  f?: number;
  i?: number;
}
interface PNode {
  op_type: string;
  input: string[];
  attribute?: PAttr[];
  domain?: string;
}
const decode = (b: Uint8Array) =>
  ModelProto.toObject(ModelProto.decode(b), { longs: Number }) as { graph: { node: PNode[] }; opset_import: { domain?: string; version: number }[] };

function sample(): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input('x', [2, 4]);
  const s = g.input('s', [4]);
  const y = g.layerNorm(x, s, null, -1, 1e-3);
  g.output(g.reduceMean(g.gelu(y), [1], false), 'y');
  return g;
}

describe('ONNX writer', () => {
  it('tags float attributes as FLOAT (epsilon 1e-3 is not truncated to an int)', () => {
    const ln = decode(writeModel(sample())).graph.node.find((n) => n.op_type === 'LayerNormalization');
    const eps = ln?.attribute?.find((a) => a.name === 'epsilon');
    expect(eps?.type).toBe(1);
    expect(eps?.f).toBeCloseTo(1e-3, 8);
  });
  it('puts ReduceMean axes in an input at opset 18 and in an attribute at opset 17', () => {
    const r18 = decode(writeModel(sample(), { opset: 18 })).graph.node.find((n) => n.op_type === 'ReduceMean');
    const r17 = decode(writeModel(sample(), { opset: 17 })).graph.node.find((n) => n.op_type === 'ReduceMean');
    expect(r18?.input.length).toBe(2);
    expect(r18?.attribute?.some((a) => a.name === 'axes')).toBeFalsy();
    expect(r17?.input.length).toBe(1);
    expect(r17?.attribute?.find((a) => a.name === 'axes')?.type).toBe(7);
  });
  it('lowers Gelu to the contrib op only when allowed, and both run the same in ORT', async () => {
    const contrib = writeModel(sample(), { contrib: true });
    const plain = writeModel(sample(), { contrib: false });
    expect(decode(contrib).opset_import.some((o) => o.domain === 'com.microsoft')).toBe(true);
    expect(decode(plain).graph.node.some((n) => n.op_type === 'Erf')).toBe(true);
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, -1, 0, 5, 2]), [2, 4]),
      s: new ort.Tensor('float32', Float32Array.from([1, 0.5, 2, 1]), [4]),
    };
    const out: Float32Array[] = [];
    for (const bytes of [contrib, plain]) {
      const { session } = await openSession(bytes, { providers: ['cpu'] });
      out.push((await session.run(feeds)).y.data as Float32Array);
      await session.release();
    }
    expect(Math.abs(out[0][0] - out[1][0])).toBeLessThan(1e-5);
    expect(Math.abs(out[0][1] - out[1][1])).toBeLessThan(1e-5);
  });
});

describe('static shape inference', () => {
  it('rejects mismatched shapes where the op is added', () => {
    const g = new GraphBuilder();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [4, 5]);
    expect(() => g.matmul(a, b)).toThrow(/inner dims/);
    expect(() => g.add(a, b)).toThrow(/broadcast/);
    expect(() => g.reshape(a, [4, 2])).toThrow(/reshape/);
    expect(g.conv(g.input('x', [1, 3, 9, 9]), g.input('w', [8, 3, 3, 3]), null, { strides: [2, 2], pads: [1, 1, 1, 1] }).shape).toEqual([1, 8, 5, 5]);
  });
});

describe('execution providers', () => {
  const g = new GraphBuilder();
  g.output(g.relu(g.input('x', [3])), 'y');
  const bytes = writeModel(g);

  it('falls back to CPU, records why each preferred provider failed, and reports what ran', async () => {
    const s = await openSession(bytes, { providers: ['cuda', 'dml', 'cpu'] });
    const y = await s.session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 2]), [3]) });
    expect([...(y.y.data as Float32Array)]).toEqual([0, 0, 2]);
    if (s.provider === 'cpu') {
      expect(s.fallbacks.map((f) => f.provider)).toEqual(['cuda', 'dml']);
      for (const f of s.fallbacks) expect(f.reason.length).toBeGreaterThan(5);
    }
    await s.session.release();
  });
  it('reads the preference from EMMA_EP and rejects unknown names', () => {
    expect(providersFromEnv({ EMMA_EP: 'cuda, CPU' })).toEqual(['cuda', 'cpu']);
    expect(providersFromEnv({})).toBeUndefined();
    expect(() => providersFromEnv({ EMMA_EP: 'tpu' })).toThrow(/unknown provider/);
  });
});
