// Issue 14, point 10: empty states on a new, empty project, at 1400×900 and 1024×700. Every view says what to do
// next; nothing is shown in the error colour for the normal first run; the empty review queue offers no Undo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

/** Visible text drawn in the theme's error colour (--error), as "role: text" lines. */
async function redText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--error)';
    document.body.append(probe);
    const red = getComputedStyle(probe).color;
    probe.remove();
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('main, .main *')) {
      if (!el.offsetParent || !el.textContent?.trim()) continue;
      if ([...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim()) && getComputedStyle(el).color === red)
        out.push(el.textContent.trim().slice(0, 80));
    }
    return out;
  });
}

describe.skipIf(!hasSharedData)('empty states on a new project', () => {
  let s: UxSession;

  beforeAll(async () => {
    s = await startUxSession({});
  });

  afterAll(async () => {
    await s?.close();
  });

  for (const [w, h] of [
    [1400, 900],
    [1024, 700],
  ] as const) {
    it(`says what to do next in every view, calmly, at ${w}×${h}`, async () => {
      const page = await s.openPage(w, h);
      await page.getByTestId('image-count').waitFor();
      expect(await page.locator('.library .empty-state').innerText()).toMatch(/Drop micrographs or folders here/);
      expect(await redText(page)).toEqual([]);
      // Control: the check does see text in the error colour.
      await page.evaluate(() => {
        const p = document.createElement('p');
        p.className = 'error-text';
        p.id = 'control';
        p.textContent = 'control error';
        document.querySelector('.main')!.append(p);
      });
      expect(await redText(page)).toEqual(['control error']);
      await page.evaluate(() => document.getElementById('control')!.remove());

      await page.getByTestId('nav-train').click();
      await page.getByTestId('train-blocked').waitFor();
      expect(await page.getByTestId('train-blocked').innerText()).toMatch(/Import a labelled folder or review teacher proposals first/);
      expect(await page.getByTestId('versions-empty').innerText()).toMatch(/Train makes the first version/);
      expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
      expect(await redText(page)).toEqual([]);

      await page.getByTestId('nav-review').click();
      await page.getByTestId('review-empty-next').waitFor();
      expect(await page.getByTestId('review-empty').innerText()).toMatch(/No proposals to review yet/);
      expect(await page.getByTestId('review-empty-next').innerText()).toMatch(/Teacher view/);
      expect(await page.getByTestId('review-undo').isDisabled()).toBe(true);
      await page.getByTestId('review-queue').selectOption('active');
      await expect.poll(() => page.getByTestId('review-empty-next').innerText()).toMatch(/Train a first version/);
      expect(await redText(page)).toEqual([]);

      await page.getByTestId('nav-teacher').click();
      await page.getByTestId('teacher-runs-empty').waitFor();
      expect(await page.getByTestId('teacher-runs-empty').innerText()).toMatch(/Start teacher run asks the model/);
      expect(await redText(page)).toEqual([]);

      await page.getByTestId('nav-chat').click();
      await expect.poll(() => page.locator('.chat-view > .empty-state').innerText()).toMatch(/Pick an image/);
      expect(await redText(page)).toEqual([]);

      await page.getByTestId('nav-audit').click();
      await expect.poll(() => page.getByTestId('audit-summary').innerText()).toMatch(/Entries appear as soon as/);
      expect(await redText(page)).toEqual([]);
      await page.getByTestId('nav-train').click();
      await page.getByTestId('train-blocked').waitFor();
      await page.screenshot({ path: join(artifacts, `ux-empty-train-${w}.png`) });
      await page.close();
    });
  }
});
