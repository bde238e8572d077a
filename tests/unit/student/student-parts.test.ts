// The student's pure parts: the split rule, the scores, the D4 symmetry of the stem, model versions in SQLite.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.js';
import { splitByHash } from '../../../main/core/student/data.js';
import { score } from '../../../main/core/student/service.js';
import { activateVersion, activeVersion, completeVersion, endVersion, startVersion } from '../../../main/core/student/versions.js';
import { d4, d4Views, DEFAULT_STEM, featureSize, learnStem, StemExtractor, symEig, type GreyImage } from '../../../native-models/student/texture.js';
import { Rng } from '../../../native-models/util/rng.js';

const hex = (rng: Rng) => Array.from({ length: 64 }, () => '0123456789abcdef'[rng.int(16)]).join('');

describe('split by image hash', () => {
  const rng = new Rng(3);
  const items = Array.from({ length: 100 }, (_, i) => ({ sha256: hex(rng), className: ['a', 'b', 'c'][i % 3], i }));

  it('is a stratified third, independent of input order', () => {
    const one = splitByHash(items);
    const two = splitByHash([...items].reverse());
    expect(one.val.map((x) => x.i).sort()).toEqual(two.val.map((x) => x.i).sort());
    expect(one.train.length + one.val.length).toBe(items.length);
    for (const c of ['a', 'b', 'c']) {
      const n = items.filter((x) => x.className === c).length;
      expect(one.val.filter((x) => x.className === c).length).toBe(Math.floor(n / 3));
    }
  });
});

describe('scores', () => {
  it('computes accuracy, macro-F1 and the confusion matrix', () => {
    const s = score([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ['x', 'y', 'z']);
    expect(s.accuracy).toBeCloseTo(3 / 5);
    expect(s.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    // x: P 1/2 R 1/2 F1 .5; y: P 2/3 R 1 F1 .8; z: 0
    expect(s.macroF1).toBeCloseTo((0.5 + 0.8 + 0) / 3);
    expect(s.perClass.y).toMatchObject({ n: 2, recall: 1 });
  });
});

describe('texture stem', () => {
  it('symEig reconstructs a symmetric matrix', () => {
    const n = 6;
    const rng = new Rng(1);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symEig(a, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
        expect(s).toBeCloseTo(a[i * n + j], 6);
      }
  });

  it('a flipped or rotated image gives a permutation of the features (d4Views)', async () => {
    const cfg = { ...DEFAULT_STEM, atoms: 4, levels: 3 };
    const rng = new Rng(5);
    const n = 48; // small enough that every level is sampled at stride 1
    const img: GreyImage = { data: Uint8Array.from({ length: n * n }, () => rng.int(256)), width: n, height: n };
    const stem = learnStem([img], cfg, 1, 600);
    const ex = new StemExtractor(stem);
    try {
      const f = await ex.extract(img);
      const views = d4Views(f, 1, cfg);
      const D = featureSize(cfg);
      const asFloat = Float32Array.from(img.data);
      const found = new Set<number>();
      for (let g = 0; g < 8; g++) {
        const t = d4(asFloat, n, g);
        const fg = await ex.extract({ data: Uint8Array.from(t), width: n, height: n });
        const match = Array.from({ length: 8 }, (_, h) => h).find((h) => {
          const v = views.subarray(h * D, (h + 1) * D);
          return v.every((x, i) => Math.abs(x - fg[i]) <= 1e-3 * (1 + Math.abs(x)));
        });
        expect(match, `transform ${g}`).toBeDefined();
        found.add(match!);
      }
      expect(found.size).toBe(8);
    } finally {
      await ex.close();
    }
  });
});

describe('model versions', () => {
  const done = (activate: boolean) => ({
    metrics: { valAccuracy: 0.9 },
    labels: ['a', 'b'],
    provider: 'cpu',
    durationS: 1,
    dir: '/x',
    manifestPath: '/x/student.json',
    onnxPath: '/x/head.onnx',
    activate,
  });

  it('keeps exactly one active version; failed and cancelled runs never change it', () => {
    const db = openDatabase(':memory:');
    const v1 = startVersion(db, { preset: 'fast', dataSnapshot: {}, hyperparams: {} });
    expect(activeVersion(db)).toBeNull();
    completeVersion(db, v1, done(true));
    expect(activeVersion(db)?.id).toBe(v1);

    const v2 = startVersion(db, { preset: 'fast', dataSnapshot: {}, hyperparams: {} });
    endVersion(db, v2, 'failed', 'boom', 2);
    const v3 = startVersion(db, { preset: 'fast', dataSnapshot: {}, hyperparams: {} });
    endVersion(db, v3, 'cancelled', null, 2);
    expect(activeVersion(db)?.id).toBe(v1);
    expect(() => activateVersion(db, v2)).toThrow(/failed/);
    expect(() => db.prepare(`UPDATE model_versions SET active = 1 WHERE id = ?`).run(v3)).toThrow(/completed/);

    const v4 = startVersion(db, { preset: 'fast', dataSnapshot: {}, hyperparams: {} });
    completeVersion(db, v4, done(false));
    expect(activeVersion(db)?.id).toBe(v1);
    activateVersion(db, v4);
    expect(activeVersion(db)?.id).toBe(v4);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM model_versions WHERE active = 1`).get()).toEqual({ n: 1 });
    expect(() => db.prepare(`UPDATE model_versions SET active = 1 WHERE id = ?`).run(v1)).toThrow(/UNIQUE/);
    db.close();
  });
});
