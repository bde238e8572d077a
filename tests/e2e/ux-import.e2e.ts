// Issue 14, point 8: import feedback. Images appear in the grid while an import is still running; finished imports
// make one compact report (earlier ones fold into it) instead of stacked banners; duplicates open to show which
// library file each matched; files dropped into the browser keep their original names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

describe.skipIf(!hasSharedData)('import feedback', () => {
  let s: UxSession;
  let page: Page;

  async function startImport(path: string): Promise<void> {
    await page.getByTestId('import-path-input').fill(path);
    await page.getByTestId('import-start').click();
  }
  const importJobsRunning = async () => (await s.core.api.listJobs(10)).some((j) => j.kind === 'import' && (j.state === 'running' || j.state === 'queued'));

  beforeAll(async () => {
    s = await startUxSession({});
    page = s.page;
    await page.getByTestId('import-path-input').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('shows images in the grid while the import is still running', async () => {
    await startImport(join(sharedData, 'uhcs'));
    let seenWhileRunning = 0;
    for (let k = 0; k < 600; k++) {
      const running = await importJobsRunning();
      const shown = Number((await page.getByTestId('image-count').getAttribute('data-count')) || 0);
      if (!running) break;
      if (shown > 0) seenWhileRunning = Math.max(seenWhileRunning, shown);
      await page.waitForTimeout(100);
    }
    expect(seenWhileRunning).toBeGreaterThan(0);
    expect(seenWhileRunning).toBeLessThan(406);
    await expect.poll(() => page.getByTestId('image-count').getAttribute('data-count'), { timeout: 20_000 }).toBe('406');
  });

  it('makes one compact report; a second import folds the first into it', async () => {
    const report = page.getByTestId('import-report');
    await report.waitFor();
    expect(await report.count()).toBe(1);
    // A copy of a library file under another name: a duplicate that names what it matched.
    const network = join(sharedData, 'uhcs', 'network');
    const original = readdirSync(network).sort()[0];
    copyFileSync(join(network, original), join(s.dir, 'renamed-copy.jpg'));
    await startImport(join(s.dir, 'renamed-copy.jpg'));
    await expect.poll(() => report.innerText(), { timeout: 30_000 }).toMatch(/1 earlier import/);
    expect(await report.count()).toBe(1);
    expect((await report.innerText()).replace(/\s+/g, ' ')).toMatch(/imported 0 · 1 duplicate/);
    // Compact: the grid starts in the upper part of the window, not a third of the way down.
    const box = (await report.boundingBox())!;
    expect(box.height).toBeLessThan(120);
    await page.getByTestId('import-earlier').locator('summary').click();
    expect(await page.getByTestId('import-earlier').innerText()).toMatch(/imported 406/);
    await page.getByTestId('import-duplicates').locator('summary').click();
    const dup = await page.getByTestId('import-duplicate-list').innerText();
    expect(dup).toContain('renamed-copy.jpg');
    expect(dup).toContain(original);
    expect(dup).toMatch(/matches/);
    await page.screenshot({ path: join(artifacts, 'ux-import-report.png') });
    await report.getByRole('button', { name: 'Dismiss report' }).click();
    expect(await report.count()).toBe(0);
  });

  it('keeps the original names of files dropped into the browser', async () => {
    const dir = join(sharedData, 'nffa', 'Nanowires');
    const names = readdirSync(dir).sort();
    const payload = names.map((n) => ({ name: n, b64: readFileSync(join(dir, n)).toString('base64') }));
    await page.evaluate(async (files) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bin], f.name, { type: 'image/jpeg' }));
      }
      const target = document.querySelector('section.library')!;
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, payload);
    await expect.poll(async () => (await s.core.api.getStatus()).imageCount, { timeout: 30_000 }).toBe(406 + names.length);
    const stored = (s.core.db.prepare(`SELECT file_name FROM images WHERE path LIKE '%uploads%' ORDER BY file_name`).all() as { file_name: string }[]).map(
      (r) => r.file_name,
    );
    expect(stored).toEqual(names);
    await page.getByTestId('search-input').fill(names[0].slice(0, 10));
    await expect.poll(() => page.getByTestId('thumb').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  });
});
