// Background measurement of the library (main/core/measure/background.ts) on a real SQLite file with real
// micrographs and a real inference pool: after an import the images are measured in a 'measure' job that waits for
// the import, a count question then reads the stored summary (no second segmentation), a second core on the same
// file measures nothing again, the job submits nothing while interactive requests are open, it can be cancelled,
// and closing the core mid-run leaves the job cancelled and the database sound.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import type { JobInfo, MeasureJobResult } from '../../main/core/contract.js';
import { InferencePool, type Priority } from '../../main/core/host/inference-pool.js';
import { BackgroundMeasure } from '../../main/core/measure/background.js';
import { MeasureService } from '../../main/core/measure/service.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const uhcs = (c: string, from: number, n: number) =>
  readdirSync(join(sharedData, 'uhcs', c))
    .sort()
    .slice(from, from + n)
    .map((f) => join(sharedData, 'uhcs', c, f));

type Row = { image_sha256: string; method_key: string; summary_json: string; created_at: string };
const summaries = (core: CoreInternals) => core.db.prepare(`SELECT * FROM measurement_summaries ORDER BY image_sha256`).all() as Row[];
const measureJobs = (core: CoreInternals) => core.jobs.list(100).filter((j) => j.kind === 'measure');

async function importAndWait(core: CoreInternals, paths: string[]): Promise<JobInfo> {
  const job = await core.api.startImport({ paths });
  const done = await core.jobs.wait(job.id);
  expect(done.state, done.error ?? '').toBe('done');
  return done;
}

