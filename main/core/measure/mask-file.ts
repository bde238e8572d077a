// Reading and writing particle masks as image files.
// Read: a binary image (two values: 0 and one other) is split into particles by 4-connected components
// (manual masks separate touching particles by a background line, so 4-connectivity keeps them apart);
// an image with more values is a label image (every non-zero value one particle).
// Write: a 16-bit greyscale PNG label image (0 background, k particle k), written here with zlib
// because the label values must survive exactly.
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { labelComponents, relabel } from './ops.js';

export interface MaskImage {
  width: number;
  height: number;
  /** 0 background, 1..count particles. */
  labels: Int32Array;
  count: number;
  kind: 'binary' | 'labels';
}

export class MaskFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'MaskFileError';
  }
}

/** Particles smaller than this (px) in a binary mask are drawing specks, not particles (data README: > 5 px). */
export const MASK_MIN_AREA = 6;

export async function readMaskFile(path: string): Promise<MaskImage> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  let depth16: boolean;
  try {
    const meta = await sharp(path, { failOn: 'error' }).metadata();
    depth16 = meta.depth === 'ushort' || meta.depth === 'short' || (meta.bitsPerSample ?? 8) > 8;
    const img = sharp(path, { failOn: 'error', page: 0, pages: 1 }).removeAlpha();
    raw = depth16
      ? await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
      : await img.toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new MaskFileError(path, `cannot be read as an image (${(e as Error).message.split('\n')[0]})`);
  }
  const { width, height, channels } = raw.info;
  const n = width * height;
  const values = new Int32Array(n);
  if (depth16) {
    const b = Buffer.from(raw.data);
    for (let i = 0; i < n; i++) values[i] = b.readUInt16LE(2 * i * channels);
  } else {
    for (let i = 0; i < n; i++) values[i] = raw.data[i * channels];
  }
  const distinct = new Set<number>();
  for (let i = 0; i < n && distinct.size <= 2; i++) distinct.add(values[i]);
  if (distinct.size <= 2) {
    if (distinct.size === 2 && !distinct.has(0)) {
      throw new MaskFileError(path, `binary mask without a 0 background (values ${[...distinct].join(', ')})`);
    }
    const fg = new Uint8Array(n);
    for (let i = 0; i < n; i++) fg[i] = values[i] ? 1 : 0;
    const { labels } = labelComponents(fg, width, height, 4);
    const r = relabel(labels, MASK_MIN_AREA);
    return { width, height, labels: r.labels, count: r.count, kind: 'binary' };
  }
  const r = relabel(values, 1);
  return { width, height, labels: r.labels, count: r.count, kind: 'labels' };
}

/** Encodes labels (w*h, values 0..65535) as a 16-bit greyscale PNG. */
export function encodeLabelPng(labels: ArrayLike<number>, w: number, h: number): Buffer {
  const stride = 1 + 2 * w;
  const rawRows = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    rawRows[o] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const v = labels[y * w + x];
      if (v < 0 || v > 65535) throw new RangeError(`label ${v} does not fit a 16-bit PNG`);
      rawRows.writeUInt16BE(v, o + 1 + 2 * x);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 16; // bit depth
  ihdr[9] = 0; // greyscale
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rawRows, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td), 0);
  return Buffer.concat([len, td, crc]);
}

let CRC_TABLE: Uint32Array | null = null;
function crc32(b: Buffer): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
