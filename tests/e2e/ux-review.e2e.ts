// Issue 14, point 5: review in one key. A digit accepts with that class (recorded as an edit when it differs from
// the proposal) and Backspace undoes it; "N left" moves with each decision, never a step behind or ahead; the file
// name stays visible on every item, calibrated or not; question–answer pairs carry Q / A labels; a teacher size
// answer smaller than one pixel of the image is flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { pickDistinct } from '../integration/teacher/harness.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

describe.skipIf(!hasSharedData)('review in one key', () => {
  let s: UxSession;
  let page: Page;

  const shownId = async () => {
    await page.waitForFunction(() => !!document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id'));
    return Number(await page.getByTestId('review-stage').getAttribute('data-image-id'));
  };
  const left = async () => Number((await page.getByTestId('review-left').innerText()).replace(/[^\d]/g, ''));
  const decisions = () =>
    s.core.db.prepare(`SELECT image_id, action, final_class, undoes_id FROM review_decisions ORDER BY id`).all() as {
      image_id: number;
      action: string;
      final_class: string | null;
      undoes_id: number | null;
    }[];

  beforeAll(async () => {
    const sem = join(sharedData, 'sem-tiff', 'sem');
    const calibrated = readdirSync(sem)
      .filter((f) => f.endsWith('.tif'))
      .slice(0, 2)
      .map((f) => join(sem, f));
    s = await startUxSession({
      importPaths: [...calibrated, ...(await pickDistinct('semi-defects', 4))],
      // An implausible answer: about an eighth of a pixel.
      double: { model: 'gpt-4o', sizeNm: (px) => Number((px * 0.12).toFixed(2)) },
    });
    const api = s.core.api;
    await api.updateTeacherConfig({ provider: 'compatible', baseUrl: s.double!.baseUrl, model: 'gpt-4o' });
    await api.setTeacherApiKey('sk-e2e-review-0123456789');
    await api.setTeacherEgress(true, 'lead');
    await api.applyTaxonomySet('semi-defects');
    const job = await api.startTeacherRun({});
    expect((await s.core.jobs.wait(job.id)).state).toBe('done');
    page = s.page;
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-view').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('shows the file name, Q/A labels and the sub-pixel flag on every item', async () => {
    const seen = new Set<number>();
    let calibratedSeen = 0;
    for (let k = 0; k < 6; k++) {
      const id = await shownId();
      seen.add(id);
      const img = await s.core.api.getImage(id);
      const file = page.getByTestId('review-panel').locator('.review-file');
      await expect.poll(() => file.innerText()).toBe(img.fileName);
      const box = (await file.boundingBox())!;
      expect(box.height, `file name of ${img.fileName}`).toBeGreaterThan(10);
      const qa = page.getByTestId('review-ann-qa');
      const pairs = await qa.count();
      expect(pairs).toBeGreaterThan(0);
      expect(await qa.locator('.qa-tag').allInnerTexts()).toEqual(Array.from({ length: pairs }, () => ['Q', 'A']).flat());
      const flag = page.getByTestId('review-subpixel');
      if (img.pixelSizeNm != null) {
        calibratedSeen++;
        await expect.poll(() => flag.count()).toBe(1);
        expect(await flag.innerText()).toMatch(/smaller than one pixel \([\d.]+ (nm|pm) at [\d.]+ nm\/px\)/);
      } else {
        expect(await flag.count()).toBe(0);
        expect(await page.getByTestId('review-panel').innerText()).toMatch(/no calibration/);
      }
      await page.keyboard.press('ArrowRight');
      if (k < 5)
        await page.waitForFunction((prev) => Number(document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id')) !== prev, id);
    }
    expect(seen.size).toBe(6);
    expect(calibratedSeen).toBe(2);
    for (let k = 0; k < 6; k++) await page.keyboard.press('ArrowLeft');
  });

  it('accepts with a digit in one key, counts it in "left" at once, and Backspace undoes it', async () => {
    const classes = (await page.getByTestId('review-classes').locator('button').allInnerTexts()).map((t) => t.replace(/^\d\s*/, '').trim());
    const before = await left();
    expect(before).toBe(6);
    const first = await shownId();
    const proposed = await page.getByTestId('review-proposed-class').innerText();
    const k = classes.findIndex((c) => c !== proposed);
    await page.keyboard.press(String(k + 1));
    await page.waitForFunction((prev) => Number(document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id')) !== prev, first);
    await expect.poll(left).toBe(before - 1);
    await expect.poll(() => decisions().length).toBe(1);
    expect(decisions()[0]).toMatchObject({ image_id: first, action: 'edit', final_class: classes[k] });
    // The proposal's own digit is a plain accept.
    const second = await shownId();
    const proposed2 = await page.getByTestId('review-proposed-class').innerText();
    await page.keyboard.press(String(classes.indexOf(proposed2) + 1));
    await expect.poll(left).toBe(before - 2);
    await expect.poll(() => decisions().length).toBe(2);
    expect(decisions()[1]).toMatchObject({ image_id: second, action: 'accept', final_class: proposed2 });
    // Stays put once both are stored (not counted twice).
    await expect.poll(() => page.locator('[data-testid="review-history-item"][data-state="saving"]').count()).toBe(0);
    expect(await left()).toBe(before - 2);
    // Undo brings the image back and the count with it.
    await page.keyboard.press('Backspace');
    await expect.poll(shownId).toBe(second);
    await expect.poll(left).toBe(before - 1);
    await expect.poll(() => decisions().length).toBe(3);
    expect(decisions()[2]).toMatchObject({ image_id: second, action: 'undo' });
  });

  it('keeps the whole panel readable at 1024×700', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    const file = page.getByTestId('review-panel').locator('.review-file');
    expect((await file.boundingBox())!.height).toBeGreaterThan(10);
    // The toolbar is one line: every control on the same row, none wrapped inside itself, none past the edge.
    const boxes = await page
      .locator('.review-toolbar > *')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ top: r.top, height: r.height, right: r.right })));
    const bar = (await page.locator('.review-toolbar').boundingBox())!;
    expect(bar.height).toBeLessThan(56);
    for (const b of boxes) {
      expect(b.height).toBeLessThan(40);
      expect(b.right).toBeLessThanOrEqual(1024);
    }
    await page.screenshot({ path: join(artifacts, 'ux-review-1024.png') });
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('loads the queue picked while the first page is still on its way', async () => {
    // A busy machine (training, classification) answers slowly; CI once picked a queue before the first page came
    // back, and the view waited for ever. Hold the first page back here to make that the ordinary case.
    await page.getByTestId('nav-library').click();
    let held = 0;
    await page.route('**/api/call/getReviewQueue', async (route) => {
      if (route.request().postData()?.includes('"proposals"')) {
        held++;
        await new Promise((r) => setTimeout(r, 1500));
      }
      await route.continue();
    });
    try {
      await page.getByTestId('nav-review').click();
      await page.getByTestId('review-queue').selectOption('active');
      expect(await shownId()).toBeGreaterThan(0);
      expect(held).toBe(1);
      expect(await page.getByTestId('review-queue').inputValue()).toBe('active');
    } finally {
      await page.unroute('**/api/call/getReviewQueue');
    }
  });
});
