// Issue 12, point 6 in a real browser: an import of a folder with hidden files, a non-image and a good image shows
// "N skipped" in its report, and the expandable list gives each skipped path with why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { repoRoot, tempDir } from '../support/paths.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');

describe('import report lists skipped files', () => {
  let core: CoreInternals;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;
  let folder: string;

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir();
    cleanup = t.cleanup;
    folder = join(t.dir, 'batch');
    mkdirSync(join(folder, '.cache'), { recursive: true });
    const px = Buffer.alloc(64 * 48, 90);
    await sharp(px, { raw: { width: 64, height: 48, channels: 1 } })
      .png()
      .toFile(join(folder, 'a.png'));
    writeFileSync(join(folder, '.DS_Store'), 'x');
    writeFileSync(join(folder, 'acquisition.txt'), 'operator notes');
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser' });
    server = await startServer({ core, rendererDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.openUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
    cleanup?.();
  });

  it('shows the count and, expanded, each path with its reason', async () => {
    await page.getByTestId('import-path-input').fill(folder);
    await page.getByTestId('import-start').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ state: 'visible', timeout: 60_000 });
    expect((await report.innerText()).replace(/\s+/g, ' ')).toMatch(/imported 1 .* 3 skipped/);
    const skipped = page.getByTestId('import-skipped');
    await skipped.locator('summary').click();
    const text = (await skipped.innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/Skipped \(3\)/i);
    expect(text).toMatch(/\.cache.*hidden folder \(not walked\)/);
    expect(text).toMatch(/\.DS_Store.*hidden file/);
    expect(text).toMatch(/acquisition\.txt.*not an image file \(extension \.txt\)/);
  });
});
