// Cancel + resume pays for nothing twice and duplicates nothing; the cost and token budgets stop a run.
import { afterEach, describe, expect, it } from 'vitest';
import type { TeacherRunResult } from '../../../main/core/teacher/types.js';
import { hasSharedData } from '../../support/paths.js';
import { makeHarness, pickDistinct, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const waitFor = async (cond: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.skipIf(!hasSharedData)('teacher cancel, resume and budgets', () => {
  it('cancel then resume: every image answered once, no duplicate proposals, nothing paid twice', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 40), double: { latencyMs: 60 }, config: { concurrency: 4 } });
    const hh = h;
    const job = await hh.teacher.startRun({});
    await waitFor(() => (hh.db.prepare(`SELECT count(*) AS n FROM teacher_outputs`).get() as { n: number }).n >= 10);
    hh.jobs.cancel(job.id);
    const cancelled = await hh.jobs.wait(job.id);
    expect(cancelled.state).toBe('cancelled');
    const first = cancelled.result as TeacherRunResult;
    expect(first.stopped).toBe('cancelled');
    expect(first.remaining).toBeGreaterThan(0);
    // Requests in flight at the cancel were finished and kept (they were paid for).
    const paidFirst = hh.double.requests.filter((r) => r.purpose === 'answer' && r.answered === 'valid').length;
    expect(first.proposals).toBe(paidFirst);
    expect(hh.teacher.getRun(first.runId).state).toBe('cancelled');

    const resumed = await hh.jobs.wait((await hh.teacher.startRun({ resumeRunId: first.runId })).id);
    expect(resumed.state).toBe('done');
    const second = resumed.result as TeacherRunResult;
    expect(second.runId).toBe(first.runId);
    expect(second.skipped).toBe(first.proposals);
    expect(first.proposals + second.proposals).toBe(40);

    // Each image reached the double with a successful answer exactly once over both jobs.
    const answered = hh.double.requests.filter((r) => r.purpose === 'answer' && r.answered === 'valid').map((r) => r.images[0].key);
    expect(answered).toHaveLength(40);
    expect(new Set(answered).size).toBe(40);
    const labels = hh.db.prepare(`SELECT image_id, count(*) AS n FROM labels WHERE source = 'teacher' GROUP BY image_id`).all() as { n: number }[];
    expect(labels).toHaveLength(40);
    expect(labels.every((l) => l.n === 1)).toBe(true);
    const captions = hh.db.prepare(`SELECT count(*) AS n FROM annotations WHERE kind = 'caption'`).get() as { n: number };
    expect(captions.n).toBe(40);

    // Running the same configuration again asks for nothing.
    const again = (await hh.jobs.wait((await hh.teacher.startRun({})).id)).result as TeacherRunResult;
    expect(again).toMatchObject({ processed: 0, proposals: 0, skipped: 40, requests: 0, costUsd: 0 });
    expect(hh.double.requests.filter((r) => r.purpose === 'answer')).toHaveLength(40);
  });

  it('switching egress off during a run stops it before the next request', async () => {
    // Slow answers leave the switch time to land mid-run even on a loaded machine.
    h = await makeHarness({ files: await pickDistinct('semi-defects', 20), double: { latencyMs: 400 }, config: { concurrency: 2 } });
    const hh = h;
    const job = await hh.teacher.startRun({});
    await waitFor(() => hh.double.requests.length >= 3);
    await hh.teacher.setEgress(false, 'lead');
    const sentAtSwitch = hh.double.requests.length;
    const switchedAt = (await hh.teacher.getSettings()).egress.changedAt!;
    const done = await hh.jobs.wait(job.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/egress was switched off/);
    // No request was started after the switch; the ones already on the wire (at most one per worker) may land.
    const started = hh.db.prepare(`SELECT started_at FROM teacher_requests WHERE purpose = 'answer'`).all() as { started_at: string }[];
    expect(started.every((r) => r.started_at <= switchedAt)).toBe(true);
    expect(hh.double.requests.length).toBeLessThanOrEqual(sentAtSwitch + 2);
    expect(hh.teacher.getRun((done.result as TeacherRunResult | null)?.runId ?? 1).state).toBe('failed');
  });

  it('the cost budget stops the run before it is exceeded; a larger budget resumes it', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 30), config: { concurrency: 3 } });
    const hh = h;
    // One image costs about $1.3 here ($1 per 1k tokens).
    const job = await hh.jobs.wait((await hh.teacher.startRun({ budgetUsd: 8 })).id);
    expect(job.state).toBe('done');
    const r = job.result as TeacherRunResult;
    expect(r.stopped).toBe('budget');
    expect(r.stopDetail).toMatch(/cost budget of \$8 reached/);
    expect(r.costUsd).toBeLessThanOrEqual(8);
    expect(r.proposals).toBeGreaterThanOrEqual(3);
    expect(r.remaining).toBe(30 - r.proposals);
    expect(job.progress.message).toMatch(/of \$8\.00/);
    expect(hh.teacher.getRun(r.runId)).toMatchObject({ state: 'budget', budgetUsd: 8 });
    const sent = hh.double.requests.length;
    expect(sent).toBe(r.requests);

    const more = (await hh.jobs.wait((await hh.teacher.startRun({ resumeRunId: r.runId, budgetUsd: 1000 })).id)).result as TeacherRunResult;
    expect(more.stopped).toBe('done');
    expect(r.proposals + more.proposals).toBe(30);
    expect(hh.teacher.getRun(r.runId).costUsd).toBeCloseTo(r.costUsd + more.costUsd, 5);
  });

  it('the token budget stops the run too, and a budget without a price is refused before anything is sent', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 12), config: { concurrency: 2 } });
    const hh = h;
    const r = (await hh.jobs.wait((await hh.teacher.startRun({ budgetTokens: 6000 })).id)).result as TeacherRunResult;
    expect(r.stopped).toBe('budget');
    expect(r.promptTokens + r.completionTokens).toBeLessThanOrEqual(6000);
    expect(r.proposals).toBeGreaterThan(0);

    await hh.teacher.updateConfig({ model: 'unpriced-model' });
    hh.double.reset();
    await expect(hh.teacher.startRun({ budgetUsd: 5 })).rejects.toThrow(/needs a price for model unpriced-model/);
    expect(hh.double.requests).toHaveLength(0);
  });
});
