import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { ImportFailure, ImportReport, ImportSkip } from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { damageOf } from '../db/integrity.js';
import { inspectWithThumbnail, type ImageInspection } from './inspect.js';
import { thumbnailPath } from './media-cache.js';

export interface ImportOptions {
  paths: string[];
  labelsFromFolders?: boolean;
  dataDir: string;
  jobId?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
  /** Files decoded at once; sharp runs on libuv's pool, so a small number keeps the process responsive. */
  concurrency?: number;
  /** Whether a symbolic link met inside a folder may be followed to this real path (lab-server confinement). */
  allowLinkTarget?: (realPath: string) => boolean;
}

interface Candidate {
  path: string;
  /** Class name from `<root>/<class>/...` when importing ImageFolder trees. */
  folderLabel: string | null;
}

const IMAGE_EXTENSIONS = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp']);

/** What a file-system entry is, in words, when it is not a regular file or a folder (FIFO, device, socket). */
function specialKind(s: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a file or folder';
}

/**
 * Collects the files to import. Unreadable roots and paths that are not regular files become failures; what a
 * folder walk passes over on purpose (hidden entries, non-images, FIFOs, devices) is listed as skipped, with why.
 * Only regular files are ever opened: reading a FIFO or /dev/zero would never end.
 */
