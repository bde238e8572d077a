// A model version as files for others (the central ML team) and back: export copies the version's inference
// ONNX files, its manifest (student.json) and the raw weights/tokenizer it names into a new folder; import checks
// such a folder (manifest, every named file, every ONNX loaded by onnxruntime, one inference) before anything is
// added, then copies it under <data dir>/models/v<id>/ as a new completed, inactive version with no parent.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { classifyFeatures, loadStudent, type StudentManifest } from '../../../native-models/index.js';
import { featureSize } from '../../../native-models/index.js';
import { openSession } from '../../../native-models/index.js';
import type { Db } from '../db/database.js';
import type { LanguageManifest } from './language.js';
import { getVersion, registerImported, removeVersionRow, setVersionFiles } from './versions.js';
import { CoreError } from '../errors.js';

export class ModelTransferError extends CoreError<'not_found' | 'invalid_state' | 'invalid_arguments' | 'invalid_model'> {
  constructor(code: 'not_found' | 'invalid_state' | 'invalid_arguments' | 'invalid_model', message: string) {
    super(code, message);
  }
}

type Manifest = StudentManifest & { language?: LanguageManifest };

export interface ExportedVersion {
  version: number;
  dir: string;
  files: string[];
  bytes: number;
}

/** Files a student folder consists of: the manifest first, then what it names (language part included). */
function filesOf(m: Manifest, dir?: string): string[] {
  const named = [...Object.values(m.files ?? {}), ...Object.values(m.language?.files ?? {})];
  // Optional files not named by the manifest (older versions lack them): the chat's question layer.
  const optional = dir ? OPTIONAL_FILES.filter((f) => existsSync(join(dir, f))) : [];
  return ['student.json', ...new Set([...named, ...optional])];
}

const OPTIONAL_FILES = ['intent.json'];

export function exportVersion(db: Db, id: number, outDir: string): ExportedVersion {
  const v = getVersion(db, id);
  if (!v) throw new ModelTransferError('not_found', `No model version ${id}.`);
  if (v.status !== 'completed' || !v.dir) throw new ModelTransferError('invalid_state', `Model version ${id} is ${v.status}: there is nothing to export.`);
  const out = resolve(outDir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new ModelTransferError('invalid_arguments', `${out} exists and is not a folder.`);
    if (readdirSync(out).length > 0) throw new ModelTransferError('invalid_arguments', `${out} is not empty: export into a new or empty folder.`);
  }
  const m = JSON.parse(readFileSync(join(v.dir, 'student.json'), 'utf8')) as Manifest;
  const files = filesOf(m, v.dir);
  for (const f of files) if (!existsSync(join(v.dir, f))) throw new ModelTransferError('invalid_state', `Model version ${id} is missing ${f} in ${v.dir}.`);
  mkdirSync(out, { recursive: true });
  let bytes = 0;
  for (const f of files) {
    copyFileSync(join(v.dir, f), join(out, f));
    bytes += statSync(join(out, f)).size;
  }
  return { version: id, dir: out, files, bytes };
}

/** Throws ModelTransferError('invalid_model') unless `dir` holds a usable student: manifest, files, ONNX, one inference. */
export async function validateStudentDir(dir: string): Promise<Manifest> {
  const bad = (why: string) => new ModelTransferError('invalid_model', `${dir}: ${why}; nothing was imported.`);
  const path = join(dir, 'student.json');
  if (!existsSync(path)) throw bad('no student.json manifest (export a version from Emma to get one)');
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw bad(`student.json is not JSON (${(e as Error).message})`);
  }
  if (m.format !== 'emma-student' || m.version !== 1) throw bad('student.json is not an emma-student v1 manifest');
  if (!Array.isArray(m.labels) || m.labels.length < 2 || !m.labels.every((l) => typeof l === 'string' && l.length > 0))
    throw bad('the manifest lists fewer than 2 class labels');
  if (!m.files || !m.stem || !m.head) throw bad("the manifest lacks 'files', 'stem' or 'head'");
  if (m.head.classes !== m.labels.length) throw bad(`the head has ${m.head.classes} outputs for ${m.labels.length} labels`);
  const files = filesOf(m);
  for (const f of files) {
    if (typeof f !== 'string' || basename(f) !== f) throw bad(`file name '${String(f)}' is not a plain file name`);
    if (!existsSync(join(dir, f))) throw bad(`${f} is missing`);
  }
  for (const f of files.filter((x) => x.endsWith('.onnx'))) {
    try {
      const s = await openSession(join(dir, f), { providers: ['cpu'] });
      await s.session.release();
    } catch (e) {
      throw bad(`onnxruntime cannot load ${f} (${(e as Error).message.split('\n')[0]})`);
    }
  }
  try {
    const s = loadStudent(dir);
    const D = featureSize(s.stem.config);
    if (D !== s.manifest.head.features) throw new Error(`stem gives ${D} features, head expects ${s.manifest.head.features}`);
    const p = await classifyFeatures(s.classifier, s.stem.config, new Float32Array(D), 1, s.headOnnx, { providers: ['cpu'] });
    if (p.probs.length !== m.labels.length || !Array.from(p.probs).every(Number.isFinite)) throw new Error('the head gives no finite probabilities');
  } catch (e) {
    if (e instanceof ModelTransferError) throw e;
    throw bad(`the model does not run (${(e as Error).message.split('\n')[0]})`);
  }
  return m;
}

/** Registers a checked copy of `srcDir` as a new completed, inactive version (parent null). */
export async function importVersion(db: Db, dataDir: string, srcDir: string): Promise<number> {
  const src = resolve(srcDir);
  if (!existsSync(src) || !statSync(src).isDirectory()) throw new ModelTransferError('invalid_arguments', `${src} is not a folder.`);
  const m0 = await validateStudentDir(src);
  // Copy first, check the copy (what is registered is exactly what was checked), then number it.
  const staging = resolve(dataDir, 'models', `import-${Date.now()}-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  let id: number | null = null;
  try {
    for (const f of filesOf(m0, src)) copyFileSync(join(src, f), join(staging, f));
    const m = await validateStudentDir(staging);
    const training = (m.training ?? {}) as Record<string, unknown>;
    id = registerImported(db, {
      source: src,
      labels: m.labels,
      metrics: {
        importedFrom: src,
        originalVersion: training.version ?? null,
        originalValAccuracy: training.valAccuracy ?? null,
        language: m.language ? { config: m.language.config } : null,
      },
      hyperparams: { preset: 'imported', stem: m.stem, head: m.head, options: m.options },
    });
    const dir = resolve(dataDir, 'models', `v${id}`);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    setVersionFiles(db, id, { dir, manifestPath: join(dir, 'student.json'), onnxPath: join(dir, m.files.head) });
    return id;
  } catch (e) {
    if (id !== null) removeVersionRow(db, id);
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
