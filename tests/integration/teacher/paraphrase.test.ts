// The run's text-only paraphrase request against the test double over real HTTP: one request per run, no image in
// it, audited, cached by its content, within the budget, invalid answers repaired once then flagged (nothing
// stored); and the paraphrases reach the chat's intent model through the version's intent file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fitIntents } from '../../../main/core/chat/fit.js';
import { libraryParaphrases, saveIntents, type IntentFile } from '../../../main/core/chat/intent-file.js';
import { trainingWordings } from '../../../main/core/chat/augment.js';
import { BUILTIN_TAXONOMIES } from '../../../main/core/teacher/taxonomy.js';
import type { TeacherRunResult } from '../../../main/core/teacher/types.js';
import { hasSharedData, tempDir } from '../../support/paths.js';
import { makeHarness, pickDistinct, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function run(hh: Harness, request = {}): Promise<TeacherRunResult> {
  const job = await hh.jobs.wait((await hh.teacher.startRun(request)).id);
  expect(job.error).toBeNull();
  return job.result as TeacherRunResult;
}

const paraRequests = (hh: Harness) => hh.double.requests.filter((r) => r.purpose === 'paraphrase');
const semi = BUILTIN_TAXONOMIES.find((s) => s.id === 'semi-defects')!.classes;

describe.skipIf(!hasSharedData)('teacher paraphrases', () => {
  it('one text-only request per run, audited and counted in the run; a second run with the same wordings uses the cache', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 3), config: { paraphraseCount: 3 } });
    const r = await run(h);
    expect(r.proposals).toBe(3);
    expect(r.paraphrases).toMatchObject({ status: 'valid', requests: 1 });
    expect(r.paraphrases!.paraphrases).toBeGreaterThan(50);
    const sent = paraRequests(h);
    expect(sent).toHaveLength(1);
    // Text only: no image part, no file name, no image hash in the body.
    expect(sent[0].imageUrls).toEqual([]);
    expect(sent[0].rawBody).not.toMatch(/image_url|data:image/);
    const shas = h.db.prepare(`SELECT sha256, file_name FROM images`).all() as { sha256: string; file_name: string }[];
    for (const s of shas) {
      expect(sent[0].rawBody).not.toContain(s.sha256);
      expect(sent[0].rawBody).not.toContain(s.file_name);
    }
    // The teacher's own questions of this run are among the wordings sent (the request comes after the images).
    expect(sent[0].rawBody).toContain('What does the image show?');
    expect(sent[0].responseFormat).toBe('json_schema');
    // Recorded like every request: its row in the run (so in its cost), and an audit entry saying what was sent.
    const row = h.db
      .prepare(`SELECT run_id, image_id, image_sha256, prompt_tokens, cost_usd FROM teacher_requests WHERE purpose = 'paraphrase'`)
      .get() as Record<string, number | null>;
    expect(row).toMatchObject({ run_id: r.runId, image_id: null, image_sha256: null });
    expect(row.cost_usd).toBeGreaterThan(0);
    expect(r.requests).toBe(4);
    expect(h.teacher.getRun(r.runId).requests).toBe(4);
    const audits = h.teacher.listAudit(100);
    const req = audits.find((a) => a.action === 'teacher.request' && a.details.purpose === 'paraphrase')!;
    expect(req.details).toMatchObject({ runId: r.runId, imageSha256: null, textOnly: true, imagesSent: 0, sent: expect.stringMatching(/no image/) });
    expect(audits.find((a) => a.action === 'teacher.paraphrases')!.details).toMatchObject({ status: 'valid', textOnly: true, imagesSent: 0 });
    // Stored validated, in slot form.
    const stored = libraryParaphrases(h.db);
    expect(stored.length).toBe(r.paraphrases!.paraphrases);
    expect(stored.some((p) => p.intent === 'yesno' && p.text.includes('xclassx'))).toBe(true);
    expect(stored.every((p) => !p.text.includes('{class}'))).toBe(true);

    // Same wordings (nothing new was proposed): not sent again.
    const again = await run(h);
    expect(again.paraphrases).toMatchObject({ status: 'cached', requests: 0, paraphrases: r.paraphrases!.paraphrases });
    expect(paraRequests(h)).toHaveLength(1);
    expect(again.requests).toBe(0);
    // New wordings (a reviewed question the operator wrote) change the request: asked once more.
    const img = h.imageIds[0];
    h.db
      .prepare(
        `INSERT INTO annotations (image_id, kind, qa_kind, question, answer, source, status, created_at, updated_at)
       VALUES (?, 'qa', 'size', 'How far apart are the lines in nm?', 'About 40 nm.', 'human', 'accepted', 'now', 'now')`,
      )
      .run(img);
    const third = await run(h);
    expect(third.paraphrases).toMatchObject({ status: 'valid', requests: 1 });
    expect(paraRequests(h)).toHaveLength(2);
    expect(paraRequests(h)[1].rawBody).toContain('How far apart are the lines in nm?');
  });

  it('paraphraseCount 0 sends nothing', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 1) });
    const r = await run(h);
    expect(r.paraphrases).toBeUndefined();
    expect(paraRequests(h)).toHaveLength(0);
  });

  it('refused when the budget cannot take it: nothing sent, the images still answered', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 2), config: { paraphraseCount: 3, concurrency: 1 } });
    // $1 per 1k tokens: an image costs the double about $1.3; the paraphrase request could cost about $6.
    const r = await run(h, { budgetUsd: 5 });
    expect(r.proposals).toBe(2);
    expect(r.paraphrases).toMatchObject({ status: 'budget', requests: 0, reason: expect.stringMatching(/^not sent: .*cost budget of \$5 has \$[\d.]+ left/) });
    expect(paraRequests(h)).toHaveLength(0);
    expect(h.teacher.listAudit(50).find((a) => a.action === 'teacher.paraphrases')!.details).toMatchObject({ status: 'budget' });
    expect(h.teacher.getRun(r.runId).costUsd).toBeLessThanOrEqual(5);
    // A token budget too.
    const t = await run(h, { budgetTokens: 100 });
    expect(t.paraphrases).toMatchObject({ status: 'budget', reason: expect.stringMatching(/token budget of 100/) });
    expect(paraRequests(h)).toHaveLength(0);
    expect(libraryParaphrases(h.db)).toEqual([]);
  });

  it('invalid JSON is repaired once; invalid again is flagged and nothing is stored; a usable answer keeps only its valid items', async () => {
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 1),
      config: { paraphraseCount: 3 },
      double: {
        behavior: ({ purpose, attempt }) =>
          purpose !== 'paraphrase' ? undefined : attempt === 1 ? 'invalid-json' : attempt <= 3 ? 'schema-violation' : undefined,
      },
    });
    // attempt 1: not JSON, attempt 2 (the repair): digits, empty and unknown ids only: flagged.
    const r = await run(h);
    expect(r.proposals).toBe(1);
    expect(r.paraphrases).toMatchObject({ status: 'invalid', requests: 2, paraphrases: 0 });
    expect(r.paraphrases!.reason).toMatch(/no usable paraphrase .*digits or symbols only.*after one repair; first answer: answer is not JSON/);
    const reqs = paraRequests(h);
    expect(reqs).toHaveLength(2);
    expect(String(reqs[1].body!.messages!.at(-1)!.content)).toMatch(/not usable: answer is not JSON/);
    expect(reqs[1].imageUrls).toEqual([]);
    expect(h.db.prepare(`SELECT status, paraphrases_json, paraphrase_count FROM teacher_paraphrases`).all()).toEqual([
      { status: 'invalid', paraphrases_json: null, paraphrase_count: 0 },
    ]);
    expect(libraryParaphrases(h.db)).toEqual([]);
    const audited = h.teacher.listAudit(50).filter((a) => a.action === 'teacher.request' && a.details.purpose === 'paraphrase');
    expect(audited).toHaveLength(2);
    expect(audited.every((a) => a.details.textOnly === true)).toBe(true);

    // An invalid answer is not a cache entry: the next run asks again (attempt 3: still invalid, repaired by attempt 4).
    // The double's answer then has its usual items; a few bad items of a usable answer are dropped, the rest kept.
    h.double.options.paraphrase = (q, n) => [
      ...Array.from({ length: n }, (_, i) => `${q.question.replace(/\?$/, '')} variant ${'abc'[i]}?`.replace('{class}', i === 0 ? 'bridges' : '{class}')),
      '4242',
      q.question,
    ];
    const next = await run(h);
    expect(next.paraphrases).toMatchObject({ status: 'valid', requests: 2 });
    expect(next.paraphrases!.dropped).toBeGreaterThan(0);
    expect(next.paraphrases!.reason).toMatch(/dropped: digits or symbols only.*dropped: duplicate|dropped: duplicate.*digits or symbols only/);
    const kept = libraryParaphrases(h.db);
    expect(kept.length).toBe(next.paraphrases!.paraphrases);
    expect(kept.every((p) => !/^\d+\??$/.test(p.text))).toBe(true);
    // A slot wording whose paraphrase named a class instead of keeping the slot was dropped.
    expect(kept.filter((p) => p.source.includes('xclassx')).every((p) => p.text.includes('xclassx'))).toBe(true);
    expect(h.db.prepare(`SELECT status FROM teacher_paraphrases`).pluck().all()).toEqual(['valid']);
  });

  it('the paraphrases reach the intent model through the version intent file, and teach wordings the seeds alone miss', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 1), config: { paraphraseCount: 3 } });
    const r = await run(h);
    expect(r.paraphrases?.status).toBe('valid');
    const classes = semi.map((c) => c.name);
    const defs = semi.map((c) => c.description);
    const t = tempDir('emma-intent-');
    try {
      saveIntents(t.dir, h.db, classes);
      const file = JSON.parse(readFileSync(join(t.dir, 'intent.json'), 'utf8')) as IntentFile;
      expect(file.paraphrases).toEqual(libraryParaphrases(h.db));
      // In the training set, labelled with the intent of the wording they paraphrase, in its wording group.
      const words = trainingWordings({ classes, reviewed: file.reviewed, paraphrases: file.paraphrases });
      const taught = words.find((w) => w.text === 'tally the particles')!;
      expect(taught).toMatchObject({ intent: 'measure', group: expect.stringMatching(/^seed:measure:\d+$/) });
      expect(trainingWordings({ classes, reviewed: file.reviewed }).some((w) => /\btally\b/.test(w.text))).toBe(false);

      // Wordings that are not in the training set verbatim (another noun, another tail): the double taught
      // "tally" for count and "give an account of" for describe; the seeds alone refuse or misroute them.
      const seedsOnly = fitIntents(classes, file.reviewed, defs);
      const withTeacher = fitIntents(classes, file.reviewed, defs, file.paraphrases);
      const cases: [string, string][] = [
        ['tally the holes please', 'measure'],
        ['give an account of what is visible', 'describe'],
      ];
      for (const [q, want] of cases) {
        expect(words.some((w) => w.text === q)).toBe(false);
        const before = seedsOnly.decide(q);
        expect(before.outOfScope || before.intent !== want, `${q}: seeds alone decide ${before.intent}`).toBe(true);
        const after = withTeacher.decide(q);
        expect(after).toMatchObject({ intent: want, outOfScope: false });
      }
      // Still refuses what an image cannot answer.
      expect(withTeacher.decide('what is the weather forecast for tomorrow').outOfScope).toBe(true);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
