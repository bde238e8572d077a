// The core's inference pool on real micrographs: a measurement in a worker thread equals the same measurement in
// the calling thread; interactive requests overtake queued batch work; a file that cannot be read fails with the
// file's own error code and the pool goes on serving; closing rejects what still waits.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InferencePool } from '../../../main/core/host/inference-pool.js';
import { fitIntents } from '../../../main/core/chat/fit.js';
import { IntentModel } from '../../../main/core/chat/intent.js';
import { CoreError } from '../../../main/core/errors.js';
import { measureImage } from '../../../main/core/measure/index.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const uhcs = (c: string, n: number) =>
  readdirSync(join(sharedData, 'uhcs', c))
    .sort()
    .slice(0, n)
    .map((f) => join(sharedData, 'uhcs', c, f));

describe.skipIf(!hasSharedData)('inference pool', () => {
  const tmp = tempDir('emma-pool-');
  afterAll(() => tmp.cleanup());

  it('measures in a worker exactly as in the calling thread', async () => {
    const pool = new InferencePool(2);
    try {
      const files = [
        join(
          sharedData,
          'sem-tiff',
          'sem',
          readdirSync(join(sharedData, 'sem-tiff', 'sem'))
            .filter((f) => f.endsWith('.tif'))
            .sort()[0],
        ),
        ...uhcs('spheroidite', 2),
      ];
      const inPool = await Promise.all(files.map((path) => pool.measure({ path, segmenterPath: null, modelVersion: null, withLabels: true })));
      for (const [i, path] of files.entries()) {
        const here = await measureImage(path, { segmenter: null, modelVersion: null });
        const { seconds: _a, ...a } = inPool[i].result as (typeof inPool)[number]['result'] & { seconds?: number };
        const { seconds: _b, ...b } = here.result as typeof here.result & { seconds?: number };
        expect(a).toEqual(b);
        expect(inPool[i].labels).toEqual(here.labels);
      }
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('fits the chat intent model in a worker, identical to the calling thread, while this thread stays free', async () => {
    const pool = new InferencePool(1);
    try {
      const classes = ['network', 'pearlite', 'spheroidite'];
      const reviewed = Array.from({ length: 60 }, (_, i) => ({
        question: [`What microconstituent is this, sample ${i}?`, 'How large are the carbides?', 'Describe the structure.'][i % 3],
        qaKind: i % 5 === 0 ? null : (['identification', 'size', 'description'][i % 3] as string),
      }));
      const definitions = ['cementite network along prior austenite grain boundaries'];
      // Ticks of this thread while the worker fits: a fit on this thread would hold them back for seconds.
      let longest = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 10);
      const t0 = performance.now();
      const data = await pool.intents({ classes, reviewed, definitions, paraphrases: [] });
      const pooledMs = performance.now() - t0;
      clearInterval(timer);
      const t1 = performance.now();
      const here = fitIntents(classes, reviewed, definitions);
      const hereMs = performance.now() - t1;
      const there = IntentModel.fromData(data);
      for (const q of ['Which constituent dominates here?', 'Are there spheroidized carbides?', 'What is the weather like?', 'how big are the particles']) {
        expect(there.decide(q)).toEqual(here.decide(q));
      }
      // The gap is compared with the fit's own duration on this thread, not with a fixed number of milliseconds.
      expect(longest).toBeLessThan(Math.max(200, hereMs / 2));
      expect(pooledMs).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('serves interactive requests before waiting batch work, and goes on after a file it cannot read', async () => {
    const pool = new InferencePool(1);
    const bad = join(tmp.dir, 'truncated.tif');
    writeFileSync(bad, Buffer.from('II*\u0000\u0008\u0000\u0000\u0000garbage'));
    try {
      const order: string[] = [];
      const files = uhcs('pearlite', 4);
      const batch = files
        .slice(0, 3)
        .map((path, i) => pool.measure({ path, segmenterPath: null, modelVersion: null, lines: false }, 'batch').then(() => order.push(`batch${i}`)));
      const interactive = pool.measure({ path: files[3], segmenterPath: null, modelVersion: null, lines: false }).then(() => order.push('interactive'));
      await Promise.all([...batch, interactive]);
      // One worker: whatever waits when it frees up, the interactive request goes first.
      expect(order.indexOf('interactive')).toBeLessThan(order.indexOf('batch2'));
      expect(order.indexOf('interactive')).toBeLessThanOrEqual(1);

      const err = await pool.measure({ path: bad, segmenterPath: null, modelVersion: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('image_unreadable');
      const missing = await pool.measure({ path: join(tmp.dir, 'gone.tif'), segmenterPath: null, modelVersion: null }).catch((e: unknown) => e);
      expect((missing as CoreError).code).toBe('not_found');
      const after = await pool.measure({ path: files[0], segmenterPath: null, modelVersion: null, lines: false });
      expect(after.result.width).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('rejects what still waits when it closes, and everything after', async () => {
    const pool = new InferencePool(1);
    const [a, b] = uhcs('network', 2);
    const first = pool.measure({ path: a, segmenterPath: null, modelVersion: null }).catch((e: Error) => e);
    const second = pool.measure({ path: b, segmenterPath: null, modelVersion: null }).catch((e: Error) => e.message);
    await pool.close();
    await first;
    expect(await second).toMatch(/closed|stopped|terminated/);
    await expect(pool.measure({ path: a, segmenterPath: null, modelVersion: null })).rejects.toThrow(/closed/);
  }, 60_000);

  it('pre-warms every worker before the first request; a warm-up that fails is no error, and the pool serves on', async () => {
    const pool = new InferencePool(2);
    try {
      // A version folder that does not exist: each worker's warm-up fails, warm() still resolves.
      await pool.warm({ versionDir: join(tmp.dir, 'no-such-version'), sample: null, segmenterPath: join(tmp.dir, 'no-segmenter.json') });
      // Both workers are up (a measurement on each at once, with nothing left waiting for a start).
      const [a, b] = uhcs('spheroidite', 2);
      const both = [a, b].map((path) => pool.measure({ path, segmenterPath: null, modelVersion: null, lines: false }));
      expect(pool.waiting).toBe(0);
      for (const r of await Promise.all(both)) expect(r.result.particles.count).toBeGreaterThan(0);
      expect(pool.interactiveQuietMs()).toBeGreaterThanOrEqual(0);
    } finally {
      await pool.close();
    }
    // After close, warm() does nothing.
    await pool.warm({ versionDir: null, sample: null, segmenterPath: null });
  }, 60_000);
});
