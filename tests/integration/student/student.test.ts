// The student end to end on a few real micrographs: import with folder labels into a real database file,
// train (fast preset, head in a worker thread), classify, evaluate, model versions, and the CLI's JSON.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../../main/core/api.js';
import { classifyPaths, evaluateFolder, trainStudent, TrainingCancelled } from '../../../main/core/student/service.js';
import { startStudentTraining } from '../../../main/core/student/job.js';
import { activeVersion, listVersions } from '../../../main/core/student/versions.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const SET = join(sharedData, 'semi-defects');
const CLASSES = ['clean', 'cracks', 'scratches'];
const pick = (c: string, from: number, n: number) =>
  readdirSync(join(SET, c))
    .sort()
    .slice(from, from + n)
    .map((f) => join(SET, c, f));

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasSharedData)('student end to end', () => {
  const tmp = tempDir('emma-student-');
  const dbPath = join(tmp.dir, 'emma.sqlite');
  const evalDir = join(tmp.dir, 'eval');
  let core: CoreInternals;

  beforeAll(async () => {
    core = createCore({ dbPath, mode: 'cli' });
    const r = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 0, 6)), labelsFromFolders: true });
    expect(r.imported).toBe(18);
    for (const c of CLASSES) {
      mkdirSync(join(evalDir, c), { recursive: true });
      for (const p of pick(c, 6, 3)) symlinkSync(p, join(evalDir, c, p.split('/').pop()!));
    }
    mkdirSync(join(evalDir, 'not-a-class'));
  });
  afterAll(async () => {
    await core?.close();
    tmp.cleanup();
  });

  it('trains a version from folder labels, activates it, classifies and evaluates', async () => {
    const phases = new Set<string>();
    const r = await trainStudent(core.db, { dataDir: tmp.dir, preset: 'fast', onProgress: (p) => phases.add(p.phase) });
    expect(r).toMatchObject({ status: 'completed', activated: true, images: 18, classes: CLASSES });
    expect(r.valAccuracy).toBeGreaterThanOrEqual(0);
    expect([...phases]).toEqual(expect.arrayContaining(['reading', 'stem', 'features', 'head', 'final', 'saving']));
    const v = activeVersion(core.db)!;
    expect(v.id).toBe(r.modelVersion);
    expect(v.dataSnapshot).toMatchObject({ images: 18 });
    expect((v.dataSnapshot.val as unknown[]).length).toBe(6);

    const c = await classifyPaths(core.db, pick('clean', 10, 2));
    expect(c.results).toHaveLength(2);
    for (const x of c.results) {
      expect(CLASSES).toContain(x.label);
      expect(Object.values(x.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const e = await evaluateFolder(core.db, evalDir);
    expect(e.n).toBe(9);
    expect(e.skippedFolders).toEqual(['not-a-class']);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
  });

  it('a cancelled run is recorded and leaves the active version alone', async () => {
    const before = activeVersion(core.db)!.id;
    const ac = new AbortController();
    const run = trainStudent(core.db, {
      dataDir: tmp.dir,
      preset: 'fast',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'features') ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelled);
    expect(activeVersion(core.db)!.id).toBe(before);
    expect(listVersions(core.db).at(-1)).toMatchObject({ status: 'cancelled', active: false });
  });

  it('trains in a worker thread with progress; a cancelled worker run keeps the active version', async () => {
    const phases = new Set<string>();
    const job = startStudentTraining(dbPath, { dataDir: tmp.dir, preset: 'fast' }, (p) => phases.add(p.phase));
    const r = await job.result;
    expect(r.status).toBe('completed');
    expect(phases.has('final')).toBe(true);
    const active = activeVersion(core.db)!.id;
    const cancelled = startStudentTraining(dbPath, { dataDir: tmp.dir, preset: 'fast' }, (p) => {
      if (p.phase === 'reading') cancelled.cancel();
    });
    await expect(cancelled.result).rejects.toBeInstanceOf(TrainingCancelled);
    expect(activeVersion(core.db)!.id).toBe(active);
  });

  it('CLI: train, eval, classify and ask print the documented JSON', () => {
    const t = emma('train', '--db', dbPath, '--preset', 'fast', '--json');
    expect(t.code, t.stderr).toBe(0);
    const tj = JSON.parse(t.stdout);
    expect(tj).toMatchObject({ modelVersion: expect.any(Number), trainSeconds: expect.any(Number), valAccuracy: expect.any(Number), provider: 'cpu' });

    const e = emma('eval', evalDir, '--db', dbPath, '--json');
    expect(e.code, e.stderr).toBe(0);
    const ej = JSON.parse(e.stdout);
    expect(ej).toMatchObject({ n: 9, accuracy: expect.any(Number), macroF1: expect.any(Number) });
    expect(Object.keys(ej.perClass).sort()).toEqual(CLASSES);
    expect(ej.confusion).toHaveLength(3);

    const c = emma('classify', ...pick('cracks', 12, 1), '--db', dbPath, '--json');
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).results[0]).toMatchObject({ label: expect.any(String), confidence: expect.any(Number) });

    const a = emma('ask', pick('cracks', 12, 1)[0], 'is there a crack?', '--db', dbPath, '--json');
    expect(a.code).toBe(3);
    expect(JSON.parse(a.stdout)).toMatchObject({ answer: null, supported: false });
  });
});
