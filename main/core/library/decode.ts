// Pixel decoding through sharp (libvips), normalised to one 8-bit grey plane: every consumer here
// (data-bar detection, thumbnails, models) works on grey micrographs, whatever the file stored
// (palette, RGB JPEG, 16-bit, 32-bit float).
//
// sharp choices, on purpose:
// - failOn: 'error'. The default ('warning') rejects valid Zeiss/FEI/JEOL TIFFs because libtiff
//   warns about their vendor ASCII tags (no trailing NUL, embedded NULs); 'truncated' would let a
//   truncated TIFF through (libtiff reports a scanline read *error*, which 'error' catches).
// - limitInputPixels: explicit, so a decompression bomb is refused before any pixel is allocated.
// - 16-bit goes through 'grey16' + ushort (without it .raw() gives 3-channel 8-bit); 32-bit
//   int/float goes through 'b-w' + float, which keeps the sample values ('grey16' saturates them).
import { open, readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageReadError } from './errors.js';
import { reasonFromFile } from './decode-reason.js';
import { greyFromRgb } from './rgb-grey.js';
import { stretchToUint8, type StretchOptions } from './stretch.js';
import { isTiffSignature, readTiff, TiffError, type SampleFormat, type TiffInfo } from './tiff.js';
import { greyTable, plainStrips, readStrips } from './tiff-raster.js';

/** 2^28 pixels (16384 x 16384): above any single SEM frame, below what exhausts memory. */
export const DEFAULT_MAX_PIXELS = 2 ** 28;

export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface ImageProbe {
  /** sharp's format name: 'tiff', 'jpeg', 'png', 'webp', 'gif', ... */
  format: string;
  width: number;
  height: number;
  /** Bits per sample as stored: 8, 16 or 32 (1/2/4-bit and palette PNGs report 8; double 64). */
  bitDepth: number;
  sampleFormat: SampleFormat;
  /** Pages (TIFF IFDs / animation frames); only the first is decoded. */
  pages: number;
  channels: number;
  palette: boolean;
  /** Parsed TIFF structure (vendor tags) for TIFF files; null otherwise or if unparseable. */
  tiff: TiffInfo | null;
  /**
   * Three 8-bit sRGB channels and no embedded colour profile: libvips' raw samples are then the sRGB values its grey
   * conversion starts from, so rgb-grey.ts can do that conversion (same bytes, a fraction of the time).
   */
  plainRgb: boolean;
}

export interface ProbeOptions {
  /** Refuse images with more pixels than this (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /**
   * The file's whole content, already read (the importer reads each file once, for its hash and its pixels).
   * Decoding and tag parsing then use these bytes; error reasons still read the file by path.
   */
  bytes?: Buffer;
}

export interface ReadGrayOptions extends ProbeOptions {
  /** Region of the *source* image to keep, applied before resizing. */
  crop?: Box;
  /** Downscale (never enlarge) so that the longer side is at most this. */
  resizeMaxSide?: number;
  /** Percentiles for the 16/32-bit to 8-bit stretch. 8-bit data is returned unchanged. */
  stretch?: StretchOptions;
  /** A probe from probeImage() for this path, to avoid parsing the header twice. */
  probe?: ImageProbe;
}

export interface GrayImage {
  /** width*height bytes, row-major, one 8-bit grey sample per pixel. */
  data: Buffer;
  /** Dimensions of `data` (after crop/resize). */
  width: number;
  height: number;
  /** Dimensions of the source image. */
  sourceWidth: number;
  sourceHeight: number;
  bitDepth: number;
  format: string;
  pages: number;
}

const DEPTH_BITS: Record<string, number> = {
  uchar: 8,
  char: 8,
  ushort: 16,
  short: 16,
  uint: 32,
  int: 32,
  float: 32,
  double: 64,
  complex: 64,
  dpcomplex: 128,
};

