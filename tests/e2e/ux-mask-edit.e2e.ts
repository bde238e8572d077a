// Issue 13, point 2 (masks from the UI): on the image view an operator edits the particle mask with the keyboard
// and mouse: draws an outline (freehand lasso), undoes it (Ctrl+Z), draws another (a clicked polygon, Enter
// closes), saves (Ctrl+S); the database then holds the mask for that image, sized as the image, data-bar rows 0,
// provenance "drawn in Emma by <reviewer>", the drawn outline one particle and the undone one gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadMask } from '../../main/core/measure/masks.js';
import { labelsFromBytes } from '../../renderer/src/viewer/mask/maskOps.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const SEM = join(sharedData, 'sem-tiff', 'sem', '1908248.tif');

describe.skipIf(!hasSharedData)('image view: mask editing', () => {
  let s: UxSession;
  let page: Page;

  beforeAll(async () => {
    s = await startUxSession({ importPaths: [SEM] });
    page = s.page;
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Screen point of an image pixel position, from where the mask canvas lies on the screen. */
  async function screen(x: number, y: number): Promise<[number, number]> {
    const box = (await page.getByTestId('mask-canvas').boundingBox())!;
    return [box.x + (x / 1024) * box.width, box.y + (y / 768) * box.height];
  }
  const count = async () => Number((await page.getByTestId('mask-count').innerText()).match(/^(\d+) particles/)![1]);
  const dirty = () => page.getByTestId('mask-dirty').getAttribute('data-dirty');
  /**
   * Presses e until the editor opens: the view takes the key only once it knows the image's size (set when the
   * preview has loaded and React has rendered that), so a key pressed in between is ignored, as it would be for a user.
   */
  async function openEditor(): Promise<void> {
    const editor = page.getByTestId('mask-editor');
    // Wait a while after each press: e inside the editor leaves it, so a second press must not follow too soon.
    for (let tries = 0; tries < 10 && !(await editor.count()); tries++) {
      await page.keyboard.press('e');
      await editor.waitFor({ state: 'attached', timeout: 3000 }).catch(() => undefined);
    }
    expect(await editor.count(), 'the mask editor opens on e').toBe(1);
  }

  it('draws, undoes, redraws and saves a mask the database then holds', async () => {
    await page.evaluate(() => window.localStorage.setItem('emma.reviewer', 'Ada'));
    await page.goto(s.server.openUrl);
    await page.getByTestId('thumb').first().waitFor();
    await page.getByTestId('thumb').first().click();
    await page.keyboard.press('Enter');
    await page.getByTestId('image-view').waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="image-view"] img.preview') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0 && img.style.visibility !== 'hidden';
    });
    await openEditor();
    // The editor starts from a measurement of the image (no stored mask yet): on a loaded 2-core machine that can
    // take longer than the default wait (a CI run timed out at 30 s here once).
    await page.getByTestId('mask-canvas').waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('mask-count').innerText(), { timeout: 60_000 }).toMatch(/^\d+ particles/);
    expect(await page.getByTestId('mask-source').innerText()).toMatch(/From the measurement/);
    expect(await dirty()).toBe('false');
    const n0 = await count();
    expect(n0).toBeGreaterThan(20);

    // A freehand lasso around image pixels (600..700, 300..400): one drag.
    const lasso: [number, number][] = [];
    for (let k = 0; k <= 24; k++) {
      const a = (2 * Math.PI * k) / 24;
      lasso.push(await screen(650 + 50 * Math.cos(a), 350 + 50 * Math.sin(a)));
    }
    await page.mouse.move(...lasso[0]);
    await page.mouse.down();
    for (const p of lasso.slice(1)) await page.mouse.move(...p, { steps: 2 });
    await page.mouse.up();
    await expect.poll(dirty).toBe('true');
    expect(await page.getByTestId('mask-message').innerText()).toMatch(/Particle drawn/);

    await page.keyboard.press('Control+z');
    await expect.poll(dirty).toBe('false');
    expect(await count()).toBe(n0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(dirty).toBe('true');
    await page.keyboard.press('Control+z');
    await expect.poll(dirty).toBe('false');

    // Delete (x) the particle under a click, then undo it.
    const id = (s.core.db.prepare(`SELECT id FROM images`).get() as { id: number }).id;
    const m0 = labelsFromBytes((await s.core.api.getEditableMask(id, 'measured')).labels, 1024 * 768);
    // Inside a particle (its 7x7 neighbourhood one label), clear of the editor's panel.
    const inside = (i: number) => {
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) if (m0[i + dy * 1024 + dx] !== m0[i]) return false;
      return m0[i] > 0;
    };
    const target = m0.findIndex((_, i) => i > 200 * 1024 && i % 1024 > 450 && i % 1024 < 1000 && inside(i));
    await page.keyboard.press('x');
    await page.mouse.click(...(await screen((target % 1024) + 0.5, Math.floor(target / 1024) + 0.5)));
    await expect.poll(count).toBe(n0 - 1);
    expect(await page.getByTestId('mask-message').innerText()).toMatch(/Particle deleted/);
    await page.keyboard.press('Control+z');
    await expect.poll(count).toBe(n0);
    expect(await dirty()).toBe('false');
    // Cut (c) across that particle: it splits (neighbours the line crosses may split too); undo.
    const tx = target % 1024;
    const ty = Math.floor(target / 1024);
    await page.keyboard.press('c');
    await page.mouse.move(...(await screen(tx + 0.5, ty - 40)));
    await page.mouse.down();
    await page.mouse.move(...(await screen(tx + 0.5, ty + 40)), { steps: 8 });
    await page.mouse.up();
    await expect.poll(count).toBeGreaterThan(n0);
    await page.keyboard.press('Control+z');
    await expect.poll(count).toBe(n0);
    expect(await dirty()).toBe('false');
    await page.keyboard.press('d');

    // A clicked polygon (a square 300..380 x 300..380 image px, clear of the editor's panel), closed with Enter.
    for (const [x, y] of [
      [300, 300],
      [380, 300],
      [380, 380],
      [300, 380],
    ] as const) {
      const [sx, sy] = await screen(x, y);
      await page.mouse.click(sx, sy);
    }
    await page.keyboard.press('Enter');
    await expect.poll(dirty).toBe('true');
    await page.screenshot({ path: join(artifacts, 'ux-mask-edit.png') });

    await page.keyboard.press('Control+s');
    await expect.poll(() => page.getByTestId('mask-message').innerText(), { timeout: 20_000 }).toMatch(/^Saved: \d+ particles, drawn in Emma by Ada/);
    expect(await dirty()).toBe('false');
    expect(await page.getByTestId('mask-source').innerText()).toMatch(/Stored mask: drawn in Emma by Ada/);

    const stored = loadMask(s.core.db, id)!;
    expect(stored).toMatchObject({ kind: 'drawn', importedBy: 'Ada', width: 1024, height: 768 });
    const bar = (s.core.db.prepare(`SELECT databar_y FROM images WHERE id = ?`).get(id) as { databar_y: number }).databar_y;
    expect(bar).toBeGreaterThan(700);
    expect(stored.labels.subarray(bar * 1024).every((v) => v === 0)).toBe(true);
    // The square is one particle of about its area (screen rounding: a few px along the edges).
    const sq = stored.labels[340 * 1024 + 340];
    expect(sq).toBeGreaterThan(0);
    const area = stored.labels.filter((v) => v === sq).length;
    expect(Math.abs(area - 6400) / 6400).toBeLessThan(0.06);
    // The undone lasso left no trace: there the mask is the measurement's (zero where it is zero).
    const measured = await s.core.api.getEditableMask(id, 'measured');
    const m = labelsFromBytes(measured.labels, 1024 * 768);
    let differ = 0;
    for (let y = 300; y < 400; y++) for (let x = 600; x < 700; x++) if (!m[y * 1024 + x] !== !stored.labels[y * 1024 + x]) differ++;
    expect(differ).toBe(0);

    // Leaving and coming back starts from the stored mask.
    await page.keyboard.press('Escape');
    await page.getByTestId('mask-editor').waitFor({ state: 'detached' });
    await openEditor();
    await expect.poll(() => page.getByTestId('mask-source').innerText(), { timeout: 20_000 }).toMatch(/Stored mask: drawn in Emma by Ada/);
    expect(await count()).toBe(stored.particles);
  });

  it('the next one-click Train learns the segmenter from the drawn mask, and the Models list names it in use', async () => {
    await page.keyboard.press('Escape'); // leave the editor (saved: no question)
    await page.getByTestId('mask-editor').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape'); // back to the library
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-outcome').waitFor({ timeout: 120_000 });
    const row = page.getByTestId('version-row').first();
    await row.getByTestId('segmenter-badge').waitFor();
    expect(await row.innerText()).toMatch(/segmenter only/);
    expect(await row.getByTestId('version-activate').count()).toBe(0);
    expect(await page.getByTestId('segmenter-in-use').innerText()).toMatch(/uses the segmenter of v\d+ \(trained from masks alone/);
  });
});
