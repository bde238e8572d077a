// What a quick update reuses from the active version, and the bookkeeping that makes reuse safe: the stem identity
// each version records (features.ts), which cached stems to keep, and the vision-language part, which is copied
// unchanged only when retraining it would learn from exactly the same reviewed text on the same stem.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudent, type StudentManifest } from '../../../native-models/index.js';
import type { Db } from '../db/database.js';
import { readConfig } from '../teacher/settings.js';
import { pruneFeatureCache, stemHash } from './features.js';
import { languageRows, type LanguageManifest } from './language.js';
import { listVersions, type ModelVersion } from './versions.js';

/** Completed versions, newest first, whose stems' cached features are kept (besides the active one and runs in progress). */
const KEEP_NEWEST_STEMS = 3;

/** The stem identity of a version: recorded at training time, else computed from its files (null when unreadable). */
export function versionStemHash(v: ModelVersion): string | null {
  if (typeof v.hyperparams.stemHash === 'string') return v.hyperparams.stemHash;
  if (!v.dir) return null;
  try {
    return stemHash(loadStudent(v.dir).stem);
  } catch {
    return null;
  }
}

/**
 * Drops cached features of stems no version needs soon: kept are the active version's stem, those of runs in
 * progress, and those of the newest completed versions (a rollback to an older one recomputes once). Returns rows deleted.
 */
export function pruneUnusedStems(db: Db): number {
  const all = listVersions(db);
  const completed = all.filter((v) => v.status === 'completed').reverse();
  const keep = new Set<string>();
  for (const v of [...all.filter((x) => x.active || x.status === 'training'), ...completed.slice(0, KEEP_NEWEST_STEMS)]) {
    const h = versionStemHash(v);
    if (h) keep.add(h);
  }
  return pruneFeatureCache(db, keep);
}

type Manifest = StudentManifest & { language?: LanguageManifest & { trainingKey?: string; carriedFrom?: number } };

/**
 * Identity of what the language part learns from: the reviewed texts (languageRows), the teacher's image scale its
 * measurements use, and the stem. Equal keys = retraining would learn from the same data. The language preset is
 * left out on purpose: a quick update asked with a lighter preset keeps the part it has rather than a smaller one.
 */
export function languageTrainingKey(db: Db, stem: string): string {
  const data = { rows: languageRows(db), measureMaxSide: readConfig(db).maxImageSide, stem };
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'student.json'), 'utf8')) as Manifest;
}

function writeLanguage(dir: string, language: Manifest['language']): void {
  const path = join(dir, 'student.json');
  writeFileSync(path, `${JSON.stringify({ ...readManifest(dir), language }, null, 2)}\n`);
}

const NORM_FILE = 'vlm-norm.f32';

/**
 * After saveLanguage: records the training key and writes the part's own image standardisation (the classifier's
 * at training time), so a later version with another head can carry the part over unchanged.
 */
export function annotateLanguage(dir: string, norm: { mean: readonly number[]; std: readonly number[] }, trainingKey: string): void {
  const l = readManifest(dir).language;
  if (!l) return;
  writeFileSync(join(dir, NORM_FILE), Buffer.from(Float32Array.from([...norm.mean, ...norm.std]).buffer));
  writeLanguage(dir, { ...l, files: { ...l.files, norm: NORM_FILE }, trainingKey });
}

export type Carry = { ok: true; manifest: NonNullable<Manifest['language']> } | { ok: false; reason: string };

/** Whether `fromDir`'s language part can be copied unchanged: present, complete, and trained from what retraining would use now. */
export function carryableLanguage(fromDir: string, trainingKey: string): Carry {
  let m: Manifest;
  try {
    m = readManifest(fromDir);
  } catch {
    return { ok: false, reason: 'its manifest is unreadable' };
  }
  const l = m.language;
  if (!l) return { ok: false, reason: 'it has no language part' };
  // Both written by annotateLanguage; versions from before it cannot show what they learned from.
  if (!l.trainingKey || !l.files.norm) return { ok: false, reason: 'it does not record what its language part learned from' };
  if (l.trainingKey !== trainingKey) return { ok: false, reason: 'the reviewed captions and Q&A changed since' };
  const missing = Object.values(l.files).find((f) => !existsSync(join(fromDir, f)));
  if (missing) return { ok: false, reason: `its ${missing} is missing` };
  return { ok: true, manifest: l };
}

/** Copies a carryable language part into `dir` (student.json written already) and records carriedFrom there. */
export function carryLanguage(fromDir: string, fromVersion: number, dir: string, l: NonNullable<Manifest['language']>): NonNullable<Manifest['language']> {
  for (const f of Object.values(l.files)) copyFileSync(join(fromDir, f), join(dir, f));
  const manifest = { ...l, carriedFrom: fromVersion };
  writeLanguage(dir, manifest);
  return manifest;
}
