// Issue 14, point 5 (last part): after training activates a version, the library's new and unlabelled images are
// classified automatically as a background job, so the active-learning queue has the student's view without
// anyone pressing "Classify the library". Real training (preset fast) on real uhcs micrographs in a temp folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ClassifyResult } from '../../main/core/contract.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { startUxSession, type UxSession } from '../support/ux-session.js';

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
      const row = s.core.db.prepare(`SELECT source_ref FROM labels WHERE image_id = ? AND source = 'student' ORDER BY id DESC LIMIT 1`).get(id) as { source_ref: string } | undefined;
      expect(row, `student label of image ${id}`).toBeDefined();
    }
  });

  it('the active-learning queue shows the student\'s view of each unlabelled image', async () => {
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