/** Reads dimensions, depth and page count without decoding pixels. */
export async function probeImage(path: string, opts: ProbeOptions = {}): Promise<ImageProbe> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const head = opts.bytes ? headOf(path, opts.bytes) : await readHead(path);

  let tiff: TiffInfo | null = null;
  let tiffProblem: string | null = null;
  if (isTiffSignature(head)) {
    try {
      tiff = await readTiff(opts.bytes ?? path);
    } catch (e) {
      // Keep going: libvips may still decode it; if not, both reasons are reported.
      tiffProblem = e instanceof TiffError ? e.message : String(e);
    }
    if (tiff && tiff.width * tiff.height > maxPixels) throw tooLarge(path, tiff.width, tiff.height, maxPixels);
  }

  // A plain strip TIFF in memory is decoded by readStrips, so libvips' header read adds nothing.
  if (tiff && opts.bytes && plainStrips(tiff, opts.bytes.length)) return probeFromTiff(tiff);

  let meta: sharp.Metadata;
  try {
    meta = await sharp(opts.bytes ?? path, { failOn: 'error', limitInputPixels: maxPixels }).metadata();
  } catch (e) {
    const mapped = tiffProblem ? mapSharpError(path, e, head, tiffProblem) : await explainSharpError(path, e, head, null);
    if (mapped.code === 'too-large') {
      // Name the claimed size: reading the header alone (no pixel buffer) is safe without the limit.
      const claimed = await sharp(opts.bytes ?? path, { limitInputPixels: false })
        .metadata()
        .catch(() => null);
      if (claimed?.width && claimed.height) throw tooLarge(path, claimed.width, claimed.height, maxPixels);
    }
    throw mapped;
  }
  const width = tiff?.width ?? meta.width ?? 0;
  const height = tiff?.height ?? meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw new ImageReadError(path, 'corrupt', 'image has no dimensions');
  if (width * height > maxPixels) throw tooLarge(path, width, height, maxPixels);

  const sampleFormat: SampleFormat =
    tiff?.sampleFormat ?? (meta.depth === 'float' || meta.depth === 'double' ? 'float' : /^(char|short|int)$/.test(meta.depth ?? '') ? 'int' : 'uint');
  return {
    format: meta.format ?? 'unknown',
    width,
    height,
    bitDepth: tiff?.bitsPerSample ?? DEPTH_BITS[meta.depth ?? 'uchar'] ?? 8,
    sampleFormat,
    pages: Math.max(tiff?.pages ?? 1, meta.pages ?? 1),
    channels: tiff?.samplesPerPixel ?? meta.channels ?? 1,
    palette: tiff?.palette ?? meta.isPalette ?? false,
    tiff,
    plainRgb: meta.channels === 3 && meta.space === 'srgb' && !meta.hasProfile && (meta.depth ?? 'uchar') === 'uchar' && !(meta.isPalette ?? false),
  };
}

function probeFromTiff(tiff: TiffInfo): ImageProbe {
  return {
    format: 'tiff',
    width: tiff.width,
    height: tiff.height,
    bitDepth: tiff.bitsPerSample,
    sampleFormat: tiff.sampleFormat,
    pages: tiff.pages,
    channels: tiff.samplesPerPixel,
    palette: tiff.palette,
    tiff,
    plainRgb: false,
  };
}

/** Files read whole for the strip reader when the caller has not read them; larger plain TIFFs go to libvips. */
const MAX_STRIP_READ_BYTES = 64 * 1024 * 1024;

/** Decodes the first page to 8-bit grey, optionally cropped and downscaled. */
export async function readGray(path: string, opts: ReadGrayOptions = {}): Promise<GrayImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const probe = opts.probe ?? (await probeImage(path, { maxPixels, bytes: opts.bytes }));
  const { width: sw, height: sh } = probe;

  const plain = await readGrayFromStrips(path, probe, opts);
  if (plain) return plain;

  let img = sharp(opts.bytes ?? path, { failOn: 'error', limitInputPixels: maxPixels, page: 0, pages: 1 });
  let outW = sw;
  let outH = sh;
  if (opts.crop) {
    const c = clampBox(opts.crop, sw, sh);
    if (!c) throw new ImageReadError(path, 'corrupt', `crop ${JSON.stringify(opts.crop)} lies outside the ${sw}x${sh} image`);
    if (c.width !== sw || c.height !== sh) img = img.extract(c);
    outW = c.width;
    outH = c.height;
  }
  if (opts.resizeMaxSide && Math.max(outW, outH) > opts.resizeMaxSide) {
    const s = opts.resizeMaxSide / Math.max(outW, outH);
    outW = Math.max(1, Math.round(outW * s));
    outH = Math.max(1, Math.round(outH * s));
    img = img.resize({ width: outW, height: outH, fit: 'fill' });
  }
  img = img.removeAlpha();

  const kind = sampleKind(probe);
  let data: Buffer;
  try {
    if (kind === 'u8') {
      const r = probe.plainRgb ? await grey8FromRgb(img) : await grey8(img);
      data = r.data;
      outW = r.width;
      outH = r.height;
    } else if (kind === 'u16') {
      const r = await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      // A typed-array view needs 2-byte alignment; copy in the (unusual) unaligned case.
      const aligned = r.data.byteOffset % 2 === 0 ? r.data : Buffer.from(r.data);
      const all = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
      data = stretchToUint8(pickChannel(all, r.info.channels), opts.stretch);
      outW = r.info.width;
      outH = r.info.height;
    } else {
      const r = await img.toColourspace('b-w').raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
      const all = new Float32Array(r.data.buffer.slice(r.data.byteOffset, r.data.byteOffset + r.data.byteLength));
      data = stretchToUint8(pickChannel(all, r.info.channels), opts.stretch);
      outW = r.info.width;
      outH = r.info.height;
    }
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    const extra = kind === 'f32' ? `libvips could not decode its ${probe.bitDepth}-bit ${probe.sampleFormat} samples` : null;
    throw await explainSharpError(path, e, await readHead(path).catch(() => Buffer.alloc(0)), extra);
  }
  if (data.length !== outW * outH) {
    throw new ImageReadError(path, 'corrupt', `decoder returned ${data.length} samples for ${outW}x${outH}`);
  }
  return {
    data,
    width: outW,
    height: outH,
    sourceWidth: sw,
    sourceHeight: sh,
    bitDepth: probe.bitDepth,
    format: probe.format,
    pages: probe.pages,
  };
}

