// The grounded chat end to end: real micrographs, the teacher test double (the only stand-in: the remote teacher)
// proposes captions and Q&A in its template wordings, a reviewer accepts them with the true folder classes, the
// student trains through the one-click path (fast preset) and is asked through the API and the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChatModels } from '../../../main/core/chat/service.js';
import { INTENT_FILE } from '../../../main/core/chat/intent-file.js';
import type { MeasurementSource } from '../../../main/core/chat/measure.js';
import { stutterReasons } from '../../../main/core/chat/wellformed.js';
import { StudentApi } from '../../../main/core/student/api.js';
import { ChatApi } from '../../../main/core/chat/api.js';
import { ReviewService } from '../../../main/core/review/service.js';
import { answer as decoderAnswer, closeLanguageModels } from '../../../main/core/student/language.js';
import { activeVersion } from '../../../main/core/student/versions.js';
import { hasSharedData, repoRoot } from '../../support/paths.js';
import { makeHarness, pickDistinct, type Harness } from '../teacher/harness.js';

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasSharedData)('grounded chat', () => {
  let h: Harness;
  let student: StudentApi;
  let api: ChatApi;
  let measured: ChatApi;
  let held: number[];

  beforeAll(async () => {
    const files = await pickDistinct('semi-defects', 32);
    h = await makeHarness({ files, double: { latencyMs: 0 } });
    const done = await h.jobs.wait((await h.teacher.startRun({})).id);
    if (done.state !== 'done') throw new Error(`teacher run ${done.state}`);
    const review = new ReviewService(h.db, h.events, 'test');
    const rows = h.db.prepare(`SELECT id, path FROM images ORDER BY id`).all() as { id: number; path: string }[];
    for (const r of rows.slice(0, 26)) review.decide({ imageId: r.id, action: 'accept', className: basename(dirname(r.path)), reviewer: 'mei' });
    held = rows.slice(26).map((r) => r.id);
    const deps = {
      db: h.db,
      dbPath: h.dbPath,
      dataDir: h.dir,
      jobs: h.jobs,
      events: h.events,
      review,
      teacherAsk: async () => {
        throw new Error('not in this test');
      },
    };
    student = new StudentApi(deps);
    api = new ChatApi({ ...deps, student });
    // A measurement source for the hook, standing in for main/core/measure (wired by createCore; see measure-chat.test.ts).
    const source: MeasurementSource = {
      measure: async (id) =>
        id === held[0]
          ? { method: 'test source', pixelSizeNm: 2, unit: 'nm' as const, particles: { count: 17, excludedAtEdge: 2, ecd: null }, lines: null }
          : null,
    };
    measured = new ChatApi({ ...deps, student, measurements: source });
    const job = await h.jobs.wait(student.startTraining({ preset: 'fast' }).id);
    if (job.state !== 'done') throw new Error(`training ${job.state}: ${job.error}`);
  }, 300_000);

  afterAll(async () => {
    await closeChatModels();
    await closeLanguageModels();
    await h?.close();
  });

  it('class answers name the prediction with its probability; yes/no answers start with Yes or No and agree with it', async () => {
    for (const id of held) {
      const a = await api.ask({ imageId: id, question: 'Which category does this frame fall into?' });
      const g = a.grounding!;
      expect(g).toMatchObject({ intent: 'which', refused: false });
      const top = g.prediction[0];
      expect(a.answer).toContain(top.className.replace(/_/g, ' '));
      expect(a.confidence).toBeCloseTo(top.probability, 6);
      const yes = await api.ask({ imageId: id, question: `Would you say there is ${top.className.replace(/_/g, ' ')} in this one? yes or no` });
      expect(yes.answer, yes.answer!).toMatch(/^Yes\b/);
      const other = g.prediction[1].className;
      const no = await api.ask({ imageId: id, question: `Can I see ${other.replace(/_/g, ' ')} here?` });
      expect(no.answer, no.answer!).toMatch(/^No\b/);
      for (const t of [a.answer!, yes.answer!, no.answer!]) expect(stutterReasons(t), t).toEqual([]);
    }
  }, 120_000);

  it('refuses what the image cannot answer, offers the teacher while egress is on, and never invents a measurement', async () => {
    const id = held[1];
    for (const q of ['What will the weather be like on Sunday?', 'Is there any corrosion?', 'Who operated the microscope?']) {
      const a = await api.ask({ imageId: id, question: q });
      expect(a.answer, q).toMatch(/^I can't answer that from this image/);
      expect(a.grounding).toMatchObject({ refused: true, offerTeacher: true });
      expect(a.confidence!).toBeLessThanOrEqual(0.2);
    }
    // With a student too, an acquisition setting is read from the file (these PNGs record none), before any class work.
    const kv = await api.ask({ imageId: id, question: 'What accelerating voltage was used?' });
    expect(kv.grounding).toMatchObject({ intent: 'acquisition', refused: true, offerTeacher: false, prediction: [] });
    expect(kv.grounding?.reason).toBe("the file's metadata does not record the accelerating voltage");
    const m = await api.ask({ imageId: id, question: 'How many particles are there?' });
    expect(m.answer).toMatch(/can't measure that in this image yet/);
    expect(m.answer).not.toMatch(/\d+ particles/);
    const counted = await measured.ask({ imageId: held[0], question: 'How many particles are there?' });
    expect(counted.answer).toMatch(/^17 particles counted \(2 more touch the edge.*test source/);
    expect(counted.grounding).toMatchObject({ intent: 'measure', refused: false, measurement: 'test source' });
  });

  it('the decoder alone no longer stutters: every taught question answered well formed', async () => {
    const qs = h.db.prepare(`SELECT DISTINCT question FROM annotations WHERE kind = 'qa' AND question IS NOT NULL`).pluck().all() as string[];
    for (const id of held.slice(0, 3))
      for (const q of qs) {
        const a = await decoderAnswer(h.db, id, q);
        expect(stutterReasons(a.text), `${q} → ${a.text}`).toEqual([]);
      }
  }, 120_000);

  it('emma ask prints the grounded answer', () => {
    const r = emma('ask', String(held[2]), 'Is there a short in this image? Answer yes or no.', '--db', h.dbPath, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      answer: expect.stringMatching(/^(Yes|No): /),
      supported: true,
      intent: 'yesno',
      className: 'short',
      yes: expect.any(Boolean),
      modelVersion: activeVersion(h.db)!.id,
    });
    const w = emma('ask', String(held[2]), 'what is the weather today?', '--db', h.dbPath);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/I can't answer that from this image/);
  });

  it('a version saved without the question-layer file still answers (fitted from the library)', async () => {
    const dir = activeVersion(h.db)!.dir!;
    expect(existsSync(join(dir, INTENT_FILE))).toBe(true);
    renameSync(join(dir, INTENT_FILE), join(dir, `${INTENT_FILE}.bak`));
    await closeChatModels();
    try {
      const a = await api.ask({ imageId: held[0], question: 'What type of defect is this?' });
      expect(a.grounding).toMatchObject({ intent: 'which', refused: false });
      expect(a.answer).toMatch(/^This looks like /);
    } finally {
      renameSync(join(dir, `${INTENT_FILE}.bak`), join(dir, INTENT_FILE));
      await closeChatModels();
    }
  });

  it('finds images by a class definition, and says "no good match" for text no class is about', async () => {
    const r = await api.searchText('Linear mechanical damage across the surface, crossing the pattern at an angle.', 5);
    expect(r).toMatchObject({ noGoodMatch: false, notClassified: 0 });
    expect(r.readAs[0].className).toBe('scratches');
    expect(r.results.length).toBe(5);
    for (let i = 1; i < r.results.length; i++) expect(r.results[i - 1].similarity).toBeGreaterThanOrEqual(r.results[i].similarity);
    const w = await api.searchText('weather forecast', 5);
    expect(w).toMatchObject({ noGoodMatch: true, results: [] });
    expect(w.note).toMatch(/No good match/);
  });
});
