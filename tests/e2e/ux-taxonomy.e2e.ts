// Issue 14, point 4: the taxonomy in the app. On a semiconductor project imported with folder labels: the set
// picker names each set once (no doubled count) and suggests the set that fits (never the NFFA set); classes are
// defined, renamed (labels follow) and added in the Teacher view, each change in the audit log; adding a built-in
// set asks first and never silently drops the project's classes from the teacher. A project with no classes gets
// no suggested set at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { readConfig } from '../../main/core/teacher/settings.js';
import { hasSharedData, sharedData } from '../support/paths.js';
import { artifacts, startUxSession, type UxSession } from '../support/ux-session.js';

describe.skipIf(!hasSharedData)('taxonomy editing in the Teacher view', () => {
  let s: UxSession;
  let page: Page;
  const audit = (action: string) =>
    s.core.db.prepare(`SELECT actor, details_json FROM audit_log WHERE action = ? ORDER BY id`).all(action) as { actor: string; details_json: string }[];
  const row = (name: string) => page.locator(`[data-testid="taxonomy-row"][data-class="${name}"]`);

  beforeAll(async () => {
    s = await startUxSession({ importPaths: [join(sharedData, 'semi-defects')], labelsFromFolders: true });
    page = s.page;
    await page.getByTestId('nav-teacher').click();
    await page.getByTestId('teacher-taxonomy').waitFor();
  });

  afterAll(async () => {
    await s?.close();
  });

  it('names each set once and suggests the one that fits the project', async () => {
    const labels = await page.getByTestId('teacher-taxonomy-set').locator('option').allInnerTexts();
    for (const l of labels) expect(l, l).not.toMatch(/\(\d+\).*\(\d+ classes\)/);
    const chosen = await page.getByTestId('teacher-taxonomy-set').inputValue();
    expect(chosen).toBe('semi-defects');
    expect(labels.find((l) => /Semiconductor/.test(l))).toMatch(/8 already in this project/);
  });

  it('shows folder classes without a definition as such, and defines one (audited)', async () => {
    expect(await row('bridges').getByTestId('taxonomy-desc').innerText()).toMatch(/No definition yet/);
    await row('bridges').getByTestId('taxonomy-edit').click();
    await row('bridges').getByTestId('taxonomy-desc-input').fill('Unwanted conductive link between two lines.');
    await row('bridges').getByTestId('taxonomy-save').click();
    await expect.poll(() => row('bridges').getByTestId('taxonomy-desc').innerText()).toBe('Unwanted conductive link between two lines.');
    expect(s.core.db.prepare(`SELECT description FROM classes WHERE name = 'bridges'`).get()).toEqual({
      description: 'Unwanted conductive link between two lines.',
    });
    const a = audit('taxonomy.class');
    expect(a).toHaveLength(1);
    expect(a[0].actor).toBe('browser');
    expect(JSON.parse(a[0].details_json)).toMatchObject({ name: 'bridges', created: false, previousDescription: '' });
  });

  it('renames a class in place: its labels follow, the rename is audited', async () => {
    const labelsBefore = (
      s.core.db.prepare(`SELECT count(*) AS n FROM labels l JOIN classes c ON c.id = l.class_id WHERE c.name = 'scratches'`).get() as { n: number }
    ).n;
    expect(labelsBefore).toBeGreaterThan(0);
    await row('scratches').getByTestId('taxonomy-edit').click();
    await row('scratches').getByTestId('taxonomy-name-input').fill('surface scratches');
    await row('scratches').getByTestId('taxonomy-save').click();
    await row('surface scratches').waitFor();
    expect(await row('scratches').count()).toBe(0);
    const after = (
      s.core.db.prepare(`SELECT count(*) AS n FROM labels l JOIN classes c ON c.id = l.class_id WHERE c.name = 'surface scratches'`).get() as { n: number }
    ).n;
    expect(after).toBe(labelsBefore);
    expect(audit('taxonomy.rename').map((r) => JSON.parse(r.details_json))).toEqual([{ from: 'scratches', to: 'surface scratches' }]);
    // A name already taken is refused beside the taxonomy, nothing changes.
    await row('surface scratches').getByTestId('taxonomy-edit').click();
    await row('surface scratches').getByTestId('taxonomy-name-input').fill('bridges');
    await row('surface scratches').getByTestId('taxonomy-save').click();
    await expect.poll(() => page.getByTestId('teacher-error-taxonomy').innerText()).toMatch(/already exists/);
    await row('surface scratches').getByRole('button', { name: 'Cancel' }).click();
  });

  it('adds a class with its definition (audited)', async () => {
    await page.getByTestId('taxonomy-add-name').fill('voids');
    await page.getByTestId('taxonomy-add-desc').fill('Empty cavities inside a metal line or via.');
    await page.getByTestId('taxonomy-add').click();
    await expect.poll(() => row('voids').getByTestId('taxonomy-desc').innerText()).toBe('Empty cavities inside a metal line or via.');
    expect(await page.getByTestId('teacher-error-taxonomy').count()).toBe(0);
    expect(audit('taxonomy.class').map((r) => JSON.parse(r.details_json).name)).toEqual(['bridges', 'voids']);
  });

  it('asks before adding a set; "add" keeps every class of the project for the teacher', async () => {
    await page.getByTestId('teacher-taxonomy-set').selectOption('semi-defects');
    await page.getByTestId('teacher-taxonomy-apply').click();
    const dialog = page.getByTestId('taxonomy-apply-dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('taxonomy-apply-dropped').innerText()).toMatch(/surface scratches.*voids|voids.*surface scratches/s);
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(readConfig(s.core.db).classNames).toEqual([]);
    await page.getByTestId('teacher-taxonomy-apply').click();
    await page.getByTestId('taxonomy-apply-merge').click();
    await expect.poll(() => readConfig(s.core.db).classNames.length).toBeGreaterThan(0);
    const names = readConfig(s.core.db).classNames;
    expect(names).toEqual(expect.arrayContaining(['voids', 'surface scratches', 'bridges', 'scratches', 'short']));
    // The definition written in the app survives the set.
    expect(s.core.db.prepare(`SELECT description FROM classes WHERE name = 'bridges'`).get()).toEqual({
      description: 'Unwanted conductive link between two lines.',
    });
    await expect.poll(() => row('voids').getByTestId('taxonomy-uses').isChecked()).toBe(true);
  });

  it('"use only this set" is an explicit choice, and the dropped classes stay in the project', async () => {
    await page.getByTestId('teacher-taxonomy-set').selectOption('nffa-sem');
    await page.getByTestId('teacher-taxonomy-apply').click();
    await page.getByTestId('taxonomy-apply-replace').click();
    await expect.poll(() => readConfig(s.core.db).classNames.includes('voids')).toBe(false);
    expect(await row('voids').count()).toBe(1);
    // The core has it before the view re-renders: wait for the page, not just the database.
    await expect.poll(() => row('voids').getByTestId('taxonomy-uses').isChecked()).toBe(false);
    const applied = audit('teacher.taxonomy.apply').map((r) => JSON.parse(r.details_json));
    expect(applied[1]).toMatchObject({ set: 'nffa-sem', mode: 'replace' });
    expect(applied[1].dropped).toEqual(expect.arrayContaining(['voids', 'bridges']));
    // Ticking a class gives it back to the teacher.
    await row('voids').getByTestId('taxonomy-uses').click(); // controlled: ticks once the core has it
    await expect.poll(() => readConfig(s.core.db).classNames.includes('voids')).toBe(true);
    await expect.poll(() => row('voids').getByTestId('taxonomy-uses').isChecked()).toBe(true);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByTestId('teacher-taxonomy-card').screenshot({ path: join(artifacts, 'ux-taxonomy-1024.png') });
  });
});

describe.skipIf(!hasSharedData)('taxonomy on a project without classes', () => {
  let s: UxSession;
  afterAll(async () => {
    await s?.close();
  });

  it('suggests no built-in set', async () => {
    s = await startUxSession({ importPaths: [join(sharedData, 'nffa', 'Nanowires')] });
    await s.page.getByTestId('nav-teacher').click();
    await s.page.getByTestId('teacher-taxonomy-set').waitFor();
    expect(await s.page.getByTestId('teacher-taxonomy-set').inputValue()).toBe('');
    expect(await s.page.getByTestId('teacher-taxonomy-apply').isDisabled()).toBe(true);
  });
});
