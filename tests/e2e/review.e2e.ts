// A real review session in browser mode, by keyboard only, on real micrographs with proposals from the local test
// double of the remote teacher: accept, reject, edit (class and an answer), undo; then the core restarts on the
// same database file, the history strip comes back from the database, undo still works, and the database holds
// exactly the history of what was pressed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { memoryKeyProvider } from '../../main/core/teacher/keys.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, tempDir } from '../support/paths.js';
import { startTeacherDouble, type TeacherDouble } from '../support/teacher-double-server.js';
import { pickDistinct } from '../integration/teacher/harness.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');
const artifacts = join(repoRoot, 'test-results');
const MODEL = 'double-vision-1';

interface DecisionRow {
  id: number;
  image_id: number;
  action: string;
  reviewer: string;
  proposed_class: string | null;
  final_class: string | null;
  undoes_id: number | null;
  teacher_run_id: number | null;
  template_ref: string | null;
  before_json: string;
  after_json: string;
}

describe.skipIf(!hasSharedData)('review in browser mode, by keyboard', () => {
  let dbPath: string;
  let core: CoreInternals;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let double: TeacherDouble;
  let cleanup: () => void;

  async function open(): Promise<void> {
    server = await startServer({ core, rendererDir });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.openUrl);
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-view').waitFor();
  }

  async function shownId(): Promise<number> {
    await page.waitForFunction(() => !!document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id'));
    return Number(await page.getByTestId('review-stage').getAttribute('data-image-id'));
  }

  /** Presses a key and waits until another image is painted; returns its id. */
  async function pressAndNext(key: string, from: number): Promise<number> {
    await page.keyboard.press(key);
    await page.waitForFunction(
      (prev) => {
        const v = document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id');
        return !!v && Number(v) !== prev;
      },
      from,
      { timeout: 10_000 },
    );
    return shownId();
  }

  async function allSaved(n: number): Promise<void> {
    await expect
      .poll(() => page.locator('[data-testid="review-history-item"][data-state="saved"], [data-testid="review-history-item"][data-state="undone"]').count(), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(n);
    await expect.poll(() => page.locator('[data-testid="review-history-item"][data-state="saving"]').count()).toBe(0);
  }

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir('emma-review-e2e-');
    cleanup = t.cleanup;
    dbPath = join(t.dir, 'emma.sqlite');
    double = await startTeacherDouble({ latencyMs: 0 });
    core = createCore({ dbPath, mode: 'browser', teacherKeyProvider: memoryKeyProvider('sk-emma-e2e-key') });
    const report = await core.importNow({ paths: await pickDistinct('semi-defects', 8) });
    expect(report.failed).toEqual([]);
    await core.api.applyTaxonomySet('semi-defects');
    await core.api.updateTeacherConfig({ provider: 'compatible', baseUrl: double.baseUrl, model: MODEL, requestTimeoutMs: 10_000 });
    await core.api.setTeacherEgress(true);
    const job = await core.api.startTeacherRun({});
    const done = await core.jobs.wait(job.id);
    expect(done.state).toBe('done');
    browser = await launchChromium();
    await open();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
    await double?.close();
    cleanup?.();
  });

  let A: number, B: number, C: number, D: number;
  let editedClass: string;
  let proposedC: string;

  it('reviews by keyboard: accept, reject, edit class and an answer, accept, undo', async () => {
    await page.getByTestId('review-reviewer').fill('mei');
    await page.getByTestId('review-reviewer').press('Enter');
    A = await shownId();
    // The proposal is beside the image, with the calibrated scale bar on the image.
    await expect.poll(() => page.getByTestId('review-proposed-class').innerText()).not.toBe('');
    expect(await page.getByTestId('scale-bar').count()).toBe(1);
    // The help overlay lists every key.
    await page.keyboard.press('?');
    const help = await page.getByTestId('review-help').innerText();
    for (const k of ['a', 'x', 'Space', 'Backspace', '1 – 9', 'e', 'f', '← / →', '?']) expect(help).toContain(k);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('review-help').count()).toBe(0);

    // One key press, one round trip: the decision returns the image's item; labels-only events fetch no status.
    const calls: string[] = [];
    const record = (r: { url(): string }) => {
      const m = /\/api\/call\/([A-Za-z]+)/.exec(r.url());
      if (m) calls.push(m[1]);
    };
    page.on('request', record);
    B = await pressAndNext('a', A);
    await allSaved(1);
    await page.waitForTimeout(1200); // past the library-event throttle, so a status fetch it caused would show
    page.off('request', record);
    expect(calls.filter((c) => c === 'decideReview')).toHaveLength(1);
    expect(
      calls.filter((c) => c === 'getReviewItem' || c === 'getStatus'),
      calls.join(', '),
    ).toEqual([]);
    C = await pressAndNext('x', B);

    // C: another class by number key, then an answer edited inline, then accept.
    proposedC = await page.getByTestId('review-proposed-class').innerText();
    const classes = (await page.getByTestId('review-classes').locator('button').allInnerTexts()).map((t) => t.replace(/^\d\s*/, '').trim());
    const k = classes.findIndex((c) => c !== proposedC);
    editedClass = classes[k];
    // (A digit alone accepts at once; to edit the answers too, the class is picked by type-ahead.)
    await page.keyboard.press('/');
    await page.getByTestId('review-typeahead').fill(editedClass);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('review-picked').innerText()).toContain(editedClass);
    await page.keyboard.press('e');
    await page.getByTestId('review-edit').waitFor();
    await page.keyboard.press('Tab'); // from the caption to the first answer
    await page.getByTestId('review-edit').fill('About 35 nm wide, from the 7 nm/px calibration.');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('review-edit').count()).toBe(0);
    D = await pressAndNext('a', C);
    const E = await pressAndNext('a', D);
    expect(new Set([A, B, C, D, E]).size).toBe(5);
    // Backspace undoes the accept of D and shows D again.
    await page.keyboard.press('Backspace');
    await expect.poll(() => shownId()).toBe(D);
    await allSaved(4);
    await expect.poll(() => page.locator('[data-testid="review-history-item"][data-state="undone"]').count()).toBe(1);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'review.png') });
  });

  it('after a restart on the same database file, history and undo come from the database', async () => {
    await page.close();
    await server.close();
    await core.close();
    core = createCore({ dbPath, mode: 'browser', teacherKeyProvider: memoryKeyProvider('sk-emma-e2e-key') });
    await open();
    await page.getByTestId('review-reviewer').fill('mei');
    await page.getByTestId('review-reviewer').press('Enter');
    await expect.poll(() => page.getByTestId('review-history-item').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const first = await shownId();
    expect([A, B, C]).not.toContain(first);
    // Undo the newest decision in effect: the edit of C.
    await page.keyboard.press('Backspace');
    await expect.poll(() => shownId(), { timeout: 10_000 }).toBe(C);
    await expect.poll(() => page.getByTestId('review-proposed-class').innerText()).toBe(proposedC);
    await expect.poll(() => page.getByTestId('review-decided').count()).toBe(0);
    // A question–answer pair written by hand on C.
    await page.keyboard.press('q');
    await page.getByTestId('review-qa-question').fill('Are there bridges between the lines?');
    await page.keyboard.press('Enter');
    await page.keyboard.type('No, the lines are separated.');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('[data-testid="review-ann-qa"]').allInnerTexts(), { timeout: 10_000 })
      .toContainEqual(expect.stringContaining('No, the lines are separated.'));
  });

  it('the database shows the exact history', async () => {
    const rows = core.db.prepare(`SELECT * FROM review_decisions ORDER BY id`).all() as DecisionRow[];
    expect(rows).toHaveLength(7);
    expect(rows.slice(0, 4).map((r) => [r.image_id, r.action, r.reviewer, r.undoes_id])).toEqual([
      [A, 'accept', 'mei', null],
      [B, 'reject', 'mei', null],
      [C, 'edit', 'mei', null],
      [D, 'accept', 'mei', null],
    ]);
    // Then the two undos, as pressed: D's accept before the restart, C's edit after it.
    expect(rows[4]).toMatchObject({ action: 'undo', image_id: D, undoes_id: rows[3].id, reviewer: 'mei' });
    expect(rows[5]).toMatchObject({ action: 'undo', image_id: C, undoes_id: rows[2].id, reviewer: 'mei' });
    expect(rows[6]).toMatchObject({ action: 'annotate', image_id: C, reviewer: 'mei' });
    expect(JSON.parse(rows[6].after_json)).toEqual([
      expect.objectContaining({
        table: 'annotations',
        status: 'accepted',
        question: 'Are there bridges between the lines?',
        answer: 'No, the lines are separated.',
      }),
    ]);
    for (const r of rows.slice(0, 6)) {
      expect(r.teacher_run_id).toBeGreaterThan(0);
      expect(r.template_ref).toMatch(/@\d+$/);
    }
    expect(rows[2]).toMatchObject({ proposed_class: proposedC, final_class: editedClass });
    const editAfter = JSON.parse(rows[2].after_json) as { table: string; status: string | null; answer?: string; className?: string }[];
    expect(editAfter).toContainEqual(expect.objectContaining({ table: 'labels', status: 'accepted', className: editedClass }));
    expect(editAfter).toContainEqual(
      expect.objectContaining({ table: 'annotations', status: 'accepted', answer: 'About 35 nm wide, from the 7 nm/px calibration.' }),
    );
    expect(JSON.parse(rows[5].after_json)).toEqual(JSON.parse(rows[2].before_json));
    expect(JSON.parse(rows[5].before_json)).toEqual(editAfter);
    // The rows as they stand: A accepted, B rejected, C and D back to proposed; no operator rows left.
    const status = (id: number) =>
      core.db.prepare(`SELECT source, status FROM labels WHERE image_id = ? ORDER BY id`).all(id) as { source: string; status: string }[];
    expect(status(A)).toEqual([{ source: 'teacher', status: 'accepted' }]);
    expect(status(B)).toEqual([{ source: 'teacher', status: 'rejected' }]);
    expect(status(C)).toEqual([{ source: 'teacher', status: 'proposed' }]);
    expect(status(D)).toEqual([{ source: 'teacher', status: 'proposed' }]);
    // The only operator row left is the hand-written pair; C's teacher texts are open proposals again.
    expect(core.db.prepare(`SELECT image_id, status, decision_id FROM annotations WHERE source = 'human'`).all()).toEqual([
      { image_id: C, status: 'accepted', decision_id: rows[6].id },
    ]);
    expect(core.db.prepare(`SELECT DISTINCT status FROM annotations WHERE image_id = ? AND source = 'teacher'`).pluck().all(C)).toEqual(['proposed']);
  });

  it('bulk labels images multi-selected in the library grid (ctrl- and shift-click)', async () => {
    await page.getByTestId('nav-library').click();
    const thumbs = page.getByTestId('thumb');
    await expect.poll(() => thumbs.count(), { timeout: 10_000 }).toBe(8);
    await thumbs.nth(0).click({ modifiers: ['Control'] });
    await thumbs.nth(2).click({ modifiers: ['Shift'] });
    await thumbs.nth(5).click({ modifiers: ['Control'] });
    await expect.poll(() => page.getByTestId('bulk-count').innerText()).toBe('4 selected');
    const ids = (
      await page.locator('[data-testid="thumb"][data-marked="true"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-image-id'))))
    ).sort((a, b) => a - b);
    expect(ids).toHaveLength(4);
    expect(await page.getByTestId('image-view').count()).toBe(0); // modified clicks select, they do not open
    await page.getByTestId('bulk-class').selectOption('scratches');
    await page.getByTestId('bulk-assign').click();
    await expect.poll(() => page.getByTestId('bulk-done').innerText(), { timeout: 10_000 }).toMatch(/4 labelled scratches by mei/);
    const rows = core.db.prepare(`SELECT image_id, reviewer, final_class FROM review_decisions WHERE action = 'assign' ORDER BY image_id`).all() as {
      image_id: number;
      reviewer: string;
      final_class: string;
    }[];
    expect(rows).toEqual(ids.map((id) => ({ image_id: id, reviewer: 'mei', final_class: 'scratches' })));
    // The grid shows the new labels.
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid="thumb"]')
            .evaluateAll(
              (els, want) => els.filter((e) => want.includes(Number(e.getAttribute('data-image-id'))) && e.textContent?.includes('scratches')).length,
              ids,
            ),
        { timeout: 10_000 },
      )
      .toBe(4);
  });

  it('shows agreement and exports the reviewed set from the Review view', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-stats-open').click();
    const table = await page.getByTestId('review-agreement').innerText();
    expect(table).toMatch(/Teacher kept/);
    expect(table).toMatch(/All\s+\d+\/\d+/);
    const out = join(dbPath, '..', 'ui-export.jsonl');
    await page.getByTestId('review-stats').locator('select').selectOption('jsonl');
    await page.getByTestId('review-stats').locator('input[type="text"]').fill(out);
    await page.getByTestId('review-stats').getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => page.getByTestId('review-export-result').innerText(), { timeout: 10_000 }).toMatch(/Export #1: \d+ images/);
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { image_id: number; class: string });
    expect(lines.map((l) => l.image_id)).toContain(A);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('review-stats').count()).toBe(0);
  });
});

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);