/** The 8-bit grey of a libvips pipeline: the one definition both decode paths share (see tiff-raster.ts). */
async function grey8(img: sharp.Sharp): Promise<{ data: Buffer; width: number; height: number }> {
  const r = await img.toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data: firstChannel(r.data, r.info.channels), width: r.info.width, height: r.info.height };
}

/** grey8 for an 8-bit sRGB source: raw samples out of libvips, converted by rgb-grey.ts (the same bytes as grey8). */
async function grey8FromRgb(img: sharp.Sharp): Promise<{ data: Buffer; width: number; height: number }> {
  const r = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const { width, height, channels } = r.info;
  if (channels === 3) return { data: await greyFromRgb(r.data, width * height), width, height };
  // Not the three channels the header promised: libvips converts what it gave (raw input of 1 or 3 channels is grey or sRGB).
  return grey8(sharp(r.data, { raw: { width, height, channels } }));
}

/**
 * readGray for a plain strip TIFF (tiff-raster.ts) when no resize is asked for: the samples are copied out of the
 * file, 8-bit ones mapped through the grey table libvips made, 16-bit ones stretched as the libvips path does.
 * Null when the file does not qualify, or the table could not be made: the caller then decodes with libvips.
 */
async function readGrayFromStrips(path: string, probe: ImageProbe, opts: ReadGrayOptions): Promise<GrayImage | null> {
  const tiff = probe.tiff;
  if (!tiff) return null;
  const c = opts.crop ? clampBox(opts.crop, probe.width, probe.height) : { left: 0, top: 0, width: probe.width, height: probe.height };
  if (!c || (opts.resizeMaxSide && Math.max(c.width, c.height) > opts.resizeMaxSide)) return null;
  let bytes = opts.bytes;
  if (!bytes) {
    const size = await stat(path).then(
      (s) => s.size,
      () => Infinity,
    );
    if (size > MAX_STRIP_READ_BYTES || !plainStrips(tiff, size)) return null;
    bytes = await readFile(path).catch(() => undefined);
    if (!bytes) return null;
  }
  const layout = plainStrips(tiff, bytes.length);
  if (!layout) return null;
  let data: Buffer;
  if (layout.bytesPerSample === 2) {
    data = stretchToUint8(readStrips(bytes, tiff, layout, c) as Uint16Array, opts.stretch);
  } else {
    const table = await greyTable(tiff, async (ramp) => (await grey8(sharp(ramp, { failOn: 'error' }).removeAlpha())).data).catch(() => null);
    if (!table) return null;
    data = readStrips(bytes, tiff, layout, c, isIdentity(table) ? undefined : table) as Buffer;
  }
  return {
    data,
    width: c.width,
    height: c.height,
    sourceWidth: probe.width,
    sourceHeight: probe.height,
    bitDepth: probe.bitDepth,
    format: probe.format,
    pages: probe.pages,
  };
}

function isIdentity(table: Uint8Array): boolean {
  for (let i = 0; i < 256; i++) if (table[i] !== i) return false;
  return true;
}

type SampleKind = 'u8' | 'u16' | 'f32';

function sampleKind(p: ImageProbe): SampleKind {
  if (p.bitDepth <= 8 && p.sampleFormat !== 'float') return 'u8';
  if (p.bitDepth === 16 && p.sampleFormat === 'uint') return 'u16';
  // Signed 16-bit, 32-bit int/uint/float, 64-bit: keep values as float, then stretch.
  return 'f32';
}

function firstChannel(buf: Buffer, channels: number): Buffer {
  if (channels <= 1) return buf;
  const n = Math.floor(buf.length / channels);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = buf[i * channels];
  return out;
}

