// Issue 14, point 1: teacher cost and budget in the app. Against the test double of the remote teacher (a model
// with no list price): a US$ budget is refused with the reason beside the Run button, a run without a price shows
// its cost as "unknown" (not $0.00), a price entered in the Teacher view is stored in the project database and
// then prices the next run (whose success clears the error), and a token budget stops a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { readConfig } from '../../main/core/teacher/settings.js';
import { DEFAULT_PRICES } from '../../main/core/teacher/pricing.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const MODEL = 'local-vlm-7b-e2e';

describe.skipIf(!hasSharedData)('teacher cost and budget in the Teacher view', () => {
  let s: UxSession;
  let page: Page;

  beforeAll(async () => {
    s = await startUxSession({ importPaths: [join(sharedData, 'semi-defects', 'bridges')], double: { model: MODEL } });
    const api = s.core.api;
    await api.updateTeacherConfig({ provider: 'compatible', baseUrl: s.double!.baseUrl, model: MODEL });
    await api.setTeacherApiKey('sk-e2e-cost-0123456789');
    await api.setTeacherEgress(true);
    await api.applyTaxonomySet('semi-defects');
    page = s.page;
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-view').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  const row = (id: number) => page.locator(`[data-testid="teacher-run-row"][data-run-id="${id}"]`);
  async function newestRunId(): Promise<number> {
    const runs = await s.core.api.listTeacherRuns(1);
    return runs[0]?.id ?? 0;
  }
  async function startAndWait(limit: string, budgetUsd: string, budgetTokens: string): Promise<number> {
    const before = await newestRunId();
    await page.getByTestId('teacher-run-limit').fill(limit);
    await page.getByTestId('teacher-run-budget').fill(budgetUsd);
    await page.getByTestId('teacher-run-budget-tokens').fill(budgetTokens);
    await page.getByTestId('teacher-run-start').click();
    await expect.poll(newestRunId, { timeout: 20_000 }).toBeGreaterThan(before);
    const id = await newestRunId();
    await expect.poll(() => row(id).getAttribute('data-state'), { timeout: 60_000 }).not.toBe('running');
    return id;
  }

  it('says the model has no price, and refuses a US$ budget beside the Run button', async () => {
    await expect.poll(() => page.getByTestId('teacher-price-current').innerText()).toMatch(new RegExp(`No price for ${MODEL}`));
    await page.getByTestId('teacher-run-limit').fill('3');
    await page.getByTestId('teacher-run-budget').fill('5');
    await page.getByTestId('teacher-run-start').click();
    const err = page.getByTestId('teacher-error-run');
    await expect.poll(() => err.innerText(), { timeout: 20_000 }).toMatch(/cost budget needs a price/);
    // Beside the action: just under the Run button, not at the top of the page.
    const btn = (await page.getByTestId('teacher-run-start').boundingBox())!;
    const box = (await err.boundingBox())!;
    expect(box.y - (btn.y + btn.height)).toBeGreaterThanOrEqual(0);
    expect(box.y - (btn.y + btn.height)).toBeLessThan(60);
    expect(await page.locator('.banner-error').count()).toBe(0);
    expect(await newestRunId()).toBe(0);
  });

  it('shows the cost of an unpriced run as "unknown", not $0.00, and the success clears the error', async () => {
    const id = await startAndWait('3', '', '');
    expect(await row(id).getAttribute('data-state')).toBe('done');
    const summary = await s.core.api.getTeacherRun(id);
    expect(summary.promptTokens + summary.completionTokens).toBeGreaterThan(0);
    expect(summary.costKnown).toBe(false);
    expect(await row(id).getByTestId('teacher-run-cost').innerText()).toBe('unknown');
    expect(await page.getByTestId('teacher-error-run').count()).toBe(0);
  });

  it('stores a price typed in the Teacher view, and the next run is priced and may use a US$ budget', async () => {
    const priceRow = page.locator(`[data-testid="teacher-price-row"][data-model="${MODEL}"]`);
    await priceRow.getByLabel(`Input price of ${MODEL}`).fill('0.5');
    await priceRow.getByLabel(`Output price of ${MODEL}`).fill('1.5');
    await page.getByTestId('teacher-prices-save').click();
    await expect.poll(() => page.getByTestId('teacher-price-current').innerText()).toMatch(/costs \$0\.5 \/ \$1\.5 per 1M/);
    // In the project database (the settings table), beside the untouched defaults.
    const stored = readConfig(s.core.db).prices;
    expect(stored[MODEL]).toEqual({ inputPerMTok: 0.5, outputPerMTok: 1.5 });
    expect(stored['gpt-4o']).toEqual(DEFAULT_PRICES['gpt-4o']);
    const id = await startAndWait('3', '5', '');
    expect(await row(id).getAttribute('data-state')).toBe('done');
    const summary = await s.core.api.getTeacherRun(id);
    const expected = (summary.promptTokens * 0.5 + summary.completionTokens * 1.5) / 1e6;
    expect(summary.costKnown).toBe(true);
    expect(Math.abs(summary.costUsd - expected)).toBeLessThanOrEqual(1e-6); // rounded to 6 decimals
    expect(await row(id).getByTestId('teacher-run-cost').innerText()).toMatch(/^\$\d/);
    // The older, unpriced run is still unknown: a later price does not pretend to know what was paid.
    expect(
      await row(id - 1)
        .getByTestId('teacher-run-cost')
        .innerText(),
    ).toBe('unknown');
  });

  it('refuses a malformed price beside the price table', async () => {
    const priceRow = page.locator(`[data-testid="teacher-price-row"][data-model="${MODEL}"]`);
    await priceRow.getByLabel(`Input price of ${MODEL}`).fill('cheap');
    await page.getByTestId('teacher-prices-save').click();
    await expect.poll(() => page.getByTestId('teacher-error-prices').innerText()).toMatch(/non-negative numbers/);
    expect(readConfig(s.core.db).prices[MODEL]).toEqual({ inputPerMTok: 0.5, outputPerMTok: 1.5 });
    await priceRow.getByLabel(`Input price of ${MODEL}`).fill('0.5');
    await page.getByTestId('teacher-prices-save').click();
    await expect.poll(() => page.getByTestId('teacher-error-prices').count()).toBe(0);
  });

  it('stops a run at its token budget', async () => {
    const id = await startAndWait('20', '', '8000');
    expect(await row(id).getAttribute('data-state')).toBe('budget');
    const summary = await s.core.api.getTeacherRun(id);
    expect(summary.budgetTokens).toBe(8000);
    expect(summary.promptTokens + summary.completionTokens).toBeLessThanOrEqual(8000);
    expect(summary.valid).toBeGreaterThan(0);
    expect(summary.valid).toBeLessThan(20);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByTestId('teacher-run-start').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'ux-teacher-cost-1024.png'), fullPage: true });
  });
});
