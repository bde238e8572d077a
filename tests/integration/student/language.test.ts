// The student's vision-language part end to end: the teacher test double proposes a class, a caption and Q&A pairs
// for ~20 real micrographs, a reviewer accepts them, the student trains (fast preset: classifier and language part in
// one version, language training in a worker thread), then answers, captions and embeds; the ask CLI prints its JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewService } from '../../../main/core/review/service.js';
import {
  activeLanguage,
  answer,
  caption,
  closeLanguageModels,
  embed,
  embedText,
  imageForTeacher,
  measureImage,
  toSlots,
  type Answer,
  type Turn,
} from '../../../main/core/student/language.js';
import { trainStudent, TrainingCancelled } from '../../../main/core/student/service.js';
import { activeVersion, listVersions } from '../../../main/core/student/versions.js';
import { hasSharedData, repoRoot } from '../../support/paths.js';
import { makeHarness, pickDistinct, type Harness } from '../teacher/harness.js';

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasSharedData)('student vision-language part', () => {
  let h: Harness;
  let taught: { imageId: number; question: string; answer: string; qaKind: string }[];

  beforeAll(async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 20), double: { latencyMs: 0 } });
    const job = await h.teacher.startRun({});
    const done = await h.jobs.wait(job.id);
    if (done.state !== 'done') throw new Error(`teacher run ${done.state}: ${done.error}`);
    const review = new ReviewService(h.db, h.events, 'test');
    for (const id of h.imageIds.slice(0, 18)) review.decide({ imageId: id, action: 'accept', reviewer: 'mei' });
    review.decide({ imageId: h.imageIds[18], action: 'reject', reviewer: 'mei' }); // negatives for matching
    taught = h.db
      .prepare(
        `SELECT image_id AS imageId, question, answer, qa_kind AS qaKind FROM annotations WHERE kind = 'qa' AND status = 'accepted' ORDER BY image_id, id`,
      )
      .all() as typeof taught;
  }, 120_000);

  afterAll(async () => {
    await closeLanguageModels();
    await h?.close();
  });

  it('trains the language part into the same version and answers from its vocabulary', async () => {
    const parts = new Set<string>();
    const r = await trainStudent(h.db, {
      dataDir: h.dir,
      preset: 'fast',
      onProgress: (p) => {
        if (p.part) parts.add(p.part);
      },
    });
    expect(r).toMatchObject({ status: 'completed', activated: true });
    expect(r.language).toMatchObject({ images: 18, examples: 18 * 6 });
    expect([...parts].sort()).toEqual(['language', 'language-data']);
    const v = activeVersion(h.db)!;
    expect(v.metrics.language).toMatchObject({ examples: 18 * 6 });

    const l = await activeLanguage(h.db);
    const t = taught.find((x) => x.qaKind === 'process')!;
    const a = await answer(h.db, t.imageId, t.question);
    expect(a.modelVersion).toBe(v.id);
    expect(a.confidence).toBeGreaterThan(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
    // Every generated token is in the vocabulary: the slot text re-encodes to itself.
    expect(l.tokenizer.decode(l.tokenizer.encode(a.slots))).toBe(a.slots);
    expect(a.tokens).toBeGreaterThan(0);
    // A question seen in training, on a training image: the taught answer (the same for every image here).
    expect(a.text).toBe(t.answer);

    const path = (h.db.prepare(`SELECT path FROM images WHERE id = ?`).get(t.imageId) as { path: string }).path;
    const byPath = await answer(h.db, path, t.question);
    expect(byPath.text).toBe(a.text);

    const c = await caption(h.db, t.imageId);
    expect(typeof c.text).toBe('string');
    const e = await embed(h.db, t.imageId);
    const et = await embedText(h.db, 'A grey micrograph.');
    expect(e.vector.length).toBe(l.manifest.config.embedDim);
    expect(et.vector.length).toBe(e.vector.length);
    expect(Math.hypot(...e.vector)).toBeCloseTo(1, 3);
    expect(Math.hypot(...et.vector)).toBeCloseTo(1, 3);
  }, 120_000);

  it('answers follow-ups with chat history when the version learnt it; a version without the manifest flag ignores it', async () => {
    const l = await activeLanguage(h.db);
    expect(l.manifest.history).toEqual({ maxTurns: 2 });
    expect(l.tokenizer.data.version).toBe(2);
    const t = taught.find((x) => x.qaKind === 'process')!;
    const prev = taught.find((x) => x.imageId === t.imageId && x.qaKind === 'defects')!;
    const turn = { question: prev.question, answer: prev.answer };
    const long = { question: 'Describe the morphology.', answer: 'grey '.repeat(80) }; // never fits the decoder's positions
    const plain = await answer(h.db, t.imageId, t.question);
    const followUp = await answer(h.db, t.imageId, t.question, [turn]);
    expect(plain.historyTurns).toBe(0);
    // The turn reached the decoder (another prefix, other probabilities) and the taught answer survives it.
    expect(followUp.historyTurns).toBe(1);
    expect(followUp.confidence).not.toBe(plain.confidence);
    expect(followUp.text).toBe(t.answer);
    // Whole turns, most recent first: an older turn that does not fit is dropped, a recent one that does not fit
    // ends the history; the same question asked again is not history (never trained so).
    expect(await answer(h.db, t.imageId, t.question, [long, turn])).toEqual(followUp);
    expect(await answer(h.db, t.imageId, t.question, [turn, long])).toEqual(plain);
    expect(await answer(h.db, t.imageId, t.question, [{ question: `${t.question} `, answer: 'Something else.' }])).toEqual(plain);
    // As in training, a turn is used only when the whole answer still fits after it: <bos> q' <sep> a' <turn>
    // question <sep> answer <eos> within the decoder's positions (the answer's length: the single-question answer's;
    // the turn's answer in slot form).
    const m = await measureImage(imageForTeacher(h.db, t.imageId), l.manifest.measureMaxSide);
    const len = (x: string) => l.tokenizer.encode(x).length;
    const fits = (x: Turn, q: string, single: Answer) =>
      1 + len(x.question) + 1 + len(toSlots(x.answer, m)) + 1 + len(q) + 1 + single.tokens + 1 <= l.manifest.config.seq;
    const digits = (n: number): Turn => ({ question: turn.question, answer: '7'.repeat(n) }); // one token per digit
    const spare = l.manifest.config.seq - (1 + len(turn.question) + 2 + len(t.question) + 1 + plain.tokens + 1);
    expect([fits(digits(spare), t.question, plain), fits(digits(spare + 1), t.question, plain)]).toEqual([true, false]);
    expect(await answer(h.db, t.imageId, t.question, [digits(spare + 1)])).toEqual(plain);
    // ... and on this image's own consecutive turns (some fit, some do not).
    const mine = taught.filter((x) => x.imageId === t.imageId);
    const used: boolean[] = [];
    for (let i = 1; i < mine.length; i++) {
      const single = await answer(h.db, t.imageId, mine[i].question);
      const prior = { question: mine[i - 1].question, answer: mine[i - 1].answer };
      const a = await answer(h.db, t.imageId, mine[i].question, [prior]);
      expect(a.historyTurns, `${prior.question} -> ${mine[i].question}`).toBe(fits(prior, mine[i].question, single) ? 1 : 0);
      if (a.historyTurns === 0) expect(a).toEqual(single);
      used.push(a.historyTurns > 0);
    }
    expect(used).toContain(true);
    expect(used).toContain(false);

    // The same files with the manifest of a version saved before history was learnt: history is ignored.
    const file = join(activeVersion(h.db)!.dir!, 'student.json');
    const saved = readFileSync(file, 'utf8');
    const old = JSON.parse(saved);
    delete old.language.history;
    writeFileSync(file, JSON.stringify(old));
    try {
      await closeLanguageModels();
      expect((await activeLanguage(h.db)).manifest.history).toBeUndefined();
      expect(await answer(h.db, t.imageId, t.question, [turn])).toEqual(plain);
      expect(await answer(h.db, t.imageId, t.question, [turn, long, turn])).toEqual(plain);
    } finally {
      writeFileSync(file, saved);
      await closeLanguageModels();
    }
    expect(await answer(h.db, t.imageId, t.question, [turn])).toEqual(followUp);
  }, 60_000);

  it('a run cancelled while the language part trains leaves the active version alone', async () => {
    const before = activeVersion(h.db)!.id;
    const ac = new AbortController();
    const run = trainStudent(h.db, {
      dataDir: h.dir,
      preset: 'fast',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.part === 'language') ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelled);
    expect(activeVersion(h.db)!.id).toBe(before);
    expect(listVersions(h.db).at(-1)).toMatchObject({ status: 'cancelled', active: false });
  }, 120_000);

  it('emma ask prints {answer, confidence, modelVersion} and how the grounded chat answered', () => {
    // Deliberately changed with the grounded chat (main/core/chat): more fields, same three first ones.
    const t = taught[0];
    const r = emma('ask', String(t.imageId), t.question, '--db', h.dbPath, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      answer: expect.any(String),
      confidence: expect.any(Number),
      modelVersion: activeVersion(h.db)!.id,
      supported: true,
      intent: expect.any(String),
    });
  });
});
