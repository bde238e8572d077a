// Model versions as files for the central ML team and back: export writes the ONNX files + manifest into a new
// folder (refusing a non-empty one, audit-logged); import checks the folder with onnxruntime first (a truncated
// ONNX is refused and nothing is added) and registers a completed, inactive version with no parent that
// classifies exactly as the original.
import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync, cpSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../../main/core/api.js';
import type { TrainOutcomeInfo } from '../../../main/core/contract.js';
import { dispatch } from '../../../main/core/dispatch.js';
import { loadStudent } from '../../../native-models/student/classifier.js';
import { probabilities, readForStudent } from '../../../main/core/student/service.js';
import { hasSharedData, repoRoot, SHARED_DATA_MISSING, sharedData, tempDir } from '../../support/paths.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

const SET = join(sharedData, 'uhcs');
const CLASSES = ['network', 'pearlite', 'spheroidite'];
const pick = (c: string, from: number, n: number) =>
  readdirSync(join(SET, c))
    .sort()
    .slice(from, from + n)
    .map((f) => join(SET, c, f));

describe.skipIf(!hasSharedData)('model version export / import', () => {
  const tmp = tempDir('emma-transfer-');
  let core: CoreInternals;
  let v1 = 0;
  let imported = 0;
  const out = () => join(tmp.dir, 'export-v1');

  beforeAll(async () => {
    core = createCore({ dbPath: join(tmp.dir, 'emma.sqlite'), mode: 'cli' });
    const r = await core.importNow({ paths: CLASSES.flatMap((c) => pick(c, 0, 10)), labelsFromFolders: true });
    expect(r.imported).toBe(30);
    const job = await core.jobs.wait((await core.api.startTraining({ preset: 'fast' })).id);
    expect(job.state, job.error ?? '').toBe('done');
    v1 = (job.result as TrainOutcomeInfo).modelVersion;
  }, 180_000);
  afterAll(async () => {
    await core?.close();
    tmp.cleanup();
  });

  it('stores calibration (ECE, 10-bin reliability) from the held-out split at training time; recomputes it for older versions', async () => {
    const d = await core.api.getModelVersion(v1);
    const cal = d.calibration!;
    expect(cal).toMatchObject({ source: 'split-run', n: 9, bins: 10 });
    expect(cal.reliability).toHaveLength(10);
    expect(cal.reliability.reduce((s, b) => s + b.n, 0)).toBe(9);
    const ece = cal.reliability.reduce((s, b) => s + (b.n ? (b.n / 9) * Math.abs(b.accuracy! - b.confidence!) : 0), 0);
    expect(cal.ece).toBeCloseTo(ece, 9);
    expect(cal.ece).toBeGreaterThanOrEqual(0);
    expect(cal.ece).toBeLessThanOrEqual(1);
    // A version trained before calibration was recorded: computed on demand with the shipped model, then kept.
    core.db.prepare(`UPDATE model_versions SET metrics_json = json_remove(metrics_json, '$.calibration') WHERE id = ?`).run(v1);
    const again = (await core.api.getModelVersion(v1)).calibration!;
    expect(again).toMatchObject({ source: 'recomputed', n: 9, bins: 10 });
    expect(JSON.parse(core.db.prepare(`SELECT metrics_json FROM model_versions WHERE id = ?`).pluck().get(v1) as string).calibration.source).toBe('recomputed');
    // Put the split-run figures back for the rest.
    core.db.prepare(`UPDATE model_versions SET metrics_json = json_set(metrics_json, '$.calibration', json(?)) WHERE id = ?`).run(JSON.stringify(cal), v1);
  }, 60_000);

  it('exports the ONNX files and manifest into a new folder, refuses a non-empty one, and audit-logs it', async () => {
    const r = await core.api.exportModelVersion(v1, out());
    expect(r.files[0]).toBe('student.json');
    expect(r.files).toContain('head.onnx');
    expect(readdirSync(out()).sort()).toEqual([...r.files].sort());
    expect(r.bytes).toBe(r.files.reduce((s, f) => s + statSync(join(out(), f)).size, 0));
    expect(JSON.parse(readFileSync(join(out(), 'student.json'), 'utf8'))).toMatchObject({ format: 'emma-student', labels: CLASSES });
    const again = await dispatch(core.api, 'exportModelVersion', [v1, out()]);
    expect(again).toMatchObject({ ok: false, error: { code: 'invalid_arguments', message: expect.stringMatching(/not empty/) } });
    expect((await dispatch(core.api, 'exportModelVersion', [999, join(tmp.dir, 'x')])).ok).toBe(false);
    const audit = core.db.prepare(`SELECT actor, details_json FROM audit_log WHERE action = 'model.export'`).all() as { actor: string; details_json: string }[];
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].details_json)).toMatchObject({ version: v1, dir: out() });
  });

  it('imports it as a completed, inactive version with no parent that gives the same probabilities', async () => {
    const s = await core.api.importModelVersion(out());
    imported = s.id;
    expect(s).toMatchObject({ status: 'completed', active: false, parentId: null, preset: 'imported', classes: CLASSES });
    const d = await core.api.getModelVersion(imported);
    expect(d.data.split).toBe(`imported from ${out()}`);
    expect(d.data.importedFrom).toBe(out());
    expect(d.calibration).toBeNull(); // no validation images of its own
    expect(d.dir).toMatch(new RegExp(`models[/\\\\]v${imported}$`));
    const paths = CLASSES.flatMap((c) => pick(c, 40, 2));
    const imgs = [];
    const a = loadStudent((await core.api.getModelVersion(v1)).dir!);
    for (const p of paths) imgs.push(await readForStudent(p, undefined, a.stem.config.maxSide));
    const pa = await probabilities(a, imgs);
    const pb = await probabilities(loadStudent(d.dir!), imgs);
    expect(pb.length).toBe(paths.length * 3);
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(1e-5);
    // The operator can make it the active one.
    const act = await core.api.activateModelVersion(imported);
    expect(act).toMatchObject({ active: { id: imported, active: true }, previous: v1 });
    expect(core.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'model.import'`).pluck().get()).toBe(1);
  }, 120_000);

  it('refuses a truncated ONNX or a broken manifest with a clear error, adding nothing', async () => {
    const before = (await core.api.listModelVersions()).length;
    const modelsBefore = readdirSync(join(tmp.dir, 'models')).sort();
    const broken = join(tmp.dir, 'broken');
    cpSync(out(), broken, { recursive: true });
    const size = statSync(join(broken, 'head.onnx')).size;
    truncateSync(join(broken, 'head.onnx'), Math.floor(size / 2));
    const r = await dispatch(core.api, 'importModelVersion', [broken]);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'invalid_model', message: expect.stringMatching(/onnxruntime cannot load head\.onnx.*nothing was imported/) },
    });
    const bad = join(tmp.dir, 'bad-manifest');
    mkdirSync(bad);
    writeFileSync(join(bad, 'student.json'), '{"format":"something else"}');
    expect(await dispatch(core.api, 'importModelVersion', [bad])).toMatchObject({
      ok: false,
      error: { code: 'invalid_model', message: expect.stringMatching(/not an emma-student/) },
    });
    expect((await dispatch(core.api, 'importModelVersion', [join(tmp.dir, 'nowhere')])).ok).toBe(false);
    expect((await core.api.listModelVersions()).length).toBe(before);
    expect(readdirSync(join(tmp.dir, 'models')).sort()).toEqual(modelsBefore);
    expect(core.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'model.import.refused'`).pluck().get()).toBe(3);
  }, 60_000);
  it('the CLI exports and imports versions through the same API (emma models --export/--import/--activate)', () => {
    const db = join(tmp.dir, 'emma.sqlite');
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args, '--db', db, '--json'], {
        encoding: 'utf8',
        cwd: repoRoot,
        timeout: 120_000,
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const dir = join(tmp.dir, 'cli-export');
    const exp = cli('models', '--export', `v${v1}`, '--out', dir);
    expect(exp.code, exp.err).toBe(0);
    const info = JSON.parse(exp.out);
    expect(info).toMatchObject({ version: v1, dir });
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['student.json', 'head.onnx']));
    const imp = cli('models', '--import', dir);
    expect(imp.code, imp.err).toBe(0);
    const added = JSON.parse(imp.out) as { id: number; active: boolean };
    expect(added.active).toBe(false);
    const act = cli('models', '--activate', String(added.id));
    expect(act.code, act.err).toBe(0);
    const listed = JSON.parse(act.out) as { versions: { id: number; active: boolean }[] };
    expect(listed.versions.find((v) => v.active)?.id).toBe(added.id);
    // A bad id is a clear error, not a crash.
    const bad = cli('models', '--export', 'vx', '--out', join(tmp.dir, 'x'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/not a model version/);
  }, 120_000);
});
