// The learnt segmenter as a file of a model version: `<version dir>/segmenter.json`.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelVersionSummary } from '../contract.js';
import type { Db } from '../db/database.js';
import { activeVersion } from '../student/versions.js';
import { parsePixelModel, type PixelModel } from './pixel-model.js';

export const SEGMENTER_FILE = 'segmenter.json';

export async function writeSegmenter(dir: string, model: PixelModel): Promise<string> {
  const path = join(dir, SEGMENTER_FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(model));
  await rename(tmp, path);
  return path;
}

export async function readSegmenter(path: string): Promise<PixelModel> {
  return parsePixelModel(JSON.parse(await readFile(path, 'utf8')));
}

/**
 * The segmenter in use, or null (then the classical default measures): the newer of the active version's
 * segmenter and the newest segmenter-only version's (a library with masks and no class labels). Every
 * training run keeps the better of its new segmenter and this one, so the newest is the best known.
 */
export async function activeSegmenter(db: Db): Promise<{ model: PixelModel; version: string; path: string } | null> {
  const best = segmenterVersionInUse(db);
  if (!best) return null;
  const path = join(best.dir, SEGMENTER_FILE);
  return { model: await readSegmenter(path), version: `v${best.id}`, path };
}

/** The version whose segmenter measures (see activeSegmenter), without reading the model file; null: the classical default. */
export function segmenterVersionInUse(db: Db): { id: number; dir: string } | null {
  const candidates: { id: number; dir: string }[] = [];
  const v = activeVersion(db);
  if (v?.dir && existsSync(join(v.dir, SEGMENTER_FILE))) candidates.push({ id: v.id, dir: v.dir });
  const only = db
    .prepare(
      `SELECT id, dir FROM model_versions WHERE status = 'completed' AND dir IS NOT NULL
         AND json_extract(hyperparams_json, '$.mode') = 'segmenter' ORDER BY id DESC LIMIT 1`,
    )
    .get() as { id: number; dir: string } | undefined;
  if (only && existsSync(join(only.dir, SEGMENTER_FILE))) candidates.push(only);
  if (candidates.length === 0) return null;
  return candidates.reduce((a, b) => (b.id > a.id ? b : a));
}

/** The model versions list with which versions hold a segmenter, which trained it alone, and the one in use. */
export function withSegmenterUse(db: Db, versions: ModelVersionSummary[]): ModelVersionSummary[] {
  const inUse = segmenterVersionInUse(db)?.id ?? null;
  const rows = db.prepare(`SELECT id, dir, json_extract(hyperparams_json, '$.mode') AS mode FROM model_versions`).all() as {
    id: number;
    dir: string | null;
    mode: string | null;
  }[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return versions.map((v) => {
    const r = byId.get(v.id);
    const present = !!r?.dir && existsSync(join(r.dir, SEGMENTER_FILE));
    return { ...v, segmenter: { present, inUse: v.id === inUse, only: r?.mode === 'segmenter' } };
  });
}
