// The learnt segmenter as a file of a model version: `<version dir>/segmenter.json`.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The active model version's segmenter, or null (then the classical default measures). */
export async function activeSegmenter(db: Db): Promise<{ model: PixelModel; version: string; path: string } | null> {
  const v = activeVersion(db);
  if (!v?.dir) return null;
  const path = join(v.dir, SEGMENTER_FILE);
  if (!existsSync(path)) return null;
  return { model: await readSegmenter(path), version: `v${v.id}`, path };
}
