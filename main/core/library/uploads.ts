// The uploads folder: files that arrived as bytes (browser drops) rather than as paths on this machine.
// Each streamed upload lives in its own folder named by a random id, so a name the client chose never decides
// where a file lands, and an upload is found again by its id alone.
import { randomBytes } from 'node:crypto';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Db } from '../db/database.js';

export const UPLOAD_ID = /^[0-9a-f]{32}$/;

export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/** A file name safe on every platform, from whatever the client sent; never empty, never hidden. */
export function safeFileName(name: string, fallback = 'upload'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const safe = base
    .replace(/[^\w.\- ]+/g, '_')
    .replace(/^[.\s]+/, '_')
    .slice(0, 200)
    .trim();
  return safe || fallback;
}

/** Where a new streamed upload goes; the folder does not exist yet. */
export function newUpload(dataDir: string, name: string): { id: string; dir: string; path: string } {
  const id = randomBytes(16).toString('hex');
  const dir = join(uploadsDir(dataDir), id);
  return { id, dir, path: join(dir, safeFileName(name)) };
}

/** The finished file of an upload, or null (unknown id, still arriving, or already removed). */
export async function uploadedFile(dataDir: string, id: string): Promise<string | null> {
  if (!UPLOAD_ID.test(id)) return null;
  const dir = join(uploadsDir(dataDir), id);
  try {
    const names = (await readdir(dir)).filter((n) => !n.endsWith('.part'));
    return names.length === 1 ? join(dir, names[0]) : null;
  } catch {
    return null;
  }
}

/**
 * Deletes uploaded copies that no image refers to (the import failed, found a duplicate or was cancelled), and
 * their folders once empty: the uploads folder keeps only files the library uses.
 */
export async function removeUnreferencedUploads(db: Db, paths: readonly string[]): Promise<number> {
  const used = db.prepare(`SELECT 1 FROM images WHERE path = ? LIMIT 1`);
  let removed = 0;
  const dirs = new Set<string>();
  for (const path of paths) {
    if (used.get(path)) continue;
    await rm(path, { force: true });
    removed++;
    dirs.add(dirname(path));
  }
  for (const dir of dirs) await rmdir(dir).catch(() => undefined);
  return removed;
}

/**
 * Upload folders that no image uses and that are older than `olderThanMs` (a browser closed mid-batch, a crash
 * between upload and import): removed at server start, so uploads/ does not fill with orphans.
 */
export async function sweepStaleUploads(db: Db, dataDir: string, olderThanMs = 3600_000, now = Date.now()): Promise<number> {
  const root = uploadsDir(dataDir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  const used = db.prepare(`SELECT 1 FROM images WHERE path = ? OR path LIKE ? ESCAPE '\\' LIMIT 1`);
  let removed = 0;
  for (const name of names) {
    if (!UPLOAD_ID.test(name)) continue; // older batch folders (startUpload) are left as they are
    const dir = join(root, name);
    try {
      if (now - (await stat(dir)).mtimeMs < olderThanMs) continue;
      if (used.get(dir, `${dir.replace(/[\\%_]/g, '\\$&')}/%`)) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