async function collect(
  paths: string[],
  labelsFromFolders: boolean,
  failed: ImportFailure[],
  notes: ImportReport['notes'],
  skipped: ImportSkip[],
  allowLinkTarget?: (realPath: string) => boolean,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  // Folders already walked, by real path: symbolic links are followed (lab servers link data into project
  // folders), and a link back up the tree is walked once, not forever.
  const seen = new Set<string>();
  const walk = async (root: string, dir: string): Promise<void> => {
    try {
      const real = await realpath(dir);
      if (seen.has(real)) return;
      seen.add(real);
    } catch {
      // readdir below reports the folder as unreadable
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      failed.push({ path: dir, error: `cannot read folder: ${(e as Error).message}` });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.name.startsWith('.')) {
        skipped.push({ path: full, reason: entry.isDirectory() ? 'hidden folder (not walked)' : 'hidden file' });
        continue;
      }
      let kind: { isDirectory(): boolean; isFile(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean } = entry;
      if (entry.isSymbolicLink()) {
        try {
          if (allowLinkTarget && !allowLinkTarget(await realpath(full))) {
            failed.push({ path: full, error: 'link leads outside the data folders: not followed' });
            continue;
          }
          kind = await stat(full);
        } catch (e) {
          failed.push({ path: full, error: `broken link: ${(e as Error).message}` });
          continue;
        }
      }
      if (kind.isDirectory()) {
        await walk(root, full);
      } else if (kind.isFile()) {
        const ext = extname(entry.name).toLowerCase();
        if (!IMAGE_EXTENSIONS.has(ext)) {
          skipped.push({ path: full, reason: `not an image file (${ext ? `extension ${ext}` : 'no extension'})` });
          continue;
        }
        const rel = relative(root, full).split(sep);
        const folderLabel = labelsFromFolders && rel.length >= 2 ? rel[0] : null;
        out.push({ path: full, folderLabel });
      } else {
        skipped.push({ path: full, reason: `not a regular file: ${specialKind(kind)}` });
      }
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let s;
    try {
      s = await stat(abs);
    } catch (e) {
      failed.push({ path: abs, error: `not found or unreadable: ${(e as Error).message}` });
      continue;
    }
    if (s.isDirectory()) await walk(abs, abs);
    else if (s.isFile()) out.push({ path: abs, folderLabel: labelsFromFolders ? basename(dirname(abs)) : null });
    else failed.push({ path: abs, error: `not a regular file: ${specialKind(s)}; only image files and folders can be imported` });
  }
  return out;
}

async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  // Non-blocking open, then a check on what was opened: a file swapped for a FIFO after the walk must not hang us.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new Error(`not a regular file: ${specialKind(s)}`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/**
 * Writes a file so that it is either complete or absent: temp file, (fsync), rename.
 * `durable: false` skips the fsync for caches that can be rebuilt (thumbnails, previews).
 */
export async function writeFileAtomic(path: string, data: Buffer, options: { durable?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, data);
  if (options.durable ?? true) {
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await rename(tmp, path);
}

/** Ensures a class exists in the taxonomy and returns its id. */
export function ensureClass(db: Db, name: string): number {
  const found = db.prepare(`SELECT id FROM classes WHERE name = ?`).get(name) as { id: number } | undefined;
  if (found) return found.id;
  return Number(db.prepare(`INSERT INTO classes (name, created_at) VALUES (?, ?)`).run(name, nowIso()).lastInsertRowid);
}

function addFolderLabel(db: Db, imageId: number, className: string): boolean {
  const classId = ensureClass(db, className);
  const exists = db
    .prepare(`SELECT 1 FROM labels WHERE image_id = ? AND class_id = ? AND source = 'human' AND status != 'rejected'`)
    .get(imageId, classId);
  if (exists) return false;
  db.prepare(
    `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at)
     VALUES (?, ?, 'human', 'folder import', 'accepted', NULL, ?)`,
  ).run(imageId, classId, nowIso());
  return true;
}

function insertImage(db: Db, c: Candidate, info: ImageInspection, sha256: string, size: number, jobId: number | null): number {
  return Number(
    db
      .prepare(
        `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, pages,
           pixel_size_nm, magnification, kv, wd_mm, detector, instrument, vendor, acquired_at,
           databar_y, databar_height, metadata_json, imported_at, import_job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sha256,
        c.path,
        basename(c.path),
        size,
        info.format,
        info.width,
        info.height,
        info.bitDepth,
        info.pages,
        info.pixelSizeNm,
        info.magnification,
        info.kV,
        info.workingDistanceMm,
        info.detector,
        info.instrument,
        info.vendor,
        info.acquiredAt,
        info.dataBar?.y ?? null,
        info.dataBar?.height ?? null,
        JSON.stringify(info.metadataRaw ?? {}),
        nowIso(),
        jobId,
      ).lastInsertRowid,
  );
}

/**
 * Imports files and folders: hash (dedupe by content), read metadata and data bar, write the thumbnail,
 * then insert the row in one transaction. A bad file is reported with its reason and skipped; the rest import.
 */
/** Which file a duplicate matched, so the report can say it (bounded: a re-import of a huge tree stays small). */
function noteDuplicate(report: ImportReport, path: string, existing: string): void {
  const list = (report.duplicateOf ??= []);
  if (list.length < 5000) list.push({ path, existing });
}

export async function importPaths(db: Db, options: ImportOptions): Promise<ImportReport> {
  const failed: ImportFailure[] = [];
  const notes: ImportReport['notes'] = [];
  const skipped: ImportSkip[] = [];
  const report: ImportReport = { imported: 0, duplicates: 0, failed, notes, cancelled: false, skipped };
  options.onProgress?.(0, 0, 'looking for images');
  const candidates = await collect(options.paths, options.labelsFromFolders ?? false, failed, notes, skipped, options.allowLinkTarget);
  const total = candidates.length;
  let done = 0;
  let next = 0;
  const concurrency = Math.max(1, options.concurrency ?? 2);

  const one = async (c: Candidate): Promise<void> => {
    const { sha256, size } = await sha256File(c.path);
    const existing = db.prepare(`SELECT id, path FROM images WHERE sha256 = ?`).get(sha256) as { id: number; path: string } | undefined;
    if (existing) {
      report.duplicates++;
      noteDuplicate(report, c.path, existing.path);
      // Re-importing a labelled tree labels images that were first imported unlabelled.
      if (existing && c.folderLabel) db.transaction(() => addFolderLabel(db, existing.id, c.folderLabel!))();
      return;
    }
    // One decode gives the metadata, the data bar and the thumbnail.
    const { info, thumbnail } = await inspectWithThumbnail(c.path, { thumbnail: { maxSide: 256 } });
    if (info.pages > 1) notes.push({ path: c.path, note: `multi-page TIFF: ${info.pages} pages, first page imported` });
    await writeFileAtomic(thumbnailPath(options.dataDir, sha256), thumbnail, { durable: false });
    try {
      db.transaction(() => {
        const id = insertImage(db, c, info, sha256, size, options.jobId ?? null);
        if (c.folderLabel) addFolderLabel(db, id, c.folderLabel);
      })();
    } catch (e) {
      // The same content twice in one batch: the other copy won the race to insert.
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        report.duplicates++;
        noteDuplicate(report, c.path, (db.prepare(`SELECT path FROM images WHERE sha256 = ?`).get(sha256) as { path: string } | undefined)?.path ?? '?');
        return;
      }
      throw e;
    }
    report.imported++;
  };

  // A damaged database stops the whole import (files are fine; the library is not): no file is reported as failed for it.
  let fatal: Error | null = null;
  const worker = async (): Promise<void> => {
    while (next < candidates.length && !fatal) {
      if (options.signal?.aborted) {
        report.cancelled = true;
        return;
      }
      const c = candidates[next++];
      try {
        await one(c);
      } catch (e) {
        const damage = damageOf(e, db.name);
        if (damage) {
          fatal ??= damage;
          return;
        }
        failed.push({ path: c.path, error: e instanceof Error ? e.message : String(e) });
      }
      done++;
      options.onProgress?.(done, total, basename(c.path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker));
  if (fatal) throw fatal;
  if (options.signal?.aborted && done < total) report.cancelled = true;
  options.onProgress?.(done, total, report.cancelled ? 'cancelled' : 'done');
  return report;
}
