// Manual calibration ("set scale"): the operator draws a line along the burned-in scale bar and types what it
// reads; the pixel size is that length over the line's length in image pixels. Stored with its provenance
// (append-only history) and written to the image, so every view, the teacher and the student use it. Audited.
import sharp from 'sharp';
import type { DataBarImage, ImageCalibration, SetScaleRequest } from '../contract.js';
import { readGray } from './decode.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { audit } from '../teacher/settings.js';
import { CoreError } from '../errors.js';

export class CalibrationError extends CoreError<'not_found' | 'invalid_arguments'> {
  constructor(code: 'not_found' | 'invalid_arguments', message: string) {
    super(code, message);
  }
}

interface CalRow {
  pixel_size_nm: number;
  previous_nm: number | null;
  method: string;
  line_px: number;
  length_nm: number;
  set_by: string;
  at: string;
}

function imagePixelSize(db: Db, imageId: number): number | null {
  const row = db.prepare(`SELECT pixel_size_nm FROM images WHERE id = ?`).get(imageId) as { pixel_size_nm: number | null } | undefined;
  if (!row) throw new CalibrationError('not_found', `No image with id ${imageId}.`);
  return row.pixel_size_nm;
}

export function getCalibration(db: Db, imageId: number): ImageCalibration {
  const current = imagePixelSize(db, imageId);
  const last = db.prepare(`SELECT * FROM image_calibrations WHERE image_id = ? ORDER BY id DESC LIMIT 1`).get(imageId) as CalRow | undefined;
  // The newest manual calibration is in force while the image still carries its value.
  const manual = last && current !== null && Math.abs(last.pixel_size_nm - current) <= 1e-9 * Math.max(1, current) ? last : null;
  return {
    imageId,
    pixelSizeNm: current,
    source: manual ? 'manual' : current !== null ? 'metadata' : 'none',
    manual: manual
      ? { method: manual.method, lineLengthPx: manual.line_px, lengthNm: manual.length_nm, by: manual.set_by, at: manual.at, previousNm: manual.previous_nm }
      : null,
  };
}

export function setScale(db: Db, req: SetScaleRequest, via: string): ImageCalibration {
  if (!(req.lineLengthPx >= 2)) throw new CalibrationError('invalid_arguments', 'draw a line at least 2 image pixels long along the scale bar');
  if (!(req.lengthNm > 0) || !Number.isFinite(req.lengthNm))
    throw new CalibrationError('invalid_arguments', 'the length the line represents must be a positive number');
  const previous = imagePixelSize(db, req.imageId);
  const pixelSizeNm = req.lengthNm / req.lineLengthPx;
  const at = nowIso();
  db.transaction(() => {
    db.prepare(
      `INSERT INTO image_calibrations (image_id, pixel_size_nm, previous_nm, method, line_px, length_nm, set_by, at) VALUES (?, ?, ?, 'scale bar drawn by hand', ?, ?, ?, ?)`,
    ).run(req.imageId, pixelSizeNm, previous, req.lineLengthPx, req.lengthNm, req.by, at);
    db.prepare(`UPDATE images SET pixel_size_nm = ? WHERE id = ?`).run(pixelSizeNm, req.imageId);
    audit(db, req.by, 'image.calibration', {
      imageId: req.imageId,
      pixelSizeNm,
      previousNm: previous,
      lineLengthPx: req.lineLengthPx,
      lengthNm: req.lengthNm,
      via,
    });
  })();
  return getCalibration(db, req.imageId);
}

/**
 * The data bar that previews crop away, as a small grey PNG at full resolution, so "set scale" can be drawn along
 * the burned-in bar. Null when no bar was detected (the bar is then part of the preview).
 */
export async function dataBarImage(db: Db, imageId: number): Promise<DataBarImage | null> {
  const row = db.prepare(`SELECT path, width, height, databar_y, databar_height FROM images WHERE id = ?`).get(imageId) as
    { path: string; width: number; height: number; databar_y: number | null; databar_height: number | null } | undefined;
  if (!row) throw new CalibrationError('not_found', `No image with id ${imageId}.`);
  if (row.databar_y === null || row.databar_height === null || row.databar_height <= 0) return null;
  const gray = await readGray(row.path, { crop: { left: 0, top: row.databar_y, width: row.width, height: row.databar_height } });
  const png = await sharp(gray.data, { raw: { width: gray.width, height: gray.height, channels: 1 } })
    .png()
    .toBuffer();
  return { imageId, y: row.databar_y, width: gray.width, height: gray.height, dataUrl: `data:image/png;base64,${png.toString('base64')}` };
}
