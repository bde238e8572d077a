// 8-bit sRGB -> the 8-bit grey libvips' 'b-w' conversion gives, without running that conversion on every pixel.
// Micrographs saved as RGB (JPEG from most SEM PCs, RGB TIFF from ImageJ and vendor exports) are grey in nearly every
// pixel, and libvips' conversion goes through linear light in float for each one: it cost about as much as decoding
// the file (sem-tiff RGB TIFF: 4-5 ms of 8, NFFA JPEG 4-7 ms of 11, one thread, measured). For a neutral pixel
// (R = G = B = v) libvips gives v exactly (the weights sum to one and the gamma curve round-trips; a test checks all
// 256 values against libvips), so only the other pixels, gathered into a small image, go through libvips. The
// conversion is per pixel, so the result is the same bytes as converting the whole frame (tests compare on real files).
import { endianness } from 'node:os';
import sharp from 'sharp';

const LITTLE_ENDIAN = endianness() === 'LE';

/** libvips refuses images wider than this; the gathered pixels are laid out in rows of at most this many. */
const GATHER_ROW = 4096;
/** Above this share of coloured pixels the frame is a colour picture: libvips converts all of it. */
const MAX_GATHERED_SHARE = 1 / 8;

/** Grey plane of `pixels` interleaved sRGB triples (`rgb.length >= 3 * pixels`), identical to libvips' b-w. */
export async function greyFromRgb(rgb: Uint8Array, pixels: number): Promise<Buffer> {
  if (rgb.length < 3 * pixels) throw new RangeError(`greyFromRgb: ${rgb.length} bytes do not hold ${pixels} RGB pixels`);
  const grey = Buffer.from(new ArrayBuffer(pixels));
  const found = neutralPass(rgb, pixels, grey, Math.floor(pixels * MAX_GATHERED_SHARE));
  if (!found) return libvipsGrey(rgb, pixels);
  const { at, n: coloured } = found;
  if (coloured === 0) return grey;
  const gathered = Buffer.allocUnsafe(coloured * 3);
  for (let k = 0; k < coloured; k++) {
    const j = 3 * at[k];
    gathered[3 * k] = rgb[j];
    gathered[3 * k + 1] = rgb[j + 1];
    gathered[3 * k + 2] = rgb[j + 2];
  }
  const converted = await libvipsGrey(gathered, coloured);
  for (let k = 0; k < coloured; k++) grey[at[k]] = converted[k];
  return grey;
}

/** libvips' own conversion of `pixels` sRGB triples, laid out in rows of at most GATHER_ROW (padded with black). */
async function libvipsGrey(rgb: Uint8Array, pixels: number): Promise<Buffer> {
  const width = Math.min(pixels, GATHER_ROW);
  const height = Math.ceil(pixels / width);
  const input = Buffer.alloc(width * height * 3);
  input.set(rgb.subarray(0, 3 * pixels));
  const out = await sharp(input, { raw: { width, height, channels: 3 } })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer();
  if (out.length < pixels) throw new Error(`libvips returned ${out.length} grey samples for ${pixels} pixels`);
  return out.subarray(0, pixels);
}

/**
 * Writes the neutral pixels' grey into `grey` and returns the indices of the others (`at[0..n)`), or null when there
 * are more than `max`. Four pixels (three 32-bit words) at a time where the buffers allow.
 */
function neutralPass(rgb: Uint8Array, pixels: number, grey: Buffer, max: number): { at: Uint32Array; n: number } | null {
  let at = new Uint32Array(0);
  let n = 0;
  let i = 0;
  const one = (p: number): boolean => {
    const j = 3 * p;
    const g = rgb[j + 1];
    if (rgb[j] === g && rgb[j + 2] === g) grey[p] = g;
    else {
      if (n === at.length) {
        if (n >= max) return false;
        const grown = new Uint32Array(Math.min(max, Math.max(1024, 2 * n)));
        grown.set(at);
        at = grown;
      }
      at[n++] = p;
    }
    return true;
  };
  if (LITTLE_ENDIAN && rgb.byteOffset % 4 === 0 && grey.byteOffset % 4 === 0) {
    const groups = pixels >> 2;
    const src = new Uint32Array(rgb.buffer, rgb.byteOffset, groups * 3);
    const dst = new Uint32Array(grey.buffer, grey.byteOffset, groups);
    for (let q = 0, s = 0; q < groups; q++, s += 3) {
      // Little-endian words: w0 = r0 g0 b0 r1, w1 = g1 b1 r2 g2, w2 = b2 r3 g3 b3 (lowest byte first).
      const w0 = src[s];
      const w1 = src[s + 1];
      const w2 = src[s + 2];
      const p1 = (w0 >>> 24) | ((w1 & 0xffff) << 8);
      const p2 = (w1 >>> 16) | ((w2 & 0xff) << 16);
      const p3 = w2 >>> 8;
      // A pixel's three bytes x are equal when x ^ (x >> 8) is zero in its low 16 bits.
      if ((((w0 ^ (w0 >>> 8)) | (p1 ^ (p1 >>> 8)) | (p2 ^ (p2 >>> 8)) | (p3 ^ (p3 >>> 8))) & 0xffff) === 0) {
        dst[q] = ((w0 >>> 8) & 0xff) | ((w1 & 0xff) << 8) | ((w1 >>> 8) & 0xff0000) | ((w2 & 0xff0000) << 8);
      } else {
        for (let p = 4 * q; p < 4 * q + 4; p++) if (!one(p)) return null;
      }
    }
    i = groups * 4;
  }
  for (; i < pixels; i++) if (!one(i)) return null;
  return { at, n };
}
