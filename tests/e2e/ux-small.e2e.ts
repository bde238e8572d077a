// Issue 14, point 9: small screens and keys, at 1024×700. The global ? overlay lists the Review, Chat and
// section-switching keys, and [ / ] switch sections; the Train table's "Trained" column is fully visible; in the
// chat, Enter in the Correct box saves (no newline in the answer), the picker reaches the whole library (scroll,
// search), and the empty text stays beside the picker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const CLASSES = ['network', 'pearlite', 'spheroidite'];
const PER_CLASS = 8;

describe.skipIf(!hasSharedData)('1024×700: keys, Train table, chat', () => {
  let s: UxSession;
  let page: Page;

  beforeAll(async () => {
    s = await startUxSession({ viewport: { width: 1024, height: 700 } });
    const labelled = join(s.dir, 'labelled');
    for (const c of CLASSES) {
      mkdirSync(join(labelled, c), { recursive: true });
      for (const f of readdirSync(join(sharedData, 'uhcs', c))
        .sort()
        .slice(0, PER_CLASS))
        copyFileSync(join(sharedData, 'uhcs', c, f), join(labelled, c, f));
    }
    await s.core.importNow({ paths: [labelled], labelsFromFolders: true });
    await s.core.importNow({ paths: [join(sharedData, 'uhcs')] });
    for (const img of (await s.core.api.listImages({ offset: 0, limit: 100, filter: { kind: 'labelled' } })).items) {
      await s.core.api.addAnnotation({
        imageId: img.id,
        kind: 'qa',
        question: 'what is the microstructure?',
        answer: `${img.label!.className} microstructure`,
        reviewer: 'mei',
      });
    }
    const job = await s.core.api.startTraining({ preset: 'fast' });
    expect((await s.core.jobs.wait(job.id)).state).toBe('done');
    page = s.page;
    await page.reload();
    await page.getByTestId('image-count').waitFor();
  }, 240_000);

  afterAll(async () => {
    await s?.close();
  });

  it('lists Review, Chat and section keys in the ? overlay; [ and ] switch sections', async () => {
    await page.keyboard.press('?');
    const help = page.getByTestId('help-overlay');
    await help.waitFor();
    for (const section of ['library', 'image', 'review', 'chat', 'anywhere'])
      expect(await page.getByTestId(`help-section-${section}`).count(), section).toBe(1);
    const text = await help.innerText();
    expect(text).toMatch(/1 – 9/);
    expect(text).toMatch(/Accept with that class/);
    expect(text).toMatch(/\[ \/ \]/);
    const box = (await help.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: join(artifacts, 'ux-help-1024.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => help.count()).toBe(0);
    await page.locator('body').click({ position: { x: 600, y: 20 } });
    await page.keyboard.press(']');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#teacher');
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#audit');
  });

  it('shows the Train table\'s "Trained" column whole', async () => {
    await page.getByTestId('nav-train').click();
    const cell = page.getByTestId('version-trained').first();
    await cell.waitFor();
    const c = (await cell.boundingBox())!;
    await page.screenshot({ path: join(artifacts, 'ux-train-table-1024.png'), fullPage: true });
    const card = (await page.getByTestId('versions-table').locator('xpath=ancestor::section[1]').boundingBox())!;
    expect(c.x + c.width).toBeLessThanOrEqual(card.x + card.width);
    expect(c.x + c.width).toBeLessThanOrEqual(1024);
    expect(await cell.innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('keeps the empty chat text beside the picker, and the picker reaches the whole library', async () => {
    await page.getByTestId('nav-chat').click();
    const empty = page.locator('.chat-view > .empty-state');
    await empty.waitFor();
    const e = (await empty.boundingBox())!;
    const p = (await page.getByTestId('chat-picker').boundingBox())!;
    expect(e.x).toBeGreaterThanOrEqual(p.x + p.width - 1);
    await expect.poll(() => page.getByTestId('chat-thumb').count()).toBe(120);
    await page.getByTestId('chat-thumbs').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => page.getByTestId('chat-thumb').count()).toBe(240);
    // The last image of the library, found by name.
    const last = (await s.core.api.listImages({ offset: 405, limit: 1 })).items[0];
    await page.getByTestId('chat-search').fill(last.fileName.replace(/\.[^.]+$/, ''));
    await expect.poll(() => page.getByTestId('chat-thumb').first().getAttribute('data-image-id')).toBe(String(last.id));
  });

  it('saves a correction on Enter, without a newline in the answer', async () => {
    await page.getByTestId('chat-thumb').first().click();
    const box = page.locator('[data-testid="chat-view"] textarea').first();
    await box.fill('what is the microstructure?');
    await box.press('Enter');
    const answer = page.getByTestId('chat-answer-student').last();
    await answer.waitFor({ timeout: 30_000 });
    await answer.getByTestId('chat-correct').click();
    await page.getByTestId('chat-correct-input').fill('spheroidite: cementite spheres in ferrite');
    await page.getByTestId('chat-correct-input').press('Enter');
    await page.getByTestId('chat-correction').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('chat-correct-input').count()).toBe(0);
    const saved = s.core.db.prepare(`SELECT text FROM chat_messages WHERE role = 'correction' ORDER BY id DESC LIMIT 1`).get() as { text: string };
    expect(saved.text).toBe('spheroidite: cementite spheres in ferrite');
    await page.screenshot({ path: join(artifacts, 'ux-chat-1024.png') });
  });
});
