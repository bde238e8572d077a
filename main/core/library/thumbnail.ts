// Thumbnails and previews of the specimen area only: the data bar is cropped before scaling so
// that neither the grid nor any model input shows it. 16/32-bit data is percentile-stretched by
// readGray; 8-bit data keeps the contrast the operator recorded.
import sharp from 'sharp';
import { imageArea, type DataBar } from './databar.js';
import { readGray, type ImageProbe } from './decode.js';

export type ThumbnailFormat = 'jpeg' | 'webp';

export interface ThumbnailOptions {
  /** The bar to crop (from inspectImage); null/undefined keeps the whole frame. */
  dataBar?: DataBar | null;
  /** Longer side in pixels (default 256); smaller images are not enlarged. */
  maxSide?: number;
  format?: ThumbnailFormat;
  /** Encoder quality 1-100 (default 82). */
  quality?: number;
  /** Pixel limit for decoding the source (see readGray). */
  maxPixels?: number;
  probe?: ImageProbe;
}

/** Encoded thumbnail (JPEG by default) of the image area above the data bar. */
export async function makeThumbnail(path: string, opts: ThumbnailOptions = {}): Promise<Buffer> {
  const maxSide = opts.maxSide ?? 256;
  const gray = await readGray(path, {
    maxPixels: opts.maxPixels,
    probe: opts.probe,
    crop: opts.dataBar ? areaFor(opts.dataBar) : undefined,
    resizeMaxSide: maxSide,
  });
  return encodeGray(gray.data, gray.width, gray.height, { format: opts.format, quality: opts.quality });
}

/**
 * Thumbnail from an 8-bit grey buffer that is already decoded (inspectWithThumbnail uses this
 * to avoid decoding the file twice). Crops the data bar, scales, encodes.
 */
export async function thumbnailFromGray(
  data: Uint8Array,
  width: number,
  height: number,
  opts: Omit<ThumbnailOptions, 'maxPixels' | 'probe'> = {},
): Promise<Buffer> {
  const maxSide = opts.maxSide ?? 256;
  const area = imageArea(width, height, opts.dataBar ?? null);
  let img = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height, channels: 1 },
  });
  if (area.height !== height) img = img.extract(area);
  if (Math.max(area.width, area.height) > maxSide) {
    img = img.resize({ width: maxSide, height: maxSide, fit: 'inside' });
  }
  return encode(img, opts.format, opts.quality);
}

function areaFor(bar: DataBar) {
  // Width is unknown here; readGray clamps the crop to the image.
  return { top: 0, left: 0, width: Number.MAX_SAFE_INTEGER, height: bar.y };
}

async function encodeGray(data: Buffer, width: number, height: number, o: { format?: ThumbnailFormat; quality?: number }): Promise<Buffer> {
  return encode(sharp(data, { raw: { width, height, channels: 1 } }), o.format, o.quality);
}

function encode(img: sharp.Sharp, format: ThumbnailFormat = 'jpeg', quality = 82): Promise<Buffer> {
  // Grey JPEG/WebP: one channel, no chroma subsampling artefacts, ~40 % smaller than RGB.
  return format === 'webp' ? img.webp({ quality }).toBuffer() : img.toColourspace('b-w').jpeg({ quality, mozjpeg: false }).toBuffer();
}
