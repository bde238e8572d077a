// Browser drops without paths, in a real Chromium: each file's raw bytes go to POST /api/upload (no base64 JSON),
// then one importUploads call imports them; a file that fails to import leaves nothing in uploads/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { hasSharedData, repoRoot, sharedData, tempDir } from '../support/paths.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');

describe.skipIf(!hasSharedData)('streamed upload of dropped files in browser mode', () => {
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
    await page.getByTestId('image-count').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
    cleanup?.();
  });

  it('imports a dropped micrograph through /api/upload and drops the copy of a file that fails', async () => {
    const calls: { url: string; type: string | undefined }[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') calls.push({ url: new URL(r.url()).pathname, type: r.headers()['content-type'] });
    });
    const tif = readFileSync(join(sharedData, 'sem-tiff', 'sem', '1908248.tif')).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], '1908248.tif', { type: 'image/tiff' }));
      dt.items.add(new File([new Uint8Array(4096).fill(7)], 'broken.tif', { type: 'image/tiff' }));
      const target = document.querySelector('section.library')!;
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, tif);
    await expect.poll(() => page.getByTestId('image-count').getAttribute('data-count'), { timeout: 60_000 }).toBe('1');
    const uploads = calls.filter((c) => c.url === '/api/upload');
    expect(uploads).toHaveLength(2);
    expect(uploads.every((c) => c.type === 'application/octet-stream')).toBe(true);
    expect(calls.some((c) => c.url === '/api/call/importUploads')).toBe(true);
    expect(calls.some((c) => c.url === '/api/call/startUpload')).toBe(false);
    // The failed file's copy is gone; the imported one stays (the library refers to it).
    const dir = join(core.location.dataDir, 'uploads');
    await expect.poll(() => readdirSync(dir).length).toBe(1);
    const [only] = readdirSync(dir);
    expect(readdirSync(join(dir, only))).toEqual(['1908248.tif']);
  });
});
