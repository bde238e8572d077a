// Progress lives in the jobs row only (issue 15, point 4): a training job's detail (phase, loss curve, ETA,
// provider) and its typed result are read back from a real SQLite file after the database is closed and opened
// again, also for a job whose process went away mid-run.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { JobInfo, TrainOutcomeInfo, TrainProgressDetail } from '../../../main/core/contract.js';
import { openDatabase } from '../../../main/core/db/database.js';
import { JobManager } from '../../../main/core/jobs/job-manager.js';
import { releaseOwner } from '../../../main/core/jobs/owners.js';
import { EventHub } from '../../../main/core/util/events.js';
import { tempDir } from '../../support/paths.js';

const detail = (done: number): TrainProgressDetail => ({
  phase: 'head',
  elapsedS: done / 10,
  etaS: 30 - done / 10,
  provider: 'cpu',
  preset: 'fast',
  points: Array.from({ length: done }, (_, i) => ({ t: i / 10, phase: 'head' as const, step: i, steps: 60, loss: 2 / (1 + i) })),
});

const outcome: TrainOutcomeInfo = {
  modelVersion: 3,
  status: 'completed',
  trainSeconds: 4.2,
  valAccuracy: 0.9,
  valMacroF1: 0.88,
  provider: 'cpu',
  activated: true,
  activeVersion: 3,
  images: 30,
  classes: ['a', 'b'],
};

describe('job progress in the jobs row', () => {
  it("reads a finished training job's detail and typed result back after reopening the file", async () => {
    const t = tempDir('emma-job-progress-');
    try {
      const file = join(t.dir, 'emma.sqlite');
      let db = openDatabase(file);
      const events: JobInfo[] = [];
      const hub = new EventHub();
      hub.on((e) => e.type === 'job' && events.push(e.job));
      const jobs = new JobManager(db, hub);
      const started = jobs.start('train', { preset: 'fast' }, async (ctx) => {
        for (let i = 1; i <= 12; i++) ctx.progress(i, 12, `head ${i}/12`, detail(i));
        return outcome;
      });
      const done = await jobs.wait(started.id);
      expect(done.state).toBe('done');
      // Pushed events carry the same detail the row holds.
      expect(events.at(-1)?.progress.train?.points).toHaveLength(12);
      releaseOwner(db);
      db.close();

      db = openDatabase(file);
      const again = new JobManager(db, new EventHub()).get(started.id);
      expect(again.progress).toEqual({ done: 12, total: 12, message: 'head 12/12', train: detail(12) });
      expect(again.kind).toBe('train');
      if (again.kind !== 'train') throw new Error('kind');
      // The union by kind types the result: no cast.
      expect(again.result?.modelVersion).toBe(3);
      releaseOwner(db);
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('keeps the last progress of a run whose process died, and marks it failed', async () => {
    const t = tempDir('emma-job-progress-');
    try {
      const file = join(t.dir, 'emma.sqlite');
      let db = openDatabase(file);
      const jobs = new JobManager(db, new EventHub());
      // The run never ends here: its process is treated as gone below.
      const hold = new Promise<void>(() => undefined);
      const started = jobs.start('train', {}, async (ctx) => {
        ctx.progress(5, 60, 'head 5/60', detail(5));
        await hold;
        return outcome;
      });
      await new Promise((r) => setTimeout(r, 20));
      // As if the process had died: the job's owner has no record any more.
      db.prepare(`UPDATE jobs SET owner_id = 'gone:1' WHERE id = ?`).run(started.id);
      const raw = db.prepare(`SELECT progress_json FROM jobs WHERE id = ?`).pluck().get(started.id) as string;
      expect(JSON.parse(raw)).toMatchObject({ done: 5, train: { points: detail(5).points } });
      db.close();

      db = openDatabase(file);
      const after = new JobManager(db, new EventHub()).get(started.id);
      expect(after.state).toBe('failed');
      expect(after.error).toMatch(/^interrupted/);
      expect(after.progress.train).toEqual(detail(5));
      expect(after.result).toBeNull();
      releaseOwner(db);
      db.close();
    } finally {
      t.cleanup();
    }
  });
});
