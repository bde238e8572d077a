// Issue 14, point 7: the image view. Instrument metadata entries stack key over value (no overlap) and can be
// searched; sizes use the unit their magnitude calls for (2615 nm/px reads 2.615 µm/px); brightness, contrast and
// gamma change the screen image only (the served preview and the database stay as they were); a line measures in
// the image's calibration; "set scale" drawn along the data bar of an uncalibrated image stores the pixel size
// with its provenance, and the scale bar and measurements use it at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const ZEISS_1K = join(sharedData, 'sem-tiff', 'vendors', 'test_tiff_Zeiss_SEM_1k.tif');
const SEM = join(sharedData, 'sem-tiff', 'sem', '1908248.tif');
const NANOWIRES = join(sharedData, 'nffa', 'Nanowires');

describe.skipIf(!hasSharedData)('image view: metadata, units, display, measure, set scale', () => {
  let s: UxSession;
  let page: Page;

  async function open(search: string): Promise<void> {
    // A fresh page per image: each test starts from the library as an operator opening a file would.
    await page.goto(s.server.openUrl);
    await page.getByTestId('search-input').waitFor();
    await page.getByTestId('search-input').fill(search);
    await expect.poll(() => page.getByTestId('thumb').count(), { timeout: 10_000 }).toBe(1);
    await page.getByTestId('thumb').first().click();
    await page.keyboard.press('Enter');
    await page.getByTestId('image-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="image-view"] img.preview') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0 && img.style.visibility !== 'hidden';
    });
  }

  /** Drags across the viewport's middle by `dx` screen pixels; returns the screen length. */
  async function drag(dx: number, dy = 0, at = { fx: 0.3, fy: 0.5 }): Promise<number> {
    const box = (await page.locator('[data-testid="image-view"] .viewport').boundingBox())!;
    const x = box.x + box.width * at.fx;
    const y = box.y + box.height * at.fy;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
    await page.mouse.move(x + dx, y + dy, { steps: 4 });
    await page.mouse.up();
    return Math.hypot(dx, dy);
  }

  const zoom = async () => Number((await page.locator('.zoom-readout').innerText()).replace('%', '')) / 100;

  beforeAll(async () => {
    s = await startUxSession({ importPaths: [ZEISS_1K, SEM, NANOWIRES] });
    page = s.page;
    await page
      .getByTestId('library-view')
      .waitFor()
      .catch(() => undefined);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('writes 2615 nm/px as 2.615 µm/px, and lists instrument metadata key over value, searchable', async () => {
    await open('Zeiss_SEM_1k');
    await expect.poll(() => page.getByTestId('meta-pixel-size').innerText()).toMatch(/^2\.615 µm\/px/);
    await page.getByTestId('raw-meta').locator('summary').click();
    const list = page.getByTestId('raw-meta-list');
    const total = await list.locator('dt').count();
    expect(total).toBeGreaterThan(20);
    const overlaps = await list.evaluate((dl) => {
      const dts = [...dl.querySelectorAll('dt')].slice(0, 60);
      return dts.filter((dt) => {
        const dd = dt.nextElementSibling as HTMLElement;
        const a = dt.getBoundingClientRect();
        const b = dd.getBoundingClientRect();
        const horizontal = a.left < b.right && b.left < a.right;
        const vertical = a.top < b.bottom && b.top < a.bottom;
        return (horizontal && vertical) || dt.scrollWidth > dt.clientWidth + 1;
      }).length;
    });
    expect(overlaps).toBe(0);
    await page.getByTestId('raw-meta-search').fill('WD');
    await expect.poll(() => list.locator('dt').count()).toBeLessThan(total);
    const rows = await list.evaluate((dl) =>
      [...dl.querySelectorAll('dt')].map((dt) => `${dt.textContent} ${dt.nextElementSibling?.textContent}`.toLowerCase()),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toContain('wd');
    expect(await page.getByTestId('raw-meta-count').innerText()).toMatch(new RegExp(`^${rows.length} of ${total}$`));
  });

  it('changes brightness, contrast and gamma on the screen only', async () => {
    const preview = page.locator('[data-testid="image-view"] img.preview');
    const served = () =>
      preview.evaluate(async (img) => {
        const buf = new Uint8Array(await (await fetch((img as HTMLImageElement).src)).arrayBuffer());
        let h = 0;
        for (const b of buf) h = (h * 31 + b) >>> 0;
        return `${buf.length}:${h}`;
      });
    const before = await served();
    const row = () => s.core.db.prepare(`SELECT pixel_size_nm, sha256 FROM images WHERE file_name LIKE '%Zeiss_SEM_1k%'`).get();
    const rowBefore = row();
    await page.getByTestId('tool-display').click();
    await page.getByTestId('display-gamma').focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    await page.getByTestId('display-brightness').focus();
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
    const filter = await preview.evaluate((img) => (img as HTMLElement).style.filter);
    expect(filter).toMatch(/brightness\(1\.2\d*\)/);
    expect(filter).toMatch(/url\(/);
    expect(await served()).toBe(before);
    expect(row()).toEqual(rowBefore);
    await page.getByTestId('display-reset').click();
    expect(await preview.evaluate((img) => (img as HTMLElement).style.filter)).toBe('');
    await page.getByTestId('tool-display').click();
  });

  it('measures a line in the image calibration', async () => {
    await open('1908248');
    await expect.poll(() => page.getByTestId('meta-pixel-size').innerText()).toMatch(/^7\.344 nm\/px/);
    await page.keyboard.press('m');
    await page.getByTestId('measure-layer').waitFor();
    const screen = await drag(300);
    const px = Number(await page.getByTestId('measure-length').getAttribute('data-px'));
    expect(px / (screen / (await zoom()))).toBeGreaterThan(0.97);
    expect(px / (screen / (await zoom()))).toBeLessThan(1.03);
    const text = await page.getByTestId('measure-length').innerText();
    const m = /^([\d.]+) (nm|µm)/.exec(text)!;
    const nm = Number(m[1]) * (m[2] === 'µm' ? 1000 : 1);
    expect(Math.abs(nm - px * 7.344) / (px * 7.344)).toBeLessThan(0.001);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('measure-layer').count()).toBe(0);
  });

  it('sets the scale along the data bar of an uncalibrated image, stored with provenance', async () => {
    const file = (s.core.db.prepare(`SELECT file_name FROM images WHERE path LIKE '%Nanowires%' ORDER BY id LIMIT 1`).get() as { file_name: string }).file_name;
    await open(file.slice(0, 12));
    await expect.poll(() => page.getByTestId('meta-pixel-size').innerText()).toMatch(/not calibrated/);
    expect(await page.getByTestId('scale-bar').getAttribute('data-calibrated')).toBe('false');
    const id = s.core.db.prepare(`SELECT id, databar_y FROM images WHERE file_name = ?`).get(file) as { id: number; databar_y: number | null };
    await page.getByTestId('tool-scale').click();
    if (id.databar_y !== null) await page.getByTestId('databar-strip').waitFor();
    const screen = await drag(240, 0, { fx: 0.2, fy: 0.5 });
    const linePx = screen / (await zoom());
    await page.getByTestId('scale-value').fill('2');
    await page.getByTestId('scale-unit').selectOption('µm');
    await page.getByTestId('scale-save').click();
    await expect.poll(() => page.getByTestId('meta-calibration-source').innerText()).toMatch(/set by hand by operator from a 2 µm scale bar/);
    const stored = s.core.db.prepare(`SELECT line_px, length_nm, set_by, previous_nm FROM image_calibrations WHERE image_id = ?`).all(id.id) as {
      line_px: number;
      length_nm: number;
      set_by: string;
      previous_nm: number | null;
    }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ length_nm: 2000, set_by: 'operator', previous_nm: null });
    expect(Math.abs(stored[0].line_px - linePx) / linePx).toBeLessThan(0.03);
    const nmPerPx = (s.core.db.prepare(`SELECT pixel_size_nm FROM images WHERE id = ?`).get(id.id) as { pixel_size_nm: number }).pixel_size_nm;
    expect(nmPerPx).toBeCloseTo(2000 / stored[0].line_px, 9);
    expect(await page.getByTestId('meta-pixel-size').innerText()).toMatch(/nm\/px|µm\/px/);
    await expect.poll(() => page.getByTestId('scale-bar').getAttribute('data-calibrated')).toBe('true');
    const audit = s.core.db.prepare(`SELECT actor, details_json FROM audit_log WHERE action = 'image.calibration'`).all() as {
      actor: string;
      details_json: string;
    }[];
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].details_json)).toMatchObject({ imageId: id.id, lengthNm: 2000, via: 'browser' });
    // The API says where the value comes from.
    expect(await s.core.api.getImageCalibration(id.id)).toMatchObject({ source: 'manual', manual: { by: 'operator', lengthNm: 2000 } });
    await page.screenshot({ path: join(artifacts, 'ux-image-scale.png') });
  });

  it('keeps the tools on screen at 1024×700', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    for (const t of ['tool-measure', 'tool-scale', 'tool-display']) {
      const b = (await page.getByTestId(t).boundingBox())!;
      expect(b.x + b.width, t).toBeLessThanOrEqual(1024);
      expect(b.y, t).toBeLessThan(120);
    }
    await page.screenshot({ path: join(artifacts, 'ux-image-1024.png') });
    await page.setViewportSize({ width: 1400, height: 900 });
  });
});
