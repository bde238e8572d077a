// Issue 14, point 5 (last part): after training activates a version, the library's new and unlabelled images are
// classified automatically as a background job, so the active-learning queue has the student's view without
// anyone pressing "Classify the library". Point 6: estimates from this machine's measured phase rates (stored),
// an ETA never past the run's own limit, a quick update without new reviewed data refused in words (no version
// added), and after a confirmed rollback one truth on the page. Real training (preset fast) on real uhcs
// micrographs in a temp folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ClassifyResult } from '../../main/core/contract.js';
import { estimateFromRates, readRates } from '../../main/core/student/rates.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const CLASSES = ['network', 'pearlite', 'spheroidite'];
const PER_CLASS = 8;
const UNLABELLED = 6;

describe.skipIf(!hasSharedData)('classification after a version activates', () => {
  let s: UxSession;
  let page: Page;
  const unlabelledIds: number[] = [];

  beforeAll(async () => {
    s = await startUxSession({});
    const labelled = join(s.dir, 'labelled');
    const loose = join(s.dir, 'loose');
    mkdirSync(loose, { recursive: true });
    for (const c of CLASSES) {
      mkdirSync(join(labelled, c), { recursive: true });
      const files = readdirSync(join(sharedData, 'uhcs', c)).sort();
      for (const f of files.slice(0, PER_CLASS)) copyFileSync(join(sharedData, 'uhcs', c, f), join(labelled, c, f));
      for (const f of files.slice(PER_CLASS, PER_CLASS + UNLABELLED / CLASSES.length)) copyFileSync(join(sharedData, 'uhcs', c, f), join(loose, f));
    }
    await s.core.importNow({ paths: [labelled], labelsFromFolders: true });
    const r = await s.core.importNow({ paths: [loose] });
    expect(r.failed).toEqual([]);
    for (const img of (await s.core.api.listImages({ offset: 0, limit: 100, filter: { kind: 'unlabelled' } })).items) unlabelledIds.push(img.id);
    expect(unlabelledIds).toHaveLength(UNLABELLED);
    page = s.page;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('trains from the Train view, then classifies the unlabelled images on its own', async () => {
    await page.getByTestId('nav-train').click();
    await expect.poll(() => page.getByTestId('train-plan').innerText(), { timeout: 10_000 }).toMatch(/24 reviewed images in 3 classes/);
    // Nothing measured yet: the estimate says where it comes from.
    expect(await page.getByTestId('train-plan').innerText()).toMatch(/built-in table: no run of this preset measured on this machine yet/);
    expect(readRates(s.core.db, 'fast', false)).toBeNull();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-outcome').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('train-outcome').getAttribute('data-activated')).toBe('true');
    // A classify job was started by the activation, not by a button.
    await expect.poll(async () => (await s.core.api.listJobs(10)).filter((j) => j.kind === 'classify').length, { timeout: 10_000 }).toBe(1);
    const job = (await s.core.api.listJobs(10)).find((j) => j.kind === 'classify')!;
    const done = await s.core.jobs.wait(job.id);
    expect(done.state).toBe('done');
    const result = done.result as ClassifyResult;
    expect(result.modelVersion).toBe(1);
    expect(result.classified).toBeGreaterThanOrEqual(UNLABELLED);
    for (const id of unlabelledIds) {
      const row = s.core.db.prepare(`SELECT source_ref FROM labels WHERE image_id = ? AND source = 'student' ORDER BY id DESC LIMIT 1`).get(id) as
        { source_ref: string } | undefined;
      expect(row, `student label of image ${id}`).toBeDefined();
    }
  });

  it("the active-learning queue shows the student's view of each unlabelled image", async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-queue').selectOption('active');
    await page.getByTestId('review-student').waitFor({ timeout: 10_000 });
    const q = await s.core.api.getReviewQueue({ queue: 'active', limit: 50 });
    const mine = q.items.filter((i) => unlabelledIds.includes(i.image.id));
    expect(mine).toHaveLength(UNLABELLED);
    for (const i of mine) {
      expect(i.student, `image ${i.image.id}`).not.toBeNull();
      expect(i.reason ?? '').not.toMatch(/no student prediction|no prediction yet/);
    }
  });
});

describe.skipIf(!hasSharedData)('training status that can be trusted', () => {
  let s: UxSession;
  let page: Page;

  beforeAll(async () => {
    s = await startUxSession({});
    const labelled = join(s.dir, 'labelled');
    for (const c of CLASSES) {
      mkdirSync(join(labelled, c), { recursive: true });
      for (const f of readdirSync(join(sharedData, 'uhcs', c))
        .sort()
        .slice(0, PER_CLASS))
        copyFileSync(join(sharedData, 'uhcs', c, f), join(labelled, c, f));
    }
    await s.core.importNow({ paths: [labelled], labelsFromFolders: true });
    page = s.page;
  });

  afterAll(async () => {
    await s?.close();
  });

  it('stores measured phase rates and estimates the next run from them', async () => {
    const job = await s.core.api.startTraining({ preset: 'fast' });
    expect((await s.core.jobs.wait(job.id)).state).toBe('done');
    const rates = readRates(s.core.db, 'fast', false)!;
    expect(rates.runs).toBe(1);
    expect(rates.images).toBe(24);
    for (const ph of ['reading', 'features', 'head', 'final'] as const) expect(rates.perImage[ph], ph).toBeGreaterThan(0);
    const plan = await s.core.api.getTrainingPlan({ preset: 'fast' });
    expect(plan.estimatedSeconds).toBe(estimateFromRates(rates, 24));
    expect(plan.reason).toMatch(/from 1 measured run on this machine/);
    await page.getByTestId('nav-train').click();
    await expect.poll(() => page.getByTestId('train-plan').innerText()).toMatch(/measured run on this machine/);
  });

  it("never reports an ETA past the run's own limit", async () => {
    const limitS = 6;
    const job = await s.core.api.startTraining({ preset: 'fast', minutes: limitS / 60 });
    const samples: { eta: number | null; elapsed: number }[] = [];
    while ((await s.core.api.getJob(job.id)).state === 'running' || (await s.core.api.getJob(job.id)).state === 'queued') {
      const p = await s.core.api.getTrainingProgress(job.id);
      if (p.phase) samples.push({ eta: p.etaS, elapsed: p.elapsedS });
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(samples.length).toBeGreaterThan(3);
    for (const x of samples) if (x.eta !== null) expect(x.eta, JSON.stringify(x)).toBeLessThanOrEqual(Math.max(0, limitS - x.elapsed) + 1e-6);
    // A run its limit cut short does not count as a measure of this machine's speed (one that finished inside it does).
    const took = (await s.core.api.getTrainingProgress(job.id)).elapsedS;
    expect(readRates(s.core.db, 'fast', false)!.runs).toBe(took >= limitS ? 1 : 2);
  });

  it('refuses a quick update without new reviewed data, in words, and adds no version', async () => {
    const active = (await s.core.api.listModelVersions()).find((v) => v.active)!;
    const before = (await s.core.api.listModelVersions()).length;
    await page.reload();
    await page.getByTestId('train-quick').check();
    await expect.poll(() => page.getByTestId('train-blocked').innerText()).toMatch(new RegExp(`Nothing new since v${active.id}: the same 24 reviewed images`));
    // Calm, not an error: it is a state with a next step.
    expect(await page.getByTestId('train-blocked').getAttribute('class')).not.toMatch(/error/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await expect(s.core.api.startTraining({ quick: true })).rejects.toThrow(/Nothing new/);
    expect((await s.core.api.listModelVersions()).length).toBe(before);
    // One more reviewed image (a decision after the version): a quick update is possible again.
    const img = (await s.core.api.listImages({ offset: 0, limit: 1 })).items[0];
    await s.core.api.addAnnotation({ imageId: img.id, kind: 'caption', answer: 'A ferrite network along prior grain boundaries.', reviewer: 'mei' });
    expect((await s.core.api.getTrainingPlan({ quick: true })).blocked).toBeNull();
    await page.getByTestId('train-quick').uncheck();
  });

  it('rolls back only after a confirmation, and the page then tells one story', async () => {
    // A version trained from this page, made active.
    await expect.poll(() => page.getByTestId('train-start').isDisabled()).toBe(false);
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-outcome').waitFor({ timeout: 120_000 });
    const newest = Number(await page.getByTestId('train-outcome').getAttribute('data-version'));
    if ((await page.getByTestId('train-outcome').getAttribute('data-activated')) !== 'true') await page.getByTestId('train-activate-anyway').click();
    await expect.poll(() => page.locator(`[data-testid="version-row"][data-version="${newest}"]`).getAttribute('data-active')).toBe('true');
    // Wait for the automatic classification of that activation, so the rollback below is the only change.
    await expect
      .poll(async () => (await s.core.api.listJobs(20)).filter((j) => j.kind === 'classify' && (j.state === 'running' || j.state === 'queued')).length, {
        timeout: 60_000,
      })
      .toBe(0);
    const v1 = page.locator('[data-testid="version-row"][data-version="1"]');
    await v1.getByTestId('version-activate').click();
    await page.getByTestId('rollback-dialog').getByRole('button', { name: 'Cancel' }).click();
    expect((await s.core.api.listModelVersions()).find((v) => v.active)?.id).toBe(newest);
    await v1.getByTestId('version-activate').click();
    expect(await page.getByTestId('rollback-dialog').innerText()).toMatch(new RegExp(`v${newest} stays in the table`));
    await page.getByTestId('rollback-confirm').click();
    await expect.poll(() => page.getByTestId('train-notice').innerText()).toMatch(new RegExp(`v1 is active now \\(was v${newest}\\)`));
    await expect.poll(() => v1.getAttribute('data-active')).toBe('true');
    // One truth: the outcome no longer claims the rolled-back version is active; v1 is the selected row and the one offered for export.
    const outcome = await page.getByTestId('train-outcome').innerText();
    expect(outcome).not.toMatch(/It is active now/);
    expect(outcome).toMatch(/v1 is active now/);
    expect(await v1.getAttribute('class')).toMatch(/selected/);
    expect(await page.locator('[data-testid="version-row"].selected').count()).toBe(1);
    expect(await page.getByTestId('model-export-open').innerText()).toMatch(/^Export v1/);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.screenshot({ path: join(artifacts, 'ux-train-1024.png'), fullPage: true });
  });
});
