// Lab-server mode in a real Chromium: the sign-in page appears, a wrong password is refused on the page, an
// operator signs in and sees who they are, a lead-only action (switching egress) is refused by the server and
// changes nothing, and signing out returns to the sign-in page with the session gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { repoRoot, tempDir } from '../support/paths.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');
const PASSWORD = 'operator-password-1';

describe('lab-server mode in Chromium', () => {
  let core: CoreInternals;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, 'data'));
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'lab-server' });
    server = await startServer({ core, rendererDir, lab: { dataRoots: [join(t.dir, 'data')] } });
    await server.lab!.users.add('olga', 'operator', PASSWORD);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
    cleanup?.();
  });

  it('shows the sign-in page and refuses a wrong password there', async () => {
    await page.goto(server.url);
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    await page.getByLabel('User name').fill('olga');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/Wrong user name or password/);
  });

  it('signs an operator in; a lead-only action is refused by the server and changes nothing', async () => {
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByLabel('Signed in').innerText()).toMatch(/olga \(operator\)/);
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-view').waitFor();
    await page.getByTestId('teacher-egress-toggle').click();
    // The confirmation asks for a name; the server takes the signed-in user's instead, and refuses an operator.
    await page.getByTestId('teacher-egress-person').fill('someone else');
    await page.getByTestId('teacher-egress-confirm').click();
    await expect.poll(() => page.locator('body').innerText()).toMatch(/Only a lead may do this/);
    expect((await core.api.getTeacherSettings()).egress.enabled).toBe(false);
    if (await page.getByTestId('teacher-egress-person').isVisible()) await page.keyboard.press('Escape');
  });

  it('signs out: back to the sign-in page, and the old session opens nothing', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/session')).status);
    expect(status).toBe(401);
  });
});
