// Issue 14, point 2: the audit log in the app. Switching egress on asks for confirmation and a name, and the
// audit log records that person (not "browser"); the Audit view filters by who, what and when, shows teacher
// requests with their tokens and cost ("unknown" where the model had no price), and exports the selection as CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

const LEAD = 'Dr. Ada Lead';

/** Minimal CSV reader for the export (quoted cells, doubled quotes, CRLF rows). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(cell), (cell = ''));
    else if (ch === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''));
    else if (ch !== '\r') cell += ch;
  }
  return rows;
}

describe.skipIf(!hasSharedData)('audit view and egress confirmation', () => {
  let s: UxSession;
  let page: Page;

  beforeAll(async () => {
    s = await startUxSession({ importPaths: [join(sharedData, 'semi-defects', 'scratches')], double: { model: 'unpriced-e2e' } });
    const api = s.core.api;
    // One request per image here; the run's text-only paraphrase request and its audit entry are tested in
    // tests/integration/teacher/paraphrase.test.ts.
    await api.updateTeacherConfig({ provider: 'compatible', baseUrl: s.double!.baseUrl, model: 'unpriced-e2e', paraphraseCount: 0 });
    await api.setTeacherApiKey('sk-e2e-audit-0123456789');
    await api.applyTaxonomySet('semi-defects');
    page = s.page;
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-view').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('asks for confirmation and a name before egress goes on, and records that name', async () => {
    await page.getByTestId('teacher-egress-toggle').click();
    const dialog = page.getByTestId('teacher-egress-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/127\.0\.0\.1/);
    await page.getByTestId('teacher-egress-person').fill('');
    expect(await page.getByTestId('teacher-egress-confirm').isDisabled()).toBe(true);
    // Cancel leaves it off, and nothing is recorded.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await s.core.api.getTeacherSettings()).egress.enabled).toBe(false);
    await page.getByTestId('teacher-egress-toggle').click();
    await page.getByTestId('teacher-egress-person').fill(LEAD);
    await page.getByTestId('teacher-egress-confirm').click();
    await expect.poll(() => page.getByTestId('teacher-egress').innerText()).toMatch(new RegExp(`by ${LEAD}`));
    const rows = s.core.db.prepare(`SELECT actor, details_json FROM audit_log WHERE action = 'teacher.egress.on'`).all() as {
      actor: string;
      details_json: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toBe(LEAD);
    expect(JSON.parse(rows[0].details_json)).toEqual({ via: 'browser' });
  });

  it('lists every request with its tokens and cost, unknown where the model had no price', async () => {
    const api = s.core.api;
    const job1 = await api.startTeacherRun({ limit: 2 });
    await s.core.jobs.wait(job1.id);
    await api.updateTeacherConfig({ model: 'gpt-4o' });
    const job2 = await api.startTeacherRun({ limit: 3 });
    await s.core.jobs.wait(job2.id);
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-view').waitFor();
    await page.getByTestId('audit-kind').selectOption('requests');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(5);
    const costs = await page.getByTestId('audit-cost').allInnerTexts();
    expect(costs.filter((c) => c === 'unknown')).toHaveLength(2);
    expect(costs.filter((c) => /^\$\d/.test(c))).toHaveLength(3);
    const summary = await page.getByTestId('audit-summary').innerText();
    expect(summary).toMatch(/5 teacher requests/);
    expect(summary).toMatch(/2 requests whose model had no price/);
    const known = (await api.listTeacherRuns(5)).filter((r) => r.costKnown).reduce((a, r) => a + r.costUsd, 0);
    expect(known).toBeGreaterThan(0);
    expect(summary).toContain(known < 0.01 ? `$${known.toFixed(4)}` : `$${known.toFixed(2)}`);
  });

  it('filters by who, what, when and by details', async () => {
    await page.getByTestId('audit-kind').selectOption('egress');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    expect(await page.getByTestId('audit-row').first().getAttribute('data-actor')).toBe(LEAD);
    await page.getByTestId('audit-kind').selectOption('all');
    await page.getByTestId('audit-actor').selectOption(LEAD);
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    await page.getByTestId('audit-actor').selectOption('');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThan(5);
    // When: tomorrow onwards holds nothing; today holds everything.
    const day = (offset: number) => {
      const d = new Date();
      d.setDate(d.getDate() + offset);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    await page.getByTestId('audit-from').fill(day(1));
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(0);
    expect(await page.getByTestId('audit-summary').innerText()).toMatch(/No entries match/);
    await page.getByTestId('audit-from').fill(day(0));
    await page.getByTestId('audit-to').fill(day(0));
    const all = (s.core.db.prepare(`SELECT count(*) AS n FROM audit_log`).get() as { n: number }).n;
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(all);
    // Details: one image's hash finds that image's request only.
    const req = s.core.db.prepare(`SELECT details_json FROM audit_log WHERE action = 'teacher.request' ORDER BY id LIMIT 1`).get() as { details_json: string };
    const sha = (JSON.parse(req.details_json) as { imageSha256: string }).imageSha256;
    const ofImage = (s.core.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE details_json LIKE ?`).get(`%${sha}%`) as { n: number }).n;
    expect(ofImage).toBeGreaterThan(0);
    expect(ofImage).toBeLessThan(5);
    await page.getByTestId('audit-search').fill(sha.slice(0, 16));
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(ofImage);
    const actions = await page.getByTestId('audit-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    expect(new Set(actions)).toEqual(new Set(['teacher.request']));
    await page.getByTestId('audit-search').fill('');
  });

  it('exports the filtered selection as CSV, cost empty where unknown', async () => {
    await page.getByTestId('audit-kind').selectOption('requests');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(5);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
    const path = join(s.dir, 'audit.csv');
    await download.saveAs(path);
    const rows = parseCsv(readFileSync(path, 'utf8'));
    expect(rows[0]).toEqual(['id', 'at', 'actor', 'action', 'prompt_tokens', 'completion_tokens', 'cost_usd', 'cost_known', 'details']);
    const body = rows.slice(1);
    expect(body).toHaveLength(5);
    expect(body.every((r) => r[3] === 'teacher.request' && Number(r[4]) > 0)).toBe(true);
    expect(body.filter((r) => r[7] === 'no' && r[6] === '')).toHaveLength(2);
    expect(body.filter((r) => r[7] === 'yes' && Number(r[6]) > 0)).toHaveLength(3);
  });

  it('fits at 1024×700', async () => {
    const small = await s.openPage(1024, 700);
    await small.getByTestId('nav-audit').click();
    await small.getByTestId('audit-view').waitFor();
    await small.getByTestId('audit-table').waitFor();
    const exp = (await small.getByTestId('audit-export').boundingBox())!;
    expect(exp.x + exp.width).toBeLessThanOrEqual(1024);
    expect(exp.y + exp.height).toBeLessThanOrEqual(700);
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await small.screenshot({ path: join(artifacts, 'ux-audit-1024.png') });
    await small.close();
  });
});
