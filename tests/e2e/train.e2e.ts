// Train and chat in browser mode on real micrographs: import a labelled folder (uhcs, folder labels) through the UI,
// press Train, watch progress, see the new version with its metrics, classify, train again, roll back (the first
// version and its predictions come back), then the chat over an image: the student's answer (or its plain
// statement that it cannot answer yet), similar images and "find images of <text>"; the teacher asked from the chat
// (egress on, the test double) answers beside the student. Then the Train view's Cancel (the active version stays),
// calibration in the version detail, a quick update (cached features), and export / import of a version through the UI.
// Screenshots: test-results/train.png, chat.png, train-quick.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { dispatch } from '../../main/core/dispatch.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { startTeacherDouble, type TeacherDouble } from '../support/teacher-double-server.js';
import { launchChromium } from '../support/browser.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const rendererDir = join(repoRoot, 'dist', 'renderer');
const artifacts = join(repoRoot, 'test-results');
const CLASSES = ['network', 'pearlite', 'spheroidite'];
const PER_CLASS = 12;

describe.skipIf(!hasSharedData)('train and chat in browser mode', () => {
  let core: CoreInternals;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;
  let folder: string;
  let tmpDir: string;
  let double: TeacherDouble;

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir();
    cleanup = t.cleanup;
    tmpDir = t.dir;
    double = await startTeacherDouble({ model: 'gpt-4o' });
    // A small labelled ImageFolder tree of real uhcs micrographs (copied to a temp folder, never into the repo).
    folder = join(t.dir, 'uhcs-small');
    for (const c of CLASSES) {
      mkdirSync(join(folder, c), { recursive: true });
      for (const f of readdirSync(join(sharedData, 'uhcs', c))
        .sort()
        .slice(0, PER_CLASS))
        copyFileSync(join(sharedData, 'uhcs', c, f), join(folder, c, f));
    }
    // This test presses "Classify the library" itself; automatic classification after activation is tested in ux-train.e2e.ts.
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser', autoClassify: false });
    server = await startServer({ core, rendererDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.openUrl);
    mkdirSync(artifacts, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await double?.close();
    await core?.close();
    cleanup?.();
  });

  it('imports a labelled folder, trains from the Train view with live progress, and shows the version with metrics', async () => {
    await page.getByTestId('import-path-input').fill(folder);
    const box = page.getByTestId('import-labels-checkbox');
    if (!(await box.isChecked())) await box.click();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-report').waitFor({ state: 'visible', timeout: 60_000 });
    expect((await page.getByTestId('import-report').innerText()).replace(/\s+/g, ' ')).toMatch(new RegExp(`imported ${3 * PER_CLASS}\\b`, 'i'));

    await page
      .getByTestId('import-report')
      .getByRole('button', { name: /dismiss|close/i })
      .first()
      .click()
      .catch(() => undefined);
    // Reviewed question-answer pairs (as an operator writes them with q in the review), so the student learns to answer.
    for (const img of (await core.api.listImages({ offset: 0, limit: 100 })).items) {
      await core.api.addAnnotation({
        imageId: img.id,
        kind: 'qa',
        question: 'what is the microstructure?',
        answer: `${img.label!.className} microstructure`,
        reviewer: 'mei',
      });
    }
    await page.getByTestId('nav-train').click();
    await expect.poll(() => page.getByTestId('train-plan').innerText(), { timeout: 10_000 }).toMatch(/36 reviewed images in 3 classes/);
    expect(await page.getByTestId('train-estimate').innerText()).toMatch(/^about \d+ (s|minutes?) on CPU$/);

    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor({ timeout: 10_000 });
    // Progress while it runs: a phase, the provider; then the outcome with the loss curve drawn.
    await expect.poll(() => page.getByTestId('train-phase').innerText(), { timeout: 20_000 }).not.toBe('');
    await page.getByTestId('train-outcome').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('train-outcome').getAttribute('data-activated')).toBe('true');
    expect(await page.getByTestId('train-outcome').innerText()).toMatch(/Version v1: validation accuracy \d+\.\d%/);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(5);
    expect(await page.getByTestId('loss-chart').locator('path').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('train-provider').innerText()).toBe('cpu');
    expect(await page.getByTestId('train-val-acc').innerText()).toMatch(/\d+\.\d%/);

    // The version with its data snapshot and metrics, confusion matrix as a picture.
    await page.getByTestId('version-detail').waitFor();
    expect(await page.getByTestId('version-row').count()).toBe(1);
    expect(await page.getByTestId('active-badge').count()).toBe(1);
    expect(await page.getByTestId('detail-sources').innerText()).toMatch(/36 human \(folder import\)/);
    expect(await page.getByTestId('confusion-matrix').locator('rect').count()).toBe(9);
    expect(await page.getByTestId('recall-bars').locator('text').count()).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: join(artifacts, 'train.png'), fullPage: false });
  });

  it('classifies the library, trains again, and rolling back restores the first version and its predictions', async () => {
    await page.getByTestId('classify-library').click();
    await expect.poll(() => page.getByTestId('classify-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await page.getByTestId('classify-status').innerText()).toMatch(/v1 classified 36 images/);
    const first = (await core.api.listImages({ offset: 0, limit: 1 })).items[0];
    expect((await core.api.getReviewItem(first.id)).student?.sourceRef).toBe('student v1');
    const a1 = await core.api.askStudent({ imageId: first.id, question: 'what is the microstructure?', history: [] });
    expect(a1).toMatchObject({ supported: true, modelVersion: 1 });

    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-outcome').getAttribute('data-version'), { timeout: 60_000 }).toBe('2');
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(2);
    await page.getByTestId('classify-library').click();
    await expect.poll(() => page.getByTestId('classify-status').innerText(), { timeout: 30_000 }).toMatch(/v2 classified 36 images/);
    expect((await core.api.getReviewItem(first.id)).student?.sourceRef).toBe('student v2');

    // Roll back to v1.
    const v1row = page.locator('[data-testid="version-row"][data-version="1"]');
    await v1row.getByTestId('version-activate').click();
    await page.getByTestId('rollback-confirm').click();
    await expect
      .poll(() => page.getByTestId('train-notice').innerText(), { timeout: 10_000 })
      .toMatch(/v1 is active now \(was v2\)\. Its predictions are shown again on 36 images/);
    await expect.poll(() => v1row.getAttribute('data-active')).toBe('true');
    expect((await core.api.getReviewItem(first.id)).student?.sourceRef).toBe('student v1');
    expect((await core.api.listModelVersions()).find((v) => v.active)?.id).toBe(1);
    // The first version's answers come back with it.
    const again = await core.api.askStudent({ imageId: first.id, question: 'what is the microstructure?', history: [] });
    expect(again).toMatchObject({ supported: true, modelVersion: 1, answer: a1.answer, confidence: a1.confidence });

    // Compare the two on what the stored data allows.
    await page.getByTestId('compare-run').click();
    await page.getByTestId('compare-result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('compare-result').getAttribute('data-basis')).toBe('same-split');
  });

  it('chats over an image: the student answers with its confidence, a correction becomes a reviewed pair, similar images', async () => {
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('chat-view').waitFor({ timeout: 10_000 });
    await page.getByTestId('chat-thumb').first().click();
    await page.getByTestId('chat-image').locator('img').waitFor();
    await expect.poll(() => page.getByTestId('scale-bar').count(), { timeout: 10_000 }).toBe(1);
    const caps = await core.api.getStudentCapabilities();
    expect(caps.answer).toBe(true);
    await page.getByTestId('chat-input').fill('what is the microstructure?');
    await page.getByTestId('chat-send').click();
    const answer = page.getByTestId('chat-answer-student').last();
    await answer.waitFor({ timeout: 20_000 });
    // Grounded (main/core/chat): the class comes from the classifier, shown with the evidence beside it.
    expect(await answer.innerText()).toMatch(/student v1 · confidence \d+%\nThis looks like (network|pearlite|spheroidite): the classifier gives it \d+%/);
    expect(await answer.getByTestId('chat-evidence').getAttribute('data-intent')).toBe('which');
    expect(await answer.getByTestId('chat-prediction').innerText()).toMatch(/^Prediction: (network|pearlite|spheroidite) \d+%/);
    await page.getByTestId('chat-input').fill('What will the weather be like tomorrow?');
    await page.getByTestId('chat-send').click();
    const refused = page.locator('.chat-turn').last().getByTestId('chat-answer-student');
    await refused.getByTestId('chat-refusal-reason').waitFor({ timeout: 20_000 });
    expect(await refused.innerText()).toMatch(/I can't answer that from this image/);
    expect(await refused.getByTestId('chat-ask-teacher-instead').count()).toBe(0); // egress is off here
    // A wrong answer corrected in place becomes a reviewed Q&A pair.
    await answer.getByTestId('chat-correct').click();
    await page.getByTestId('chat-correct-input').fill('network microstructure: ferrite network along prior grain boundaries');
    await page.getByTestId('chat-correct-save').click();
    await page.getByTestId('chat-correction').waitFor({ timeout: 10_000 });
    const imageId = Number(await page.locator('[data-testid="chat-thumb"].active').getAttribute('data-image-id'));
    const item = await core.api.getReviewItem(imageId);
    expect(item.annotations.some((x) => x.answer.startsWith('network microstructure: ferrite network'))).toBe(true);
    await page.getByTestId('find-similar').click();
    await expect.poll(() => page.getByTestId('similar-item').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    await page.screenshot({ path: join(artifacts, 'chat.png'), fullPage: false });
    // Reopened (another view, then back): the saved answers show their evidence and refusal reason again.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('nav-chat').click();
    await page.locator(`[data-testid="chat-thumb"][data-image-id="${imageId}"]`).click();
    const turn = (q: string) => page.locator('.chat-turn').filter({ hasText: q }).last().getByTestId('chat-answer-student');
    await turn('what is the microstructure?').waitFor({ timeout: 10_000 });
    expect(await turn('what is the microstructure?').getByTestId('chat-evidence').getAttribute('data-intent')).toBe('which');
    expect(await turn('what is the microstructure?').getByTestId('chat-prediction').innerText()).toMatch(/^Prediction: (network|pearlite|spheroidite) \d+%/);
    expect(await turn('What will the weather be like tomorrow?').getByTestId('chat-refusal-reason').count()).toBe(1);
    const answers = page.getByTestId('chat-answer-student');
    expect(await page.getByTestId('chat-messages').getByTestId('chat-evidence').count()).toBe(await answers.count());
  });

  it('finds images of a text in the chat: ranked thumbnails with scores', async () => {
    await page.getByTestId('text-search-input').fill('pearlite microstructure');
    await page.getByTestId('text-search-run').click();
    const items = page.getByTestId('text-search-item');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(12);
    const scores = await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
    expect(scores.every(Number.isFinite)).toBe(true);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
    expect(await items.first().innerText()).toMatch(/^#1 · -?\d\.\d{3}/);
    const api = await core.api.findByText('pearlite microstructure', 12);
    expect(await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-image-id'))))).toEqual(api.map((x) => x.image.id));
    // A result opens its chat.
    await items.nth(1).click();
    await expect.poll(() => page.locator('[data-testid="chat-thumb"].active').getAttribute('data-image-id')).toBe(String(api[1].image.id));
  });

  it('asks the teacher too (egress on, test double): both answers side by side', async () => {
    for (const [m, a] of [
      ['setTeacherApiKey', ['sk-e2e-train-0123456789abcdef']],
      ['updateTeacherConfig', [{ provider: 'compatible', baseUrl: double.baseUrl, model: 'gpt-4o' }]],
      ['setTeacherEgress', [true]],
    ] as const)
      expect((await dispatch(core.api, m, a as unknown as unknown[])).ok).toBe(true);
    expect((await dispatch(core.api, 'testTeacherConnection', [])).ok).toBe(true);
    // The chat reads egress when it opens: reopen the view.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('chat-thumb').nth(2).click();
    await page.getByTestId('chat-image').locator('img').waitFor();
    const also = page.getByTestId('chat-also-teacher');
    await expect.poll(() => also.isDisabled(), { timeout: 10_000 }).toBe(false);
    if (!(await also.isChecked())) await also.click();
    const asked = double.requests.length;
    await page.getByTestId('chat-input').fill('how large are the features?');
    await page.getByTestId('chat-send').click();
    const turn = page.locator('.chat-turn').last();
    await turn.getByTestId('chat-answer-teacher').waitFor({ timeout: 30_000 });
    await turn.getByTestId('chat-answer-student').waitFor({ timeout: 30_000 });
    expect(double.requests.length).toBeGreaterThan(asked);
    expect(await turn.getByTestId('chat-question').innerText()).toBe('how large are the features?');
    // Side by side: the two answers share a row.
    const sb = (await turn.getByTestId('chat-answer-student').boundingBox())!;
    const tb = (await turn.getByTestId('chat-answer-teacher').boundingBox())!;
    expect(Math.abs(sb.y - tb.y)).toBeLessThan(4);
    expect(sb.x).not.toBe(tb.x);
    expect((await turn.getByTestId('chat-answer-teacher').innerText()).length).toBeGreaterThan(10);
    // A question the student refuses offers the teacher (egress on): one click asks it.
    await also.click();
    await page.getByTestId('chat-input').fill('Who took this picture?');
    await page.getByTestId('chat-send').click();
    const refusedTurn = page.locator('.chat-turn').last();
    await refusedTurn.getByTestId('chat-refusal-reason').waitFor({ timeout: 20_000 });
    await refusedTurn.getByTestId('chat-ask-teacher-instead').click();
    await refusedTurn.getByTestId('chat-answer-teacher').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'chat-teacher.png'), fullPage: false });
  });

  it("the Train view's Cancel stops a run and the active version is unchanged", async () => {
    const before = (await core.api.listModelVersions()).find((v) => v.active)!.id;
    const count = (await core.api.listModelVersions()).length;
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-start').click();
    await page.getByTestId('train-cancel').click({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('train-progress').getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    expect(await page.getByTestId('train-progress').innerText()).toMatch(/Cancelled\. The active version is unchanged\./);
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(count + 1);
    const versions = await core.api.listModelVersions();
    expect(versions[0].status).toBe('cancelled');
    expect(versions.find((v) => v.active)!.id).toBe(before);
    expect(await page.locator(`[data-testid="version-row"][data-version="${before}"]`).getAttribute('data-active')).toBe('true');
  });

  it("a quick update from the Train view reuses the active version's stem and cached features", async () => {
    const active = (await core.api.listModelVersions()).find((v) => v.active)!.id;
    await page.getByTestId('train-quick').check();
    await expect.poll(() => page.getByTestId('train-plan').innerText()).toMatch(new RegExp(`quick update of v${active}, preset fast`));
    expect(await page.getByTestId('train-plan').innerText()).toMatch(
      new RegExp(`quick update of v${active} \\(its texture stem; features of 36 of 36 images cached\\)`),
    );
    expect(await page.getByTestId('train-estimate').innerText()).toMatch(/^about \d+ s on CPU$/);
    const next = Math.max(...(await core.api.listModelVersions()).map((v) => v.id)) + 1;
    await page.getByTestId('train-start').click();
    await expect.poll(() => page.getByTestId('train-outcome').getAttribute('data-version'), { timeout: 60_000 }).toBe(String(next));
    expect(await page.getByTestId('train-outcome-quick').innerText()).toMatch(/quick update: features computed for 0 images, 36 reused/);
    expect(await page.locator(`[data-testid="version-row"][data-version="${next}"]`).innerText()).toMatch(/fast · quick/);
    expect((await core.api.listModelVersions()).find((v) => v.id === next)).toMatchObject({ mode: 'quick', parentId: active });
    await page.screenshot({ path: join(artifacts, 'train-quick.png'), fullPage: false });
    await page.getByTestId('train-quick').uncheck();
    await expect.poll(() => page.getByTestId('train-plan').innerText()).not.toMatch(/quick update/);
  });

  it('shows calibration in the version detail; exports v1 and imports it back as an inactive version', async () => {
    await page.locator('[data-testid="version-row"][data-version="1"]').click();
    await expect.poll(() => page.getByTestId('version-detail').getAttribute('data-version')).toBe('1');
    expect(await page.getByTestId('calibration-label').innerText()).toMatch(
      /Calibration: ECE \d+\.\d% \(10 equal-width bins of top-class probability\) on 12 validation images — the split-run head/,
    );
    expect(await page.getByTestId('reliability-diagram').getAttribute('data-bins')).toBe('10');
    expect(await page.getByTestId('reliability-bin').count()).toBeGreaterThan(0);
    // The confidence temperature fitted on those 12 images travels with the version and is named beside the diagram.
    const T = (await core.api.getModelVersion(1)).calibration!.temperature!;
    expect(T).toBeGreaterThan(0);
    expect(await page.getByTestId('calibration-temperature').innerText()).toContain(`T = ${T.toFixed(2)}, fitted on these validation images`);

    const out = join(tmpDir, 'exported-v1');
    await page.getByTestId('model-export-open').click();
    await page.getByTestId('model-files-path').fill(out);
    await page.getByTestId('model-files-submit').click();
    await expect.poll(() => page.getByTestId('train-notice').innerText(), { timeout: 20_000 }).toMatch(/v1 exported to .*student\.json.*head\.onnx/);
    expect(readdirSync(out)).toContain('head.onnx');

    const count = await page.getByTestId('version-row').count();
    await page.getByTestId('model-import-open').click();
    await page.getByTestId('model-files-path').fill(out);
    await page.getByTestId('model-files-submit').click();
    await expect.poll(() => page.getByTestId('train-notice').innerText(), { timeout: 30_000 }).toMatch(/Imported as v\d+ .*not active/);
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(count + 1);
    const imported = (await core.api.listModelVersions())[0];
    expect(imported).toMatchObject({ status: 'completed', active: false, parentId: null, preset: 'imported' });
    await expect.poll(() => page.getByTestId('version-detail').getAttribute('data-version')).toBe(String(imported.id));
    expect(await page.getByTestId('detail-split').innerText()).toBe(`imported from ${out}`);
  });
});
