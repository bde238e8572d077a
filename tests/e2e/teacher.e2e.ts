// The teacher screen in a real browser, against the test double of the remote teacher service on 127.0.0.1:
// egress off refuses, switching it on lets a budgeted run propose labels, and the runs table shows the cost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { hasSharedData, repoRoot, sharedData, tempDir } from '../support/paths.js';
import { startTeacherDouble, type TeacherDouble } from '../support/teacher-double-server.js';

const KEY = 'sk-e2e-never-shown-0123456789abcdef';

describe.skipIf(!hasSharedData)('teacher view in browser mode', () => {
  let core: CoreInternals;
  let server: RunningServer;
  let double: TeacherDouble;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser' });
    await core.importNow({ paths: [join(sharedData, 'semi-defects', 'bridges'), join(sharedData, 'semi-defects', 'scratches')] });
    server = await startServer({ core, rendererDir: join(repoRoot, 'dist', 'renderer') });
    double = await startTeacherDouble({ model: 'gpt-4o' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(server.openUrl);
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-view').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await double?.close();
    await core?.close();
    cleanup?.();
  });

  it('starts with egress off: no run, no connection test, nothing sent', async () => {
    await expect.poll(() => page.getByTestId('teacher-egress').innerText()).toMatch(/nothing leaves this PC/);
    expect(await page.getByTestId('teacher-run-start').isDisabled()).toBe(true);
    expect(double.requests).toHaveLength(0);
  });

  it('configures the endpoint and key, probes it, and never shows the key again', async () => {
    await page.getByTestId('teacher-provider').selectOption('compatible');
    await page.getByTestId('teacher-base-url').fill(double.baseUrl);
    await page.getByTestId('teacher-model').fill('gpt-4o');
    await page.getByTestId('teacher-save-config').click();
    await page.getByTestId('teacher-key-input').fill(KEY);
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect.poll(() => page.getByTestId('teacher-key-status').innerText()).toMatch(/A key is set/);
    await page.getByTestId('teacher-egress-toggle').click();
    await page.getByTestId('teacher-egress-person').fill('E2E Lead');
    await page.getByTestId('teacher-egress-confirm').click();
    await expect.poll(() => page.getByTestId('teacher-egress').innerText()).toMatch(/\bOn\b/);
    await page.getByTestId('teacher-test').click();
    await expect.poll(() => page.getByTestId('teacher-probe').innerText(), { timeout: 20_000 }).toMatch(/vision: yes/);
    const html = await page.content();
    expect(html).not.toContain(KEY);
  });

  it('applies a taxonomy and runs a budgeted batch whose cost shows in the runs table', async () => {
    const sets = await page.getByTestId('teacher-taxonomy-set').locator('option').allInnerTexts();
    const semi = sets.find((s) => /defect/i.test(s));
    expect(semi, `taxonomy sets: ${sets.join(', ')}`).toBeDefined();
    await page.getByTestId('teacher-taxonomy-set').selectOption({ label: semi! });
    await page.getByTestId('teacher-taxonomy-apply').click();
    await page.getByTestId('taxonomy-apply-merge').click();
    await expect.poll(() => page.getByTestId('teacher-taxonomy').innerText()).toMatch(/scratches/i);
    await page.getByTestId('teacher-run-limit').fill('12');
    await page.getByTestId('teacher-run-budget').fill('5');
    await page.getByTestId('teacher-run-start').click();
    const row = page.getByTestId('teacher-run-row').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    const cost = await row.getByTestId('teacher-run-cost').innerText();
    expect(Number(cost.replace(/[$,]/g, ''))).toBeGreaterThan(0);
    const answered = double.requests.filter((r) => r.purpose === 'answer');
    expect(answered.length).toBeGreaterThanOrEqual(12);
    // Proposals, not truth: the library shows them as teacher labels with status proposed.
    const proposed = await core.api.listImages({ offset: 0, limit: 100, source: 'teacher', status: 'proposed' });
    expect(proposed.total).toBe(12);
    // The key typed in the UI is what authorised the requests (it went to the endpoint, and only there).
    expect(answered[0].headers.authorization).toBe(`Bearer ${KEY}`);
    await page.screenshot({ path: join(repoRoot, 'test-results', 'teacher.png'), fullPage: true });
  });
});
