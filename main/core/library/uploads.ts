// The uploads folder: files that arrived as bytes (browser drops) rather than as paths on this machine.
// Each streamed upload lives in its own folder named by a random id, so a name the client chose never decides
// where a file lands, and an upload is found again by its id alone.
import { randomBytes } from 'node:crypto';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Db } from '../db/database.js';

export const UPLOAD_ID = /^[0-9a-f]{32}$/;

export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/** A file name safe on every platform, from whatever the client sent; never empty, never hidden. */
export function safeFileName(name: string, fallback = 'upload'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[^\w.\- ]+/g, '_').replace(/^[.\s]+/, '_').slice(0, 200).trim();
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
