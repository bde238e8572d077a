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
  // The whole-number part of the reduction is a box average here (what libvips' own shrink step does), so libvips
  // gets a plane a few times smaller: copying a full frame into libvips and resizing it there cost more than the rest
  // of a TIFF's import. libvips then resizes what is left (a factor below 2) and encodes.
  const k = Math.floor(Math.max(area.width, area.height) / maxSide);
  const small = k >= 2 ? boxShrink(data, width, area.height, k) : null;
  let img = small
    ? sharp(small.data, { raw: { width: small.width, height: small.height, channels: 1 } })
    : sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 1 } });
  if (!small && area.height !== height) img = img.extract(area);
  if (Math.max(area.width, area.height) > maxSide) {
    // The size is the one the full image area scales to, so shrinking first changes no thumbnail's dimensions.
    const scale = maxSide / Math.max(area.width, area.height);
    const size = { width: Math.max(1, Math.round(area.width * scale)), height: Math.max(1, Math.round(area.height * scale)) };
    if (!small || small.width !== size.width || small.height !== size.height) img = img.resize({ ...size, fit: 'fill' });
  }
  return encode(img, opts.format, opts.quality);
}

/**
 * Mean of each k x k block of the top `rows` rows of a `width`-wide 8-bit plane (rounded; a last partial block
 * of columns or rows is dropped: under k source pixels, less than one thumbnail pixel).
 */
function boxShrink(data: Uint8Array, width: number, rows: number, k: number): { data: Buffer; width: number; height: number } {
  const ow = Math.max(1, Math.floor(width / k));
  const oh = Math.max(1, Math.floor(rows / k));
  const out = Buffer.allocUnsafe(ow * oh);
  const acc = new Uint32Array(ow);
  const n = k * k;
  const half = n >> 1;
  // Rows 4-byte aligned and k a multiple of 4: each word holds 4 samples of one block (the common 1024- or
  // 2048-wide frame); summing a word's bytes with two masks is about twice as fast as four byte reads.
  const words = k % 4 === 0 && width % 4 === 0 && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, (width * rows) >> 2) : null;
  for (let y = 0; y < oh; y++) {
    acc.fill(0);
    for (let dy = 0; dy < k; dy++) {
      if (words) {
        let at = ((y * k + dy) * width) >> 2;
        for (let x = 0; x < ow; x++) {
          let sum = 0;
          for (let q = 0; q < k >> 2; q++) {
            const v = words[at++];
            const pairs = (v & 0x00ff00ff) + ((v >>> 8) & 0x00ff00ff);
            sum += (pairs & 0xffff) + (pairs >>> 16);
          }
          acc[x] += sum;
        }
      } else {
        let at = (y * k + dy) * width;
        for (let x = 0; x < ow; x++) {
          let sum = 0;
          for (let dx = 0; dx < k; dx++) sum += data[at + dx];
          acc[x] += sum;
          at += k;
        }
      }
    }
    const row = y * ow;
    for (let x = 0; x < ow; x++) out[row + x] = ((acc[x] + half) / n) | 0;
  }
  return { data: out, width: ow, height: oh };
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