function pickChannel<T extends Uint16Array | Float32Array>(a: T, channels: number): T {
  if (channels <= 1) return a;
  const n = Math.floor(a.length / channels);
  const out = new (a.constructor as { new (n: number): T })(n);
  for (let i = 0; i < n; i++) out[i] = a[i * channels];
  return out;
}

function clampBox(b: Box, w: number, h: number): Box | null {
  const left = Math.max(0, Math.floor(b.left));
  const top = Math.max(0, Math.floor(b.top));
  const right = Math.min(w, Math.floor(b.left + b.width));
  const bottom = Math.min(h, Math.floor(b.top + b.height));
  if (right <= left || bottom <= top) return null;
  return { left, top, width: right - left, height: bottom - top };
}

function tooLarge(path: string, w: number, h: number, max: number): ImageReadError {
  return new ImageReadError(path, 'too-large', `image is ${w}x${h} = ${w * h} pixels, above the limit of ${max} (refused as a possible decompression bomb)`);
}

/** readHead for content already in memory: the same checks, no second open. */
function headOf(path: string, bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new ImageReadError(path, 'corrupt', 'empty file (0 bytes)');
  return bytes.subarray(0, 16);
}

/** First 16 bytes, with file-system errors mapped to typed ones. */
async function readHead(path: string): Promise<Buffer> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ImageReadError(path, 'unreadable', 'not a regular file');
    if (st.size === 0) throw new ImageReadError(path, 'corrupt', 'empty file (0 bytes)');
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(16);
      const { bytesRead } = await fh.read(buf, 0, 16, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageReadError(path, 'not-found', 'file not found', { cause: e });
    throw new ImageReadError(path, 'unreadable', `cannot read file (${code ?? String(e)})`, { cause: e });
  }
}

/**
 * mapSharpError, but each decode keeps its own reason: libvips' error text is shared by the whole process, so a
 * failure read from the file itself (truncated data) comes first, and a generic text ("Unknown error", another
 * decode's words) never stands alone.
 */
async function explainSharpError(path: string, e: unknown, head: Buffer, extra: string | null): Promise<ImageReadError> {
  const mapped = mapSharpError(path, e, head, extra);
  if (mapped.code === 'too-large' || mapped.code === 'not-found') return mapped;
  const own = await reasonFromFile(path).catch(() => null);
  if (own) return new ImageReadError(path, 'corrupt', extra ? `${own}; ${extra}` : own, { cause: e });
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
  if (!msg || /^unknown error$/i.test(msg)) {
    const why = "cannot decode image (libvips gave no reason, and the file's structure looks complete)";
    return new ImageReadError(path, 'corrupt', extra ? `${why}; ${extra}` : why, { cause: e });
  }
  return mapped;
}

function mapSharpError(path: string, e: unknown, head: Buffer, extra: string | null): ImageReadError {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
  const withExtra = (s: string) => (extra ? `${s}; ${extra}` : s);
  if (/pixel limit/i.test(msg)) {
    return new ImageReadError(path, 'too-large', withExtra(`${msg} (refused as a possible decompression bomb)`), { cause: e });
  }
  if (/missing|no such file/i.test(msg)) return new ImageReadError(path, 'not-found', 'file not found', { cause: e });
  if (/unsupported image format/i.test(msg)) {
    if (isTiffSignature(head)) {
      return new ImageReadError(path, 'corrupt', withExtra('TIFF header present but the file is truncated or corrupt'), { cause: e });
    }
    if (looksLikeKnownImage(head)) {
      return new ImageReadError(path, 'corrupt', withExtra('image header present but the file is truncated or corrupt'), { cause: e });
    }
    return new ImageReadError(path, 'unsupported', 'not a supported image format (JPEG, PNG, TIFF, WebP, GIF)', { cause: e });
  }
  if (/premature end|end of stream|read error|truncat|unexpected end|corrupt|bad |invalid/i.test(msg)) {
    return new ImageReadError(path, 'corrupt', withExtra(`truncated or corrupt image data (${msg})`), { cause: e });
  }
  return new ImageReadError(path, 'corrupt', withExtra(`cannot decode image (${msg})`), { cause: e });
}

function looksLikeKnownImage(h: Buffer): boolean {
  if (h.length >= 3 && h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff) return true; // JPEG
  if (h.length >= 8 && h.readUInt32BE(0) === 0x89504e47) return true; // PNG
  if (h.length >= 12 && h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WEBP') return true;
  if (h.length >= 4 && h.toString('latin1', 0, 4) === 'GIF8') return true;
  return false;
}
