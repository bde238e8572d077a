// Issue 14, point 3: teacher set-up. Choosing "OpenAI-compatible server" clears OpenAI's URL (a typed address is
// kept); filled fields read as text, not as disabled; the connection test retries its json_schema probe after a
// 429 (as runs do) instead of reporting "unknown"; "Start teacher run" is disabled while a run is going; the runs
// table shows the run's own image count (a run limited to 40 says 40, not the library's 47).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

describe.skipIf(!hasSharedData)('teacher set-up in the Teacher view', () => {
  let s: UxSession;
  let page: Page;
  let jsonProbes = 0;

  beforeAll(async () => {
    s = await startUxSession({
      importPaths: [join(sharedData, 'semi-defects', 'bridges')],
      double: {
        model: 'gpt-4o',
        // The first structured probe meets a rate limit (Retry-After 300 ms); everything else answers.
        behavior: (r) => {
          if (r.purpose !== 'probe') return undefined;
          const last = s.double!.requests[s.double!.requests.length - 1];
          if (last?.responseFormat === 'json_schema' && jsonProbes++ === 0) return { status: 429, retryAfterMs: 300, message: 'rate limited (simulated)' };
          return undefined;
        },
      },
    });
    await s.core.api.setTeacherApiKey('sk-e2e-setup-0123456789');
    await s.core.api.applyTaxonomySet('semi-defects');
    page = s.page;
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-view').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('gives each provider its own address: OpenAI-compatible clears the OpenAI URL, a typed one is kept', async () => {
    const url = page.getByTestId('teacher-base-url');
    expect(await url.inputValue()).toBe('https://api.openai.com/v1');
    await page.getByTestId('teacher-provider').selectOption('compatible');
    expect(await url.inputValue()).toBe('');
    expect(await url.getAttribute('placeholder')).toMatch(/localhost/);
    await page.getByTestId('teacher-provider').selectOption('openai');
    expect(await url.inputValue()).toBe('https://api.openai.com/v1');
    await page.getByTestId('teacher-provider').selectOption('compatible');
    await url.fill(s.double!.baseUrl);
    await page.getByTestId('teacher-provider').selectOption('azure');
    expect(await url.inputValue()).toBe(s.double!.baseUrl);
    await page.getByTestId('teacher-provider').selectOption('compatible');
    await page.getByTestId('teacher-model').fill('gpt-4o');
    await page.getByTestId('teacher-save-config').click();
    await expect.poll(async () => (await s.core.api.getTeacherSettings()).config.baseUrl).toBe(s.double!.baseUrl);
  });

  it('shows filled fields as text, not as disabled', async () => {
    const look = (testId: string) =>
      page.getByTestId(testId).evaluate((el) => {
        const cs = getComputedStyle(el);
        return { color: cs.color, opacity: cs.opacity, body: getComputedStyle(document.body).color, label: getComputedStyle(el.parentElement!).color };
      });
    for (const id of ['teacher-base-url', 'teacher-model', 'teacher-run-limit']) {
      const l = await look(id);
      expect(l.opacity).toBe('1');
      expect(l.color).toBe(l.body);
      expect(l.color).not.toBe(l.label);
    }
  });

  it('retries the json_schema probe after a 429 and reports it supported', async () => {
    await page.getByTestId('teacher-egress-toggle').click();
    await page.getByTestId('teacher-egress-person').fill('Setup Lead');
    await page.getByTestId('teacher-egress-confirm').click();
    await expect.poll(() => page.getByTestId('teacher-egress').innerText()).toMatch(/\bOn\b/);
    await page.getByTestId('teacher-test').click();
    await expect.poll(() => page.getByTestId('teacher-probe').innerText(), { timeout: 30_000 }).toMatch(/json_object: yes/);
    const probe = await page.getByTestId('teacher-probe').innerText();
    expect(probe).toMatch(/json_schema: yes/);
    expect(probe).toMatch(/retrying/);
    const schemaProbes = s.double!.requests.filter((r) => r.purpose === 'probe' && r.responseFormat === 'json_schema');
    expect(schemaProbes.map((r) => r.answered)).toEqual(['429', expect.stringMatching(/^(?!429)/)]);
  });

  it('disables "Start teacher run" while a run is going, and counts the run\'s own images', async () => {
    s.double!.options.latencyMs = 120;
    await page.getByTestId('teacher-run-limit').fill('40');
    await page.getByTestId('teacher-run-start').click();
    await page.getByTestId('teacher-run-going').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('teacher-run-start').isDisabled()).toBe(true);
    const row = page.getByTestId('teacher-run-row').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 90_000 }).toBe('done');
    await expect.poll(() => page.getByTestId('teacher-run-start').isDisabled()).toBe(false);
    expect(await page.getByTestId('teacher-run-going').count()).toBe(0);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[3]).toBe('40');
    expect((await s.core.api.getStatus()).imageCount).toBe(47);
    s.double!.options.latencyMs = 0;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.screenshot({ path: join(artifacts, 'ux-teacher-setup-1024.png'), fullPage: true });
  });
});
