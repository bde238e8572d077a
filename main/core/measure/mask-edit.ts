// Masks drawn or corrected on the image view (issue 13, point 2): what the editor starts from (the stored
// mask, else the current measurement's labels) and saving the edited label image as the image's mask, with
// provenance "drawn in Emma by <user>". Saved masks are ordinary image_masks rows (kind 'drawn'), so the next
// Train picks them up like imported ones (train-segmenter.ts reads every stored mask).
// Labels cross the API as little-endian uint16 bytes (0 background, k particle k): half the size of uint32, and
// a mask with more than 65535 particles is refused rather than truncated.
import type { EditableMask, SaveMaskRequest, SavedMaskInfo } from '../contract.js';
import type { Db } from '../db/database.js';
import { loadMask, saveMask } from './masks.js';
import { relabel } from './ops.js';
import { CoreError } from '../errors.js';

export class MaskEditError extends CoreError<'not_found' | 'invalid_mask'> {
  constructor(code: 'not_found' | 'invalid_mask', message: string) {
    super(code, message);
    this.name = 'MaskEditError';
  }
}

interface ImageRow {
  id: number;
  path: string;
  file_name: string;
  width: number;
  height: number;
  databar_y: number | null;
}

function imageRow(db: Db, imageId: number): ImageRow {
  const row = db.prepare(`SELECT id, path, file_name, width, height, databar_y FROM images WHERE id = ?`).get(imageId) as ImageRow | undefined;
  if (!row) throw new MaskEditError('not_found', `No image with id ${imageId}.`);
  return row;
}

/** First data-bar row (the specimen is rows [0, y)), or the height when the image has no data bar. */
export function specimenRows(row: { height: number; databar_y: number | null }): number {
  return row.databar_y !== null && row.databar_y > 0 && row.databar_y < row.height ? row.databar_y : row.height;
}

export function labelsToBytes(labels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(2 * labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v < 0 || v > 65535) throw new MaskEditError('invalid_mask', `label ${v} does not fit the editor's 16-bit labels`);
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = v >>> 8;
  }
  return out;
}

export function bytesToLabels(bytes: Uint8Array, n: number): Int32Array {
  if (bytes.length !== 2 * n) throw new MaskEditError('invalid_mask', `mask holds ${bytes.length / 2} pixels, the image ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** How a stored mask came to be, in words. */
export function maskProvenance(m: { kind: string; sourcePath: string | null; importedBy: string }): string {
  return m.kind === 'drawn' ? `drawn in Emma by ${m.importedBy}` : `imported from ${m.sourcePath ?? 'a file'} by ${m.importedBy}`;
}

/**
 * The mask the editor starts from: the stored one (source 'stored'), else labels from `measureLabels`
 * (the current measurement, source 'measured'). `prefer: 'measured'` skips the stored mask.
 */
export async function editableMask(
  db: Db,
  imageId: number,
  measureLabels: (imageId: number) => Promise<{ labels: Int32Array; width: number; height: number; method: string }>,
  prefer: 'stored' | 'measured' = 'stored',
): Promise<EditableMask> {
  const row = imageRow(db, imageId);
  const rows = specimenRows(row);
  const stored = prefer === 'stored' ? loadMask(db, imageId) : null;
  if (stored && stored.width === row.width && stored.height === row.height) {
    return {
      imageId,
      width: row.width,
      height: row.height,
      specimenRows: rows,
      labels: labelsToBytes(stored.labels),
      particles: stored.particles,
      source: 'stored',
      provenance: maskProvenance(stored),
      savedAt: stored.importedAt,
    };
  }
  const m = await measureLabels(imageId);
  if (m.width !== row.width || m.height !== row.height) {
    throw new MaskEditError('invalid_mask', `measured labels are ${m.width}x${m.height}, the image is ${row.width}x${row.height}`);
  }
  const r = relabel(m.labels, 1);
  return {
    imageId,
    width: row.width,
    height: row.height,
    specimenRows: rows,
    labels: labelsToBytes(r.labels),
    particles: r.count,
    source: 'measured',
    provenance: `measured (${m.method}); not a stored mask until saved`,
    savedAt: null,
  };
}

/**
 * Stores an edited label image as the image's mask. The size must be the image's; data-bar rows must be 0
 * (a mask there would teach the segmenter the bar); labels are renumbered 1..n and empty masks are refused.
 */
export function saveEditedMask(db: Db, req: SaveMaskRequest): SavedMaskInfo {
  const row = imageRow(db, req.imageId);
  if (req.width !== row.width || req.height !== row.height) {
    throw new MaskEditError('invalid_mask', `mask is ${req.width}x${req.height}, image ${row.file_name} is ${row.width}x${row.height}`);
  }
  const n = row.width * row.height;
  const labels = bytesToLabels(req.labels, n);
  const rows = specimenRows(row);
  for (let i = rows * row.width; i < n; i++) {
    if (labels[i] !== 0) {
      throw new MaskEditError('invalid_mask', `mask has particles in the data bar (row ${Math.floor(i / row.width)}; the bar starts at row ${rows})`);
    }
  }
  const r = relabel(labels, 1);
  if (r.count === 0) throw new MaskEditError('invalid_mask', 'the mask has no particles: nothing to save');
  const replaced = saveMask(
    db,
    { imageId: row.id, width: row.width, height: row.height, labels: r.labels, particles: r.count, kind: 'drawn' },
    { sourcePath: null, sourceSha256: null, by: req.by },
  );
  const saved = loadMask(db, row.id)!;
  return { imageId: row.id, particles: r.count, replaced, provenance: maskProvenance(saved), savedAt: saved.importedAt };
}
