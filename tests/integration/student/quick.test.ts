// Quick updates on real micrographs (uhcs, folder labels) in a real SQLite file: a full run fills the per-image
// feature cache for its new stem; a quick run reuses the active version's stem, computes features only for images
// added since, trains the head like a full head training on the same features would, carries the language part
// over while the reviewed text is unchanged, and a cancelled quick run leaves the active version alone.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../../main/core/api.js';
import { labeledImages, splitByHash } from '../../../main/core/student/data.js';
import { countCached, FeatureCache, stemHash } from '../../../main/core/student/features.js';
import { startStudentTraining } from '../../../main/core/student/job.js';
import { answer, closeLanguageModels } from '../../../main/core/student/language.js';
import { PRESETS, readForStudent, trainStudent, TrainingCancelled, type TrainOutcome } from '../../../main/core/student/service.js';
import { activateVersion, activeVersion, getVersion, listVersions } from '../../../main/core/student/versions.js';
import { classifyFeatures, loadStudent, trainClassifier } from '../../../native-models/student/classifier.js';
import { featureSize, StemExtractor } from '../../../native-models/student/texture.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const SET = join(sharedData, 'uhcs');
const CLASSES = ['network', 'pearlite', 'spheroidite'];
const pick = (c: string, from: number, n: number) =>
  readdirSync(join(SET, c))
    .sort()
    .slice(from, from + n)
    .map((f) => join(SET, c, f));

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasSharedData)('quick update (heads on cached stem features)', () => {
  const tmp = tempDir('emma-quick-');
  const dbPath = join(tmp.dir, 'emma.sqlite');
  let core: CoreInternals;
  let full: TrainOutcome;
  let stem = '';
  const shas = () => labeledImages(core.db).map((i) => i.sha256);

  beforeAll(async () => {
    core = createCore({ dbPath, mode: 'cli' });
    const r = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 0, 8)), labelsFromFolders: true });
    expect(r.imported).toBe(24);
  }, 60_000);
  afterAll(async () => {
    await closeLanguageModels();
    await core?.close();
    tmp.cleanup();
  });

  it('is blocked without an active version; a full run caches every image for its new stem', async () => {
    const plan = await core.api.getTrainingPlan({ quick: true });
    expect(plan).toMatchObject({ quick: true, quickFrom: null, cachedImages: null });
    expect(plan.blocked).toMatch(/quick update starts from the active version/i);
    await expect(trainStudent(core.db, { dataDir: tmp.dir, quick: true, worker: false })).rejects.toThrow(/needs an active model version/);
    expect(listVersions(core.db)).toHaveLength(0);

    full = await trainStudent(core.db, { dataDir: tmp.dir, preset: 'fast', worker: false });
    expect(full).toMatchObject({ status: 'completed', mode: 'full', activated: true, features: { cached: 0, extracted: 24 } });
    const v = getVersion(core.db, full.modelVersion)!;
    stem = v.hyperparams.stemHash as string;
    expect(stem).toBe(stemHash(loadStudent(v.dir!).stem));
    expect(v.hyperparams).toMatchObject({ mode: 'full', languageMode: 'none' });
    expect(countCached(core.db, stem, shas())).toBe(24);

    const q = await core.api.getTrainingPlan({ quick: true });
    // Nothing reviewed since the full run: the plan says so instead of making an identical version.
    expect(q).toMatchObject({ quick: true, quickFrom: full.modelVersion, cachedImages: 24, preset: 'fast' });
    expect(q.blocked).toMatch(/Nothing new since v\d+/);
    expect(q.reason).toMatch(/quick update of v\d+ \(its texture stem; features of 24 of 24 images cached\)/);
    expect(q.estimatedSeconds).toBeLessThan((await core.api.getTrainingPlan({ preset: 'default' })).estimatedSeconds);
  });

  it('with nothing new, reads no image and computes no feature; same stem file, parent = the active version', async () => {
    const phases = new Set<string>();
    const r = await trainStudent(core.db, { dataDir: tmp.dir, quick: true, worker: false, onProgress: (p) => phases.add(p.phase) });
    expect(r).toMatchObject({ status: 'completed', mode: 'quick', features: { cached: 24, extracted: 0 }, images: 24 });
    expect([...phases]).toEqual(['features', 'head', 'final', 'saving']);
    const v = getVersion(core.db, r.modelVersion)!;
    expect(v).toMatchObject({ parentId: full.modelVersion, preset: 'fast', status: 'completed' });
    expect(v.hyperparams).toMatchObject({ mode: 'quick', stemFrom: full.modelVersion, stemHash: stem, stemImages: null });
    const parentDir = getVersion(core.db, full.modelVersion)!.dir!;
    expect(readFileSync(join(v.dir!, 'stem-bank.f32')).equals(readFileSync(join(parentDir, 'stem-bank.f32')))).toBe(true);
    // Same features, same head recipe: the same split-run score as the full run.
    expect(r.valAccuracy).toBe(full.valAccuracy);
  });

  it('after adding images, computes features only for them and predicts like a head trained on freshly computed features', async () => {
    const imp = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 8, 4)), labelsFromFolders: true });
    expect(imp.imported).toBe(12);
    const parent = activeVersion(core.db)!.id;
    const r = await trainStudent(core.db, { dataDir: tmp.dir, quick: true, worker: false });
    expect(r).toMatchObject({ status: 'completed', mode: 'quick', features: { cached: 24, extracted: 12 }, images: 36 });
    expect(getVersion(core.db, r.modelVersion)!.parentId).toBe(parent);
    expect(countCached(core.db, stem, shas())).toBe(36);

    // A head trained from scratch on the same stem, with features computed now instead of read from the cache.
    const quick = loadStudent(getVersion(core.db, r.modelVersion)!.dir!);
    const items = labeledImages(core.db);
    const { train, val } = splitByHash(items);
    const all = [...train, ...val];
    const labels = [...new Set(items.map((i) => i.className))].sort();
    const D = featureSize(quick.stem.config);
    const ex = new StemExtractor(quick.stem);
    const feats = new Float32Array(all.length * D);
    const cached = new FeatureCache(core.db, stem, D).get(all.map((i) => i.sha256));
    let maxDiff = 0;
    for (const [k, it] of all.entries()) {
      const f = await ex.extract(await readForStudent(it.path, { y: it.databarY, width: it.width }, quick.stem.config.maxSide));
      feats.set(f, k * D);
      const c = cached.get(it.sha256)!;
      for (let j = 0; j < D; j++) maxDiff = Math.max(maxDiff, Math.abs(c[j] - f[j]));
    }
    expect(maxDiff).toBeLessThan(1e-5);
    const head = await trainClassifier(feats, Int32Array.from(all.map((i) => labels.indexOf(i.className))), labels, quick.stem.config, PRESETS.fast.head, {
      worker: false,
    });
    // Images the student never saw.
    const unseen = CLASSES.flatMap((c) => pick(c, 30, 2));
    const q = new Float32Array(unseen.length * D);
    for (const [k, p] of unseen.entries()) q.set(await ex.extract(await readForStudent(p, undefined, quick.stem.config.maxSide)), k * D);
    await ex.close();
    // The shipped head also carries the confidence temperature fitted on the split run (the same on either features).
    const mine = await classifyFeatures({ ...head, confidenceTemperature: quick.classifier.confidenceTemperature }, quick.stem.config, q, unseen.length);
    const shipped = await classifyFeatures(quick.classifier, quick.stem.config, q, unseen.length, quick.headOnnx);
    for (let i = 0; i < mine.probs.length; i++) expect(Math.abs(mine.probs[i] - shipped.probs[i])).toBeLessThan(1e-4);
    expect(Array.from(quick.classifier.memoryLabels)).toEqual(all.map((i) => labels.indexOf(i.className)));
  });

  it('through the API and the CLI: with nothing new, no version is made and both say why; the versions list says quick', async () => {
    const before = (await core.api.listModelVersions()).length;
    await expect(core.api.startTraining({ quick: true })).rejects.toThrow(/Nothing new since v\d+/);
    const t = emma('train', '--db', dbPath, '--quick', '--json');
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/Nothing new since v\d+/);
    const versions = await core.api.listModelVersions();
    expect(versions).toHaveLength(before);
    expect(versions.find((v) => v.mode === 'quick')).toMatchObject({ preset: 'fast' }); // the quick runs above
    expect(versions.find((v) => v.id === full.modelVersion)).toMatchObject({ mode: 'full' });
  });

  it('carries the language part over while the reviewed text is unchanged, and trains it again when it changed', async () => {
    const imgs = (await core.api.listImages({ offset: 0, limit: 100 })).items;
    for (const img of imgs.slice(0, 24)) {
      await core.api.addAnnotation({
        imageId: img.id,
        kind: 'qa',
        question: 'what is the microstructure?',
        answer: `${img.label!.className} microstructure`,
        reviewer: 'mei',
      });
    }
    const f = await trainStudent(core.db, { dataDir: tmp.dir, preset: 'fast', worker: false });
    expect(getVersion(core.db, f.modelVersion)!.hyperparams).toMatchObject({ mode: 'full', languageMode: 'trained' });
    if (!f.activated) activateVersion(core.db, f.modelVersion);
    const fv = getVersion(core.db, f.modelVersion)!;

    // New labelled images without text: the head (and its standardisation) changes, the language part's data does not.
    expect((await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 12, 2)), labelsFromFolders: true })).imported).toBe(6);
    const q = await trainStudent(core.db, { dataDir: tmp.dir, quick: true, worker: false });
    expect(q.features).toEqual({ cached: 36, extracted: 6 });
    expect(q.language).toMatchObject({ carriedFrom: f.modelVersion, images: 24, examples: 24 });
    const qv = getVersion(core.db, q.modelVersion)!;
    expect(qv.hyperparams).toMatchObject({ mode: 'quick', languageMode: 'carried' });
    expect(qv.hyperparams.languageNote).toMatch(new RegExp(`copied unchanged from v${f.modelVersion}`));
    const m = JSON.parse(readFileSync(join(qv.dir!, 'student.json'), 'utf8'));
    expect(m.language).toMatchObject({ carriedFrom: f.modelVersion, files: { norm: 'vlm-norm.f32' } });
    for (const file of Object.values(m.language.files) as string[]) {
      expect(readFileSync(join(qv.dir!, file)).equals(readFileSync(join(fv.dir!, file))), file).toBe(true);
    }
    // The carried part answers as it did in its own version (its own image standardisation travels with it).
    activateVersion(core.db, fv.id);
    const before = await answer(core.db, imgs[30].id, 'what is the microstructure?');
    activateVersion(core.db, qv.id);
    const after = await answer(core.db, imgs[30].id, 'what is the microstructure?');
    expect(after.modelVersion).toBe(qv.id);
    expect(after.text).toBe(before.text);
    expect(after.confidence).toBeCloseTo(before.confidence, 5);

    await core.api.addAnnotation({
      imageId: imgs[25].id,
      kind: 'qa',
      question: 'what is the microstructure?',
      answer: `${imgs[25].label!.className} microstructure`,
      reviewer: 'mei',
    });
    const q2 = await trainStudent(core.db, { dataDir: tmp.dir, quick: true, worker: false });
    expect(q2.language).toMatchObject({ carriedFrom: null, images: 25 });
    expect(getVersion(core.db, q2.modelVersion)!.hyperparams).toMatchObject({ languageMode: 'trained' });
    expect(getVersion(core.db, q2.modelVersion)!.hyperparams.languageNote).toMatch(/not carried over from v\d+: the reviewed captions and Q&A/);
  });

  it('a cancelled quick run (worker thread) is recorded and leaves the active version', async () => {
    const before = activeVersion(core.db)!.id;
    const job = startStudentTraining(dbPath, { dataDir: tmp.dir, quick: true }, (p) => {
      if (p.phase === 'head') job.cancel();
    });
    await expect(job.result).rejects.toBeInstanceOf(TrainingCancelled);
    expect(activeVersion(core.db)!.id).toBe(before);
    const last = listVersions(core.db).at(-1)!;
    expect(last).toMatchObject({ status: 'cancelled', active: false, parentId: before });
    expect(last.hyperparams).toMatchObject({ mode: 'quick' });
  });
});