/** Waits until `f` holds, polling (the background job runs on its own). */
async function until(f: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!hasSharedData)('background measurement', () => {
  const tmp = tempDir('emma-bgmeasure-');
  afterAll(() => tmp.cleanup());
  const dbPath = join(tmp.dir, 'emma.sqlite');
  const files = [...uhcs('spheroidite', 0, 3), ...uhcs('pearlite', 0, 3)];

  it('measures imported images after the import, and a count question reads the stored summary', async () => {
    const core = createCore({ dbPath, mode: 'cli', autoMeasure: true, autoMeasureDelayMs: 0 });
    try {
      expect(summaries(core)).toHaveLength(0);
      const imp = await importAndWait(core, files);
      await core.background.idle();
      const [job] = measureJobs(core);
      expect(job, 'a background measure job').toBeDefined();
      expect(job.state).toBe('done');
      // It went after the import (a job that goes first), not beside it.
      expect(job.id).toBeGreaterThan(imp.id);
      expect(job.createdAt >= imp.updatedAt).toBe(true);
      const bg = (job.result as MeasureJobResult).background!;
      expect(bg).toMatchObject({ segmenter: 'classical', total: 6, measured: 6, skipped: 0, stopped: null });
      expect(job.progress).toMatchObject({ done: 6, total: 6 });
      const rows = summaries(core);
      expect(rows).toHaveLength(6);
      expect(rows.every((r) => r.method_key.includes('|classical|'))).toBe(true);

      // The summary row exists before the question; answering rewrites nothing (a measurement would store anew).
      const img = core.db.prepare(`SELECT id, sha256 FROM images ORDER BY id LIMIT 1`).get() as { id: number; sha256: string };
      const before = rows.find((r) => r.image_sha256 === img.sha256)!;
      const stored = JSON.parse(before.summary_json) as { particles: { count: number } };
      const a = await core.api.askStudent({ imageId: img.id, question: 'How many particles are there?' });
      expect(a.supported).toBe(true);
      expect(a.grounding?.intent).toBe('measure');
      expect(a.answer).toContain(String(stored.particles.count));
      const after = summaries(core).find((r) => r.image_sha256 === img.sha256)!;
      expect(after.created_at).toBe(before.created_at);
      expect(summaries(core)).toHaveLength(6);
    } finally {
      await core.close();
    }
  }, 180_000);

  it('a second core on the same file measures nothing again', async () => {
    const core = createCore({ dbPath, mode: 'cli', autoMeasure: true, autoMeasureDelayMs: 0 });
    try {
      // Read before its open-time check runs (that waits for the pre-warm step, a later turn of the event loop).
      const rows = summaries(core);
      expect(rows).toHaveLength(6);
      const jobsBefore = measureJobs(core).length;
      await core.background.idle();
      expect(measureJobs(core)).toHaveLength(jobsBefore); // nothing to measure: no job at all
      expect(summaries(core)).toEqual(rows);
      // Asked again (an import with nothing new), still nothing.
      core.background.request();
      await core.background.idle();
      expect(measureJobs(core)).toHaveLength(jobsBefore);
    } finally {
      await core.close();
    }
  }, 60_000);

  it('submits nothing while interactive requests are open, and stops when cancelled', async () => {
    const core = createCore({ dbPath: join(tmp.dir, 'yield.sqlite'), mode: 'cli' });
    // A real pool that notes each submission and how quiet the interactive side was at that moment.
    class NotingPool extends InferencePool {
      readonly submitted: { priority: Priority; quietMs: number }[] = [];
      override measure(ask: Parameters<InferencePool['measure']>[0], priority: Priority = 'interactive') {
        this.submitted.push({ priority, quietMs: this.interactiveQuietMs() });
        return super.measure(ask, priority);
      }
    }
    const pool = new NotingPool(2);
    try {
      const paths = [...uhcs('spheroidite', 10, 6), ...uhcs('network', 10, 6)];
      await core.importNow({ paths });
      const measure = new MeasureService({ db: core.db, jobs: core.jobs, actor: 'test', pool });
      const quietMs = 300;
      const bg = new BackgroundMeasure({ db: core.db, jobs: core.jobs, events: core.events, pool, measure, quietMs, lanes: 1 });
      bg.request();
      const jobId = bg.runningJob!;
      expect(jobId).not.toBeNull();
      await until(() => summaries(core).length >= 1, 'a first background measurement');
      // Chat-like measurements of images the job has not reached, all at once.
      const ids = core.db.prepare(`SELECT id FROM images ORDER BY id DESC LIMIT 3`).pluck().all() as number[];
      await Promise.all(ids.map((id) => measure.measure(id)));
      const batchCount = () => pool.submitted.filter((s) => s.priority === 'batch').length;
      const mark = batchCount();
      await until(() => batchCount() > mark, 'background work after the interactive requests');
      core.api.cancelJob(jobId);
      const done = await core.jobs.wait(jobId);
      await bg.idle();
      expect(done.state).toBe('cancelled');
      const r = (done.result as MeasureJobResult).background!;
      expect(r.stopped).toBe('cancelled');
      expect(r.measured).toBeLessThan(12);
      const batch = pool.submitted.filter((s) => s.priority === 'batch');
      expect(batch.length).toBeGreaterThanOrEqual(2);
      // Every background submission came after a quiet spell of the interactive side (none while one was open).
      for (const s of batch) expect(s.quietMs).toBeGreaterThanOrEqual(quietMs);
      expect(pool.submitted.filter((s) => s.priority === 'interactive')).toHaveLength(3);
      // Nothing stored after the cancel; a cancelled run is not restarted by itself.
      const n = summaries(core).length;
      await new Promise((res) => setTimeout(res, 500));
      expect(summaries(core).length).toBe(n);
      expect(bg.runningJob).toBeNull();
      bg.close();
    } finally {
      await pool.close();
      await core.close();
    }
  }, 180_000);

  it('close() during a run cancels it cleanly and the next core finishes the rest', async () => {
    const file = join(tmp.dir, 'close.sqlite');
    const core = createCore({ dbPath: file, mode: 'cli', autoMeasure: true, autoMeasureDelayMs: 0 });
    const paths = [...uhcs('pearlite', 20, 6), ...uhcs('network', 20, 6)];
    let jobId: number;
    try {
      await importAndWait(core, paths);
      await until(() => core.background.runningJob !== null && summaries(core).length >= 1, 'the background run under way');
      jobId = core.background.runningJob!;
    } finally {
      await core.close();
    }
    const next = createCore({ dbPath: file, mode: 'cli', autoMeasure: true, autoMeasureDelayMs: 0 });
    try {
      const job = next.jobs.get(jobId);
      expect(job.state).toBe('cancelled');
      const kept = summaries(next).length;
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(kept).toBeLessThan(12);
      for (const r of summaries(next)) expect(() => JSON.parse(r.summary_json) as unknown).not.toThrow();
      // The next start measures only what is left.
      await next.background.idle();
      const [again] = measureJobs(next).filter((j) => j.id !== jobId);
      expect(again.state).toBe('done');
      expect((again.result as MeasureJobResult).background).toMatchObject({ total: 12 - kept, measured: 12 - kept });
      expect(summaries(next)).toHaveLength(12);
    } finally {
      await next.close();
    }
  }, 180_000);
});
