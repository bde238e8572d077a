// The per-image stem feature cache (main/core/student/features.ts, quick.ts): the stem identity, exact round trips
// through SQLite, and which stems' rows survive pruning.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { cachedStems, countCached, FeatureCache, stemBankBytes, stemHash } from '../../../main/core/student/features.js';
import { pruneUnusedStems } from '../../../main/core/student/quick.js';
import { DEFAULT_HEAD, loadStudent, saveStudent, trainClassifier } from '../../../native-models/student/classifier.js';
import { DEFAULT_STEM, featureSize, learnStem, StemExtractor, type GreyImage } from '../../../native-models/student/texture.js';
import { Rng } from '../../../native-models/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'emma-featcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = { ...DEFAULT_STEM, atoms: 4, levels: 3 };
const rng = new Rng(11);
const noise = (n: number): GreyImage => ({ data: Uint8Array.from({ length: n * n }, () => rng.int(256)), width: n, height: n });
const imgs = [noise(48), noise(48), noise(48)];

describe('stem identity', () => {
  it('is the same for a stem and its saved copy, and differs when the bank or the config does', async () => {
    const stem = learnStem(imgs, cfg, 1, 600);
    const h = stemHash(stem);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    // Saved and loaded back (what a quick update starts from): same bytes in stem-bank.f32, same identity.
    const ex = new StemExtractor(stem);
    const D = featureSize(cfg);
    const feats = await ex.extractAll(imgs);
    await ex.close();
    const c = await trainClassifier(feats, Int32Array.from([0, 1, 0]), ['a', 'b'], cfg, { ...DEFAULT_HEAD, hidden: 0, steps: 2, batch: 4 });
    saveStudent(join(dir, 'v1'), stem, c, ['x', 'y', 'z']);
    expect(readFileSync(join(dir, 'v1', 'stem-bank.f32')).equals(stemBankBytes(stem))).toBe(true);
    expect(stemHash(loadStudent(join(dir, 'v1')).stem)).toBe(h);
    expect(feats.length).toBe(3 * D);

    const other = learnStem(imgs, cfg, 2, 600);
    expect(stemHash(other)).not.toBe(h);
    expect(stemHash({ ...stem, config: { ...cfg, alpha: 0.25 } })).not.toBe(h);
    expect(stemHash({ ...stem, config: { ...cfg, maxSide: 256 } })).not.toBe(h);
    // Key order and absent optional fields do not matter.
    const reordered = Object.fromEntries(Object.entries(cfg).reverse()) as typeof cfg;
    expect(stemHash({ ...stem, config: { ...reordered, extraPatches: undefined } })).toBe(h);
  });
});

function versionRow(db: Db, status: string, stem: string | null): number {
  return Number(
    db
      .prepare(`INSERT INTO model_versions (status, preset, hyperparams_json, created_at) VALUES (?, 'fast', ?, 'now')`)
      .run(status, JSON.stringify(stem ? { stemHash: stem } : {})).lastInsertRowid,
  );
}

describe('feature cache in SQLite', () => {
  it('returns exactly what was stored, per stem; ignores rows of another size; counts what is cached', () => {
    const db = openDatabase(join(dir, 'a.sqlite'));
    const cache = new FeatureCache(db, 'stem-a', 4);
    const f1 = Float32Array.from([0.1, -0, 1e-30, 3.4e38]);
    const f2 = Float32Array.from([1, 2, 3, 4]);
    cache.put([
      ['sha1', f1],
      ['sha2', f2],
    ]);
    const got = cache.get(['sha1', 'sha2', 'sha3']);
    expect([...got.keys()].sort()).toEqual(['sha1', 'sha2']);
    expect(Buffer.from(got.get('sha1')!.buffer).equals(Buffer.from(f1.buffer))).toBe(true);
    expect(new FeatureCache(db, 'stem-b', 4).get(['sha1']).size).toBe(0);
    expect(new FeatureCache(db, 'stem-a', 5).get(['sha1']).size).toBe(0);
    expect(() => cache.put([['sha9', Float32Array.from([1])]])).toThrow(/expected 4/);
    expect(countCached(db, 'stem-a', ['sha1', 'sha2', 'nope'])).toBe(2);
    cache.put([['sha1', f2]]);
    expect(Array.from(cache.get(['sha1']).get('sha1')!)).toEqual([1, 2, 3, 4]);
    db.close();
  });

  it('pruning keeps the active stem, runs in progress and the 3 newest completed versions; nothing else is touched', () => {
    const db = openDatabase(join(dir, 'b.sqlite'));
    db.prepare(`INSERT INTO classes (name, created_at) VALUES ('kept', 'now')`).run();
    const active = versionRow(db, 'completed', 'A');
    for (const s of ['B', 'C', 'D', 'E']) versionRow(db, 'completed', s);
    versionRow(db, 'training', 'F');
    versionRow(db, 'failed', 'G');
    db.prepare(`UPDATE model_versions SET active = 1 WHERE id = ?`).run(active);
    for (const s of 'ABCDEFGH') new FeatureCache(db, s, 1).put([['img', Float32Array.from([1])]]);
    expect(pruneUnusedStems(db)).toBe(3);
    expect(cachedStems(db).map((r) => r.stemHash)).toEqual(['A', 'C', 'D', 'E', 'F']);
    expect(db.prepare(`SELECT count(*) FROM model_versions`).pluck().get()).toBe(7);
    expect(db.prepare(`SELECT count(*) FROM classes`).pluck().get()).toBe(1);
    db.close();
  });
});
