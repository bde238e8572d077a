// The foundation's end-to-end path in a real browser: import real micrographs through the UI, see the grid,
// open an SEM image and read its calibration and scale bar.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');
const artifacts = join(repoRoot, 'test-results');

describe.skipIf(!hasSharedData)('library in browser mode', () => {
  let core: CoreInternals;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir();
    cleanup = t.cleanup;
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

  async function importFolder(path: string, labels: boolean): Promise<string> {
    await page.getByTestId('import-path-input').fill(path);
    const box = page.getByTestId('import-labels-checkbox');
    if ((await box.isChecked()) !== labels) await box.click();
    await page.getByTestId('import-start').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ state: 'visible', timeout: 90_000 });
    const text = (await report.innerText()).replace(/\s+/g, ' ');
    return text;
  }

  it('imports real folders through the UI and shows thumbnails', async () => {
    const sem = await importFolder(join(sharedData, 'sem-tiff', 'sem'), false);
    expect(sem).toMatch(/imported 10\b/i);
    await page
      .getByTestId('import-report')
      .getByRole('button', { name: /dismiss|close/i })
      .first()
      .click();
    const nffa = await importFolder(join(sharedData, 'nffa'), true);
    expect(nffa).toMatch(/imported 9\b/i);
    await expect.poll(async () => page.getByTestId('image-count').innerText(), { timeout: 20_000 }).toMatch(/19/);
    const thumbs = page.getByTestId('thumb');
    await expect.poll(() => thumbs.count(), { timeout: 20_000 }).toBeGreaterThan(5);
    // Thumbnails really decode (not broken images).
    await expect
      .poll(
        () => page.evaluate(() => [...document.querySelectorAll('[data-testid="thumb"] img')].filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(5);
    mkdirSync(artifacts, { recursive: true });
    await page
      .getByTestId('import-report')
      .getByRole('button', { name: /dismiss|close/i })
      .first()
      .click()
      .catch(() => undefined);
    await page.screenshot({ path: join(artifacts, 'library.png') });
  });

  it('filters by folder label', async () => {
    await page
      .getByTestId('filter-label')
      .selectOption({ label: /Nanowires/ as unknown as string })
      .catch(async () => {
        const options = await page.getByTestId('filter-label').locator('option').allInnerTexts();
        const wanted = options.find((o) => o.includes('Nanowires'));
        if (!wanted) throw new Error(`no Nanowires option in ${options.join(', ')}`);
        await page.getByTestId('filter-label').selectOption({ label: wanted });
      });
    await expect.poll(async () => page.getByTestId('image-count').innerText(), { timeout: 10_000 }).toMatch(/\b[1-8]\b/);
    await page.getByTestId('filter-label').selectOption({ index: 0 });
    await expect.poll(async () => page.getByTestId('image-count').innerText(), { timeout: 10_000 }).toMatch(/19/);
  });

  it('opens an SEM image with its pixel size and a calibrated scale bar', async () => {
    await page.getByTestId('search-input').fill('1908248');
    const thumb = page.getByTestId('thumb').first();
    await expect.poll(() => page.getByTestId('thumb').count(), { timeout: 10_000 }).toBe(1);
    await thumb.click();
    await page.keyboard.press('Enter');
    await page.getByTestId('image-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.getByTestId('meta-pixel-size').innerText(), { timeout: 10_000 }).toMatch(/7\.344\s*nm\/px/);
    await expect.poll(() => page.getByTestId('meta-magnification').innerText()).toMatch(/50\s*k?X|50[ ,.]?000/i);
    // Read the label and the drawn lengths in one snapshot, once the preview has loaded (the fit zoom, and with
    // it the bar, changes when the preview's size becomes known).
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="image-view"] img.preview') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await page.waitForTimeout(200);
    const drawn = await page.evaluate(() => {
      const img = document.querySelector('[data-testid="image-view"] img.preview') as HTMLImageElement;
      const line = document.querySelector('[data-testid="scale-bar"] .scale-bar-line') as HTMLElement;
      const label = document.querySelector('[data-testid="scale-bar"]') as HTMLElement;
      return {
        text: label.innerText,
        imageCssWidth: img.getBoundingClientRect().width,
        barCssWidth: line.getBoundingClientRect().width,
        lengthNm: Number(label.dataset.lengthNm),
      };
    });
    expect(drawn.text).toMatch(/^\s*\d+(\.\d+)?\s*(nm|µm)\s*$/);
    // The bar's drawn length must equal its label at the calibration: 7.344 nm per image pixel, and the
    // 1024-px-wide image area drawn at whatever width the view gives it.
    const nmPerCssPx = (7.344 * 1024) / drawn.imageCssWidth;
    expect(drawn.barCssWidth * nmPerCssPx).toBeGreaterThan(drawn.lengthNm * 0.98);
    expect(drawn.barCssWidth * nmPerCssPx).toBeLessThan(drawn.lengthNm * 1.02);
    const unit = drawn.text.includes('µm') ? 1000 : 1;
    expect(parseFloat(drawn.text) * unit).toBeCloseTo(drawn.lengthNm, 6);
    await page.screenshot({ path: join(artifacts, 'image-view.png') });
    // Zoom with the wheel, then drag: the image moves with the pointer.
    const transform = () => page.locator('[data-testid="image-view"] img.preview').evaluate((e) => (e as HTMLElement).style.transform);
    const box = (await page.locator('[data-testid="image-view"] .viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await expect.poll(transform).not.toMatch(/scale\(0\.8/);
    const zoomed = await transform();
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 - 80, { steps: 5 });
    await page.mouse.up();
    await expect.poll(transform).not.toBe(zoomed);
    await page.keyboard.press('0');
  });
});

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);
