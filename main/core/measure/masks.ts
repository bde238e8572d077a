// Particle masks stored per library image (migration 008), and their import from a folder of files.
// A mask file is matched to a library image by name: `<stem>.tif|tiff|png` or `<stem>_m.tif|tiff|png`
// where <stem> is the image's file name without extension; its size must equal the image's.
// Every file that cannot be used is reported with the reason; the others import.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Db } from '../db/database.js';
import { CoreError } from '../errors.js';
import { LINK_OUTSIDE, linkRefused, type LinkRule } from '../util/links.js';
import { readMaskFile, MaskFileError } from './mask-file.js';

export interface StoredMask {
  imageId: number;
  width: number;
  height: number;
  particles: number;
  kind: 'binary' | 'labels' | 'drawn';
  labels: Int32Array;
  sourcePath: string | null;
  importedAt: string;
  importedBy: string;
}

export interface MaskImportReport {
  imported: { file: string; imageId: number; image: string; particles: number; replaced: boolean }[];
  failed: { file: string; error: string }[];
  /** Files in the folder that are not images (ignored). */
  skipped: string[];
}

const MASK_EXT = new Set(['.tif', '.tiff', '.png']);

/** The image stem a mask file name refers to: `a_m.tif` and `a.tif` both name stem `a`. */
export function maskStem(fileName: string): { stem: string; suffixed: boolean } {
  const s = basename(fileName, extname(fileName));
  return s.endsWith('_m') ? { stem: s.slice(0, -2), suffixed: true } : { stem: s, suffixed: false };
}

function encodeLabels(labels: Int32Array): Buffer {
  const u = Uint32Array.from(labels);
  return deflateSync(Buffer.from(u.buffer, u.byteOffset, u.byteLength));
}

function decodeLabels(blob: Buffer, n: number): Int32Array {
  const raw = inflateSync(blob);
  if (raw.length !== 4 * n) throw new Error(`stored mask holds ${raw.length / 4} pixels, expected ${n}`);
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return new Int32Array(copy.buffer);
}

