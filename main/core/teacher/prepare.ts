// What leaves the PC for one image: the pixels above the data bar, downscaled so the long side is at most
// maxSide, as an 8-bit grey JPEG data URL; the calibration as text (pixel size of the image *as sent*); other
// acquisition metadata only where the operator allows it. Nothing else (no path, no file name).
import sharp from 'sharp';
import { readGray } from '../library/decode.js';
import type { ImageRow } from '../library/queries.js';
import type { Calibration } from './answer.js';

/** The image columns the teacher reads (one row of the images table). */
export type ImageForTeacher = Pick<
  ImageRow,
  'id' | 'sha256' | 'path' | 'file_name' | 'width' | 'height' | 'pixel_size_nm' | 'magnification' | 'kv' | 'wd_mm' | 'detector' | 'instrument' | 'databar_y'
>;

export interface PreparedImage {
  dataUrl: string;
  calibration: Calibration;
  /** Metadata lines sent as text (empty unless allowed). */
  metadataText: string;
  croppedRows: number;
}

export async function prepareImage(img: ImageForTeacher, opts: { maxSide: number; sendMetadata: boolean }): Promise<PreparedImage> {
  const keepRows = img.databar_y !== null && img.databar_y > 0 && img.databar_y < img.height ? img.databar_y : img.height;
  const gray = await readGray(img.path, {
    crop: keepRows < img.height ? { top: 0, left: 0, width: img.width, height: keepRows } : undefined,
    resizeMaxSide: opts.maxSide,
  });
  const jpeg = await sharp(gray.data, { raw: { width: gray.width, height: gray.height, channels: 1 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const sourceWidth = img.width;
  const sentPixelSizeNm = img.pixel_size_nm !== null && img.pixel_size_nm > 0 ? img.pixel_size_nm * (sourceWidth / gray.width) : null;
  const lines: string[] = [];
  if (opts.sendMetadata) {
    if (img.instrument) lines.push(`instrument: ${img.instrument}`);
    if (img.detector) lines.push(`detector: ${img.detector}`);
    if (img.kv !== null) lines.push(`accelerating voltage: ${img.kv} kV`);
    if (img.wd_mm !== null) lines.push(`working distance: ${img.wd_mm} mm`);
    if (img.magnification !== null) lines.push(`magnification: ${img.magnification} x`);
  }
  return {
    dataUrl: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
    calibration: {
      sentPixelSizeNm,
      sourcePixelSizeNm: img.pixel_size_nm,
      sentWidth: gray.width,
      sentHeight: gray.height,
    },
    metadataText: lines.length ? `Acquisition metadata:\n${lines.map((l) => `- ${l}`).join('\n')}` : '',
    croppedRows: img.height - keepRows,
  };
}
