// The student through the contract, on a real SQLite file with real micrographs (uhcs, folder labels): a training
// job with live progress and cancel, model versions with their data and metrics, classification jobs storing
// per-class student proposals the review reads, similar images, activate / roll back with predictions restored,
// compare on the same images, and the chat (no made-up answers, teacher refused with egress off, corrections).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../../main/core/api.js';
import type { ClassifyResult, EmmaEvent, JobInfo, TrainOutcomeInfo } from '../../../main/core/contract.js';
import { dispatch } from '../../../main/core/dispatch.js';
import { askGrounded, closeChatModels } from '../../../main/core/chat/service.js';
import { InferencePool } from '../../../main/core/host/inference-pool.js';

// Recomputed facts come from a real pool (worker threads), as in the app.
const pools: InferencePool[] = [];
const pool = (_core: CoreInternals) => {
  const p = new InferencePool(1);
  pools.push(p);
  return p;
};
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const SET = join(sharedData, 'uhcs');
const CLASSES = ['network', 'pearlite', 'spheroidite'];
const pick = (c: string, from: number, n: number) =>
  readdirSync(join(SET, c))
    .sort()
    .slice(from, from + n)
    .map((f) => join(SET, c, f));

describe.skipIf(!hasSharedData)('student API (contract) on real images', () => {
  const tmp = tempDir('emma-models-');
  let core: CoreInternals;
  const events: EmmaEvent[] = [];
  let v1 = 0;
  let v2 = 0;

  beforeAll(async () => {
    core = createCore({ dbPath: join(tmp.dir, 'emma.sqlite'), mode: 'cli' });
    core.events.on((e) => events.push(e));
    const r = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 0, 10)), labelsFromFolders: true });
    expect(r.imported).toBe(30);
    // Unlabelled images to classify.
    const u = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 40, 2)) });
    expect(u.imported).toBe(6);
  }, 120_000);
  afterAll(async () => {
    await core?.close();
    tmp.cleanup();
  });

  async function train(preset = 'fast'): Promise<{ job: JobInfo; outcome: TrainOutcomeInfo }> {
    const started = await core.api.startTraining({ preset });
    expect(started.kind).toBe('train');
    const job = await core.jobs.wait(started.id);
    expect(job.state, job.error ?? '').toBe('done');
    return { job, outcome: job.result as TrainOutcomeInfo };
  }

  it('plans from the data: fast preset for 30 images, an estimate, blocked without two classes', async () => {
    const plan = await core.api.getTrainingPlan({});
    expect(plan).toMatchObject({ preset: 'fast', images: 30, classes: { network: 10, pearlite: 10, spheroidite: 10 }, blocked: null, provider: 'cpu' });
    expect(plan.estimatedSeconds).toBeGreaterThan(0);
    expect(plan.minutes).toBeGreaterThanOrEqual(1);
    expect(plan.reason).toMatch(/fast preset/);
    expect((await dispatch(core.api, 'startTraining', [{ preset: 'huge' }])).ok).toBe(false);
  });

  it('trains as a job with phases, a loss curve, ETA and provider; the result is the outcome', async () => {
    const { job, outcome } = await train();
    expect(outcome).toMatchObject({ status: 'completed', activated: true, images: 30, provider: 'cpu' });
    v1 = outcome.modelVersion;
    const progress = await core.api.getTrainingProgress(job.id);
    expect(progress.outcome?.modelVersion).toBe(v1);
    expect(progress.points.length).toBeGreaterThan(5);
    expect(new Set(progress.points.map((p) => p.phase))).toEqual(new Set(['head', 'final']));
    expect(progress.points.every((p) => Number.isFinite(p.loss))).toBe(true);
    // Progress lives in the jobs row: another core on the same file (a restart, `emma` beside the app) reads the same.
    const other = createCore({ dbPath: join(tmp.dir, 'emma.sqlite'), mode: 'cli' });
    try {
      expect(await other.api.getTrainingProgress(job.id)).toEqual(progress);
      const row = await other.api.getJob(job.id);
      expect(row.progress.train?.points).toEqual(progress.points);
      expect(row.kind === 'train' && row.result?.modelVersion).toBe(v1);
    } finally {
      await other.close();
    }
    const messages = events.filter((e): e is Extract<EmmaEvent, { type: 'job' }> => e.type === 'job' && e.job.id === job.id).map((e) => e.job.progress.message);
    // Progress is persisted at most every 200 ms: a 2-second run shows a few of these.
    expect(
      messages.some((m) => /^(reading|stem|features|head|final|saving) \d+\/\d+ · .*ETA \d+ s · cpu$/.test(m)),
      messages.join('\n'),
    ).toBe(true);
    expect(messages.at(-1)).toMatch(/^version \d+: validation accuracy .* on cpu, now active$/);
  }, 120_000);

  it('lists versions and shows one with its data snapshot, metrics and confusion matrix', async () => {
    const list = await core.api.listModelVersions();
    expect(list[0]).toMatchObject({ id: v1, active: true, status: 'completed', classes: CLASSES, images: 30 });
    const d = await core.api.getModelVersion(v1);
    expect(d.data).toMatchObject({ images: 30, train: 21, val: 9, sources: { 'human (folder import)': 30 } });
    expect(d.metrics?.n).toBe(9);
    expect(d.metrics?.confusion).toHaveLength(3);
    expect(d.metrics?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
    expect(Object.keys(d.metrics!.perClass).sort()).toEqual(CLASSES);
    expect(d.hyperparams).toMatchObject({ preset: 'fast' });
    expect((await dispatch(core.api, 'getModelVersion', [999])).ok).toBe(false);
  });

  it('classifies the library as a job: one row per likely class, the top one newest, read by the review', async () => {
    const started = await core.api.startClassify({});
    const job = await core.jobs.wait(started.id);
    expect(job.state, job.error ?? '').toBe('done');
    const r = job.result as ClassifyResult;
    expect(r).toMatchObject({ modelVersion: v1, classified: 36, skipped: 0, cancelled: false });
    const unlabelled = (await core.api.listImages({ offset: 0, limit: 100, filter: { kind: 'any' }, source: 'student' })).items;
    expect(unlabelled).toHaveLength(6);
    for (const img of unlabelled) expect(img.label).toMatchObject({ source: 'student', status: 'proposed', sourceRef: `student v${v1}` });
    const item = await core.api.getReviewItem(unlabelled[0].id);
    expect(item.student).toMatchObject({ className: unlabelled[0].label!.className, sourceRef: `student v${v1}` });
    expect(item.student!.margin).not.toBeNull();
    // Again: nothing new to do for the same version.
    const again = await core.jobs.wait((await core.api.startClassify({})).id);
    expect(again.result).toMatchObject({ classified: 0, skipped: 36 });
  }, 120_000);

  it('the chat answers from the facts the classification stored (the inference pool computed them): the same probabilities as the grid', async () => {
    const db = core.db;
    const stored = db.prepare(`SELECT count(*) FROM student_image_facts WHERE version_id = ?`).pluck().get(v1) as number;
    expect(stored).toBe(36);
    const unlabelled = (await core.api.listImages({ offset: 0, limit: 100, filter: { kind: 'any' }, source: 'student' })).items;
    for (const img of unlabelled.slice(0, 3)) {
      // (The grounded answer itself: this version has no reviewed Q&A, so askStudent does not offer the chat yet.)
      const a = await askGrounded(db, img.id, 'Which microstructure class is this?');
      // The grid's label (stored by the job) and the answer's prediction are one number, not two computations.
      expect(a.evidence.prediction[0].className).toBe(img.label!.className);
      expect(a.evidence.prediction[0].probability).toBeCloseTo(img.label!.confidence!, 6);
      expect(a.confidence).toBeCloseTo(img.label!.confidence!, 6);
    }
    // A restarted core (another process on the file) reads them too: a damaged row is recomputed, not trusted.
    const sha = db.prepare(`SELECT sha256 FROM images WHERE id = ?`).pluck().get(unlabelled[0].id) as string;
    db.prepare(`UPDATE student_image_facts SET probs = x'00000000' WHERE version_id = ? AND image_sha256 = ?`).run(v1, sha);
    await closeChatModels(); // the chat's in-memory state is per process: as after a restart
    const other = createCore({ dbPath: join(tmp.dir, 'emma.sqlite'), mode: 'cli' });
    try {
      const a = await askGrounded(other.db, unlabelled[0].id, 'Which microstructure class is this?', { pool: pool(other) });
      expect(a.evidence.prediction[0].className).toBe(unlabelled[0].label!.className);
      expect(a.evidence.prediction[0].probability).toBeCloseTo(unlabelled[0].label!.confidence!, 4);
      const row = db.prepare(`SELECT length(probs) FROM student_image_facts WHERE version_id = ? AND image_sha256 = ?`).pluck().get(v1, sha);
      expect(row).toBe(4 * CLASSES.length);
    } finally {
      await other.close();
      for (const p of pools.splice(0)) await p.close();
    }
  }, 120_000);

  it('finds similar reviewed images from the student memory', async () => {
    const first = (await core.api.listImages({ offset: 0, limit: 1 })).items[0];
    const sim = await core.api.findSimilar(first.id, 4);
    expect(sim).toHaveLength(4);
    expect(sim.every((s) => s.image.id !== first.id && CLASSES.includes(s.className!))).toBe(true);
    expect(sim[0].similarity).toBeGreaterThanOrEqual(sim[3].similarity);
    // Cosine similarity of unit vectors.
    expect(sim[0].similarity).toBeGreaterThan(0.05);
    expect(sim[0].similarity).toBeLessThanOrEqual(1.0001);
    // Four come from the facts the classification stored, ten are computed (more than it keeps): the same neighbours.
    const more = await core.api.findSimilar(first.id, 10);
    expect(more.length).toBeGreaterThan(4);
    expect(more.slice(0, 4).map((s) => s.image.id)).toEqual(sim.map((s) => s.image.id));
    more.slice(0, 4).forEach((s, i) => expect(s.similarity).toBeCloseTo(sim[i].similarity, 5));
  }, 60_000);

  it('a second version; rolling back restores the first version and its predictions; compare says on what basis', async () => {
    const { outcome } = await train();
    v2 = outcome.modelVersion;
    expect((await core.api.getModelVersion(v2)).parentId).toBe(v1);
    // Same data, same split: deterministic, no worse, so it became active.
    expect(outcome.activated).toBe(true);
    await core.jobs.wait((await core.api.startClassify({ force: true })).id);
    const some = (await core.api.listImages({ offset: 0, limit: 100, source: 'student' })).items[0];
    expect(some.label?.sourceRef).toBe(`student v${v2}`);

    const act = await core.api.activateModelVersion(v1);
    expect(act).toMatchObject({ previous: v2, restoredPredictions: 36, otherPredictions: 0 });
    expect(act.active).toMatchObject({ id: v1, active: true });
    expect((await core.api.getImage(some.id)).labels[0]).toMatchObject({ source: 'student', sourceRef: `student v${v1}` });
    expect((await core.api.getReviewItem(some.id)).student?.sourceRef).toBe(`student v${v1}`);
    expect((await core.api.getModelVersion(v1)).predictions).toBe(36);

    const cmp = await core.api.compareModelVersions(v1, v2);
    expect(cmp.basis).toBe('same-split');
    expect(cmp.n).toBe(9);
    expect(cmp.perClassRecall.map((c) => c.className)).toEqual(CLASSES);

    // New labelled images neither version saw: scored now on the same images.
    await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 60, 2)), labelsFromFolders: true });
    const fresh = await core.api.compareModelVersions(v1, v2);
    expect(fresh).toMatchObject({ basis: 'held-out', n: 6 });
    expect(fresh.agreement!.both + fresh.agreement!.onlyA + fresh.agreement!.onlyB + fresh.agreement!.neither).toBe(6);
  }, 180_000);

  it('a cancelled training job leaves the active version; a failed or cancelled version cannot be activated', async () => {
    const before = (await core.api.listModelVersions()).find((v) => v.active)!.id;
    const started = await core.api.startTraining({ preset: 'fast' });
    const blocked = await core.api.getTrainingPlan({});
    expect(blocked.blocked).toMatch(/already going/);
    await new Promise((r) => setTimeout(r, 300));
    await core.api.cancelJob(started.id);
    const job = await core.jobs.wait(started.id);
    expect(job.state).toBe('cancelled');
    const versions = await core.api.listModelVersions();
    expect(versions.find((v) => v.active)!.id).toBe(before);
    const cancelled = versions.find((v) => v.status === 'cancelled')!;
    expect(cancelled).toBeDefined();
    const r = await dispatch(core.api, 'activateModelVersion', [cancelled.id]);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
  }, 120_000);

  it('chat: no made-up answers, teacher refused while egress is off, a corrected answer becomes a reviewed Q&A pair', async () => {
    const img = (await core.api.listImages({ offset: 0, limit: 1 })).items[0];
    const caps = await core.api.getStudentCapabilities();
    if (!caps.answer) {
      const a = await core.api.askStudent({ imageId: img.id, question: 'are there bridges between the lines?' });
      expect(a).toMatchObject({ supported: false, answer: null, message: null });
      expect(a.note).toMatch(/cannot answer/);
    }
    const t = await dispatch(core.api, 'askTeacherInChat', [{ imageId: img.id, question: 'what phase is this?' }]);
    expect(t).toMatchObject({ ok: false, error: { code: 'egress_disabled' } });
    expect(await core.api.listChat(img.id)).toEqual([]);

    // A student answer as the language half will store it, corrected by the operator.
    const now = new Date().toISOString();
    const q = Number(
      core.db.prepare(`INSERT INTO chat_messages (image_id, role, text, created_at) VALUES (?, 'user', 'what phase is this?', ?)`).run(img.id, now)
        .lastInsertRowid,
    );
    const s = Number(
      core.db
        .prepare(
          `INSERT INTO chat_messages (image_id, role, text, confidence, model_ref, reply_to, created_at) VALUES (?, 'student', 'pearlite', 0.4, 'v1', ?, ?)`,
        )
        .run(img.id, q, now).lastInsertRowid,
    );
    const c = await core.api.correctChatAnswer({ messageId: s, answer: 'spheroidite: round carbides in ferrite', reviewer: 'mei' });
    expect(c).toMatchObject({ role: 'correction', replyTo: s, modelRef: 'mei', annotationId: expect.any(Number) });
    const item = await core.api.getReviewItem(img.id);
    expect(item.annotations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'qa', question: 'what phase is this?', answer: 'spheroidite: round carbides in ferrite', source: 'human' }),
      ]),
    );
    expect((await core.api.listChat(img.id)).map((m) => m.role)).toEqual(['user', 'student', 'correction']);
    expect((await dispatch(core.api, 'correctChatAnswer', [{ messageId: q, answer: 'x', reviewer: 'mei' }])).ok).toBe(false);
  });
  it('with reviewed Q&A pairs the new version answers in the chat (saved per image) and searches by text', async () => {
    const labelled = (await core.api.listImages({ offset: 0, limit: 100, filter: { kind: 'labelled' }, source: 'human' })).items;
    for (const img of labelled) {
      await core.api.addAnnotation({
        imageId: img.id,
        kind: 'qa',
        question: 'what is the microstructure?',
        answer: `${img.label!.className} steel microstructure`,
        reviewer: 'mei',
      });
    }
    const { outcome } = await train();
    const act = await core.api.activateModelVersion(outcome.modelVersion);
    expect(act.active.id).toBe(outcome.modelVersion);
    const caps = await core.api.getStudentCapabilities();
    expect(caps).toMatchObject({ activeVersion: outcome.modelVersion, answer: true, findByText: true });
    const img = labelled[1]; // labelled[0] has the corrected chat above
    const t0 = performance.now();
    const a = await core.api.askStudent({ imageId: img.id, question: 'what is the microstructure?' });
    const ms = performance.now() - t0;
    expect(a).toMatchObject({ supported: true, modelVersion: outcome.modelVersion, answer: expect.any(String) });
    expect(a.answer!.length).toBeGreaterThan(0);
    expect(a.confidence).toBeGreaterThan(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
    expect(ms).toBeLessThan(20_000);
    const b = await core.api.askStudent({ imageId: img.id, question: 'and what is it called?' });
    expect(b.supported).toBe(true);
    const chat = await core.api.listChat(img.id);
    expect(chat.map((m) => m.role)).toEqual(['user', 'student', 'user', 'student']);
    expect(chat[1]).toMatchObject({ replyTo: chat[0].id, modelRef: `v${outcome.modelVersion}`, text: a.answer });
    // The evidence is saved with the answer: a reopened chat shows what the live one showed.
    expect(a.grounding).toBeTruthy();
    expect(chat[1].grounding).toEqual(a.grounding);
    expect(chat[0].grounding).toBeNull();
    const found = await core.api.findByText('pearlite steel microstructure', 5);
    expect(found).toHaveLength(5);
    expect(found[0].similarity).toBeGreaterThanOrEqual(found[4].similarity);
  }, 180_000);

  it('in the app (autoClassify), newly imported images are classified in the background and their facts stored', async () => {
    const app = createCore({ dbPath: join(tmp.dir, 'emma.sqlite'), mode: 'app' });
    try {
      const v = (await app.api.listModelVersions()).find((m) => m.active)!.id;
      const fresh = CLASSES.map((c) => pick(c, 80, 1)[0]);
      const job = await app.api.startImport({ paths: fresh });
      const imported = await app.jobs.wait(job.id);
      expect(imported.state).toBe('done');
      expect(imported.kind === 'import' && imported.result?.imported).toBe(3);
      let classify: JobInfo | undefined;
      for (let i = 0; i < 100 && !classify; i++) {
        classify = (await app.api.listJobs(20)).find((j) => j.kind === 'classify' && j.id > job.id);
        if (!classify) await new Promise((r) => setTimeout(r, 100));
      }
      expect(classify, 'a classify job after the import').toBeDefined();
      const done = await app.jobs.wait(classify!.id);
      expect(done.state).toBe('done');
      // The new images and any the active version had not classified yet.
      expect((done.result as ClassifyResult).classified).toBeGreaterThanOrEqual(3);
      const shas = app.db.prepare(`SELECT sha256 FROM images WHERE path IN (SELECT value FROM json_each(?))`).pluck().all(JSON.stringify(fresh)) as string[];
      expect(shas).toHaveLength(3);
      const n = app.db
        .prepare(`SELECT count(*) FROM student_image_facts WHERE version_id = ? AND image_sha256 IN (SELECT value FROM json_each(?))`)
        .pluck()
        .get(v, JSON.stringify(shas));
      expect(n).toBe(3);
    } finally {
      await app.close();
    }
  }, 120_000);
});