export function saveMask(
  db: Db,
  m: { imageId: number; width: number; height: number; labels: Int32Array; particles: number; kind: StoredMask['kind'] },
  provenance: { sourcePath: string | null; sourceSha256: string | null; by: string },
): boolean {
  const existed = db.prepare(`SELECT 1 FROM image_masks WHERE image_id = ?`).get(m.imageId) !== undefined;
  db.prepare(
    `INSERT INTO image_masks (image_id, width, height, particles, kind, labels, source_path, source_sha256, imported_at, imported_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET width = excluded.width, height = excluded.height, particles = excluded.particles,
       kind = excluded.kind, labels = excluded.labels, source_path = excluded.source_path,
       source_sha256 = excluded.source_sha256, imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
  ).run(
    m.imageId,
    m.width,
    m.height,
    m.particles,
    m.kind,
    encodeLabels(m.labels),
    provenance.sourcePath,
    provenance.sourceSha256,
    new Date().toISOString(),
    provenance.by,
  );
  return existed;
}

interface MaskRow {
  image_id: number;
  width: number;
  height: number;
  particles: number;
  kind: StoredMask['kind'];
  labels: Buffer;
  source_path: string | null;
  imported_at: string;
  imported_by: string;
}

function fromRow(r: MaskRow): StoredMask {
  return {
    imageId: r.image_id,
    width: r.width,
    height: r.height,
    particles: r.particles,
    kind: r.kind,
    labels: decodeLabels(r.labels, r.width * r.height),
    sourcePath: r.source_path,
    importedAt: r.imported_at,
    importedBy: r.imported_by,
  };
}

export function loadMask(db: Db, imageId: number): StoredMask | null {
  const r = db.prepare(`SELECT * FROM image_masks WHERE image_id = ?`).get(imageId) as MaskRow | undefined;
  return r ? fromRow(r) : null;
}

/** Image ids that have a mask, in id order. */
export function maskedImageIds(db: Db): number[] {
  return (db.prepare(`SELECT image_id FROM image_masks ORDER BY image_id`).all() as { image_id: number }[]).map((r) => r.image_id);
}

export function countMasks(db: Db): number {
  return (db.prepare(`SELECT count(*) AS n FROM image_masks`).get() as { n: number }).n;
}

/** Progress and cancellation of a mask import run as a job (`startMaskImport`). */
export interface MaskImportOptions {
  signal?: AbortSignal;
  /** Lab-server mode: whether a file of the folder that is a link may be read at its real path (CoreOptions.allowLinkTarget). */
  allowLinkTarget?: LinkRule;
  onProgress?: (done: number, total: number, message: string) => void;
}

/** Imports every mask file of a folder (not recursive), matched to library images by file stem. */
export async function importMasks(db: Db, dir: string, by: string, o: MaskImportOptions = {}): Promise<MaskImportReport> {
  const report: MaskImportReport = { imported: [], failed: [], skipped: [] };
  const root = resolve(dir);
  const st = await stat(root).catch(() => null);
  if (!st) throw new CoreError('not_found', `${root}: no such folder`);
  const files = st.isDirectory() ? (await readdir(root)).sort().map((f) => join(root, f)) : [root];
  const images = db.prepare(`SELECT id, file_name, path, width, height FROM images`).all() as {
    id: number;
    file_name: string;
    path: string;
    width: number;
    height: number;
  }[];
  const byStem = new Map<string, typeof images>();
  for (const im of images) {
    const stem = basename(im.file_name, extname(im.file_name));
    byStem.set(stem, [...(byStem.get(stem) ?? []), im]);
  }
  // `<stem>.tif` in a masks folder could be the image itself copied beside its mask: when both
  // `<stem>_m.*` and `<stem>.*` exist, the suffixed one is the mask.
  const names = new Set(files.map((f) => basename(f)));
  for (const [i, file] of files.entries()) {
    // A cancelled import keeps the masks stored so far (each is its own transaction) and reports them.
    if (o.signal?.aborted) break;
    o.onProgress?.(i, files.length, `reading ${basename(file)}`);
    const name = basename(file);
    if (!MASK_EXT.has(extname(name).toLowerCase())) {
      report.skipped.push(name);
      continue;
    }
    const { stem, suffixed } = maskStem(name);
    if (!suffixed && [...MASK_EXT].some((e) => names.has(`${stem}_m${e}`))) {
      report.skipped.push(name);
      continue;
    }
    if (await linkRefused(file, o.allowLinkTarget)) {
      report.failed.push({ file, error: LINK_OUTSIDE });
      continue;
    }
    const matches = byStem.get(stem) ?? [];
    if (matches.length === 0) {
      report.failed.push({ file, error: `no library image named ${stem}.* (import the images first)` });
      continue;
    }
    if (matches.length > 1) {
      report.failed.push({ file, error: `${matches.length} library images are named ${stem}.*: ${matches.map((m) => m.path).join(', ')}` });
      continue;
    }
    const im = matches[0];
    try {
      const mask = await readMaskFile(file);
      if (mask.width !== im.width || mask.height !== im.height) {
        throw new MaskFileError(file, `mask is ${mask.width}x${mask.height}, image ${im.path} is ${im.width}x${im.height}`);
      }
      const sha = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      const replaced = saveMask(
        db,
        { imageId: im.id, width: mask.width, height: mask.height, labels: mask.labels, particles: mask.count, kind: mask.kind },
        { sourcePath: file, sourceSha256: sha, by },
      );
      report.imported.push({ file, imageId: im.id, image: im.path, particles: mask.count, replaced });
    } catch (e) {
      report.failed.push({ file, error: e instanceof MaskFileError ? e.message.replace(`${file}: `, '') : (e as Error).message });
    }
  }
  if (!o.signal?.aborted) o.onProgress?.(files.length, files.length, 'done');
  return report;
}
