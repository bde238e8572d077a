// Minimal TIFF IFD reader. libvips (sharp) decodes the pixels but does not expose vendor tags
// (Zeiss CZ_SEM 34118, FEI/Thermo 34680/34682, JEOL XML in ImageDescription), palette/sample format
// details or a trustworthy page count, so we read the first IFD ourselves.
//
// Design constraints:
// - Reads only the bytes it needs (header, IFD entries, out-of-line tag payloads) through a
//   random-access source, so multi-GB stacks cost a few small reads.
// - Every offset is bounds-checked against the source size; IFD chains are walked with loop
//   detection and a hard cap, so garbage input throws a TiffError instead of hanging or over-reading.
import { open } from 'node:fs/promises';

export class TiffError extends Error {
  override readonly name = 'TiffError';
}

/** Random-access bytes: a file handle or an in-memory Buffer. */
export interface ByteSource {
  readonly size: number;
  /** Returns exactly `length` bytes at `offset`, or throws (callers bounds-check first). */
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: async (offset, length) => buf.subarray(offset, offset + length),
  };
}

/** TIFF field types (TIFF 6.0 + BigTIFF). */
export const TiffType = {
  BYTE: 1,
  ASCII: 2,
  SHORT: 3,
  LONG: 4,
  RATIONAL: 5,
  SBYTE: 6,
  UNDEFINED: 7,
  SSHORT: 8,
  SLONG: 9,
  SRATIONAL: 10,
  FLOAT: 11,
  DOUBLE: 12,
  IFD: 13,
  LONG8: 16,
  SLONG8: 17,
  IFD8: 18,
} as const;

const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** Well-known tag numbers used by this library. */
export const Tag = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  FillOrder: 266,
  ImageDescription: 270,
  Make: 271,
  Model: 272,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  ResolutionUnit: 296,
  Software: 305,
  DateTime: 306,
  ColorMap: 320,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
  ZeissCzSem: 34118,
  FeiSfeg: 34680,
  FeiHelios: 34682,
} as const;

export interface TiffTag {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Numeric values (RATIONAL as a/b). Absent for ASCII/BYTE/UNDEFINED and for skipped payloads. */
  readonly values?: readonly number[];
  /** Raw payload for BYTE/ASCII/UNDEFINED/SBYTE tags (vendor text blocks live here). */
  readonly bytes?: Buffer;
  /** True when the payload was not loaded (too large, or an offsets table nobody here needs). */
  readonly skipped?: boolean;
}

export type TiffTags = ReadonlyMap<number, TiffTag>;

export type SampleFormat = 'uint' | 'int' | 'float' | 'void' | 'complex-int' | 'complex-float' | 'unknown';

export interface TiffInfo {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  /** Number of top-level IFDs (pages); SubIFDs are not counted. */
  readonly pages: number;
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly samplesPerPixel: number;
  readonly sampleFormat: SampleFormat;
  /** TIFF Photometric: 0 WhiteIsZero, 1 BlackIsZero, 2 RGB, 3 Palette, ... (-1 if absent). */
  readonly photometric: number;
  readonly palette: boolean;
  readonly compression: number;
  /** Tags of the first page. */
  readonly tags: TiffTags;
}

export interface ReadTiffOptions {
  /** Payloads larger than this are not loaded (tag marked `skipped`). Default 16 MiB. */
  maxTagBytes?: number;
  /** Upper bound on pages counted; beyond it counting stops (and `pages` is this cap). Default 100 000. */
  maxPages?: number;
}

const MAX_IFD_ENTRIES = 4096; // real files have < 100; more means garbage
// Offsets tables scale with image size and are only needed to decode pixels: tiles are libvips' job; strip tables
// are loaded up to MAX_STRIPS entries (tiff-raster.ts reads plain strips itself), beyond that libvips decodes.
const SKIP_PAYLOAD = new Set<number>([Tag.TileOffsets, Tag.TileByteCounts]);
const STRIP_TABLES = new Set<number>([Tag.StripOffsets, Tag.StripByteCounts]);
const MAX_STRIPS = 65_536;

/** Cheap check on the first bytes: is this a (Big)TIFF? */
export function isTiffSignature(head: Buffer): boolean {
  if (head.length < 4) return false;
  const bo = head.toString('latin1', 0, 2);
  if (bo !== 'II' && bo !== 'MM') return false;
  const magic = bo === 'II' ? head.readUInt16LE(2) : head.readUInt16BE(2);
  return magic === 42 || magic === 43;
}

/** Reads the first page's tags and counts pages. `input` is a file path or an in-memory Buffer. */
export async function readTiff(input: string | Buffer, opts: ReadTiffOptions = {}): Promise<TiffInfo> {
  if (Buffer.isBuffer(input)) return readTiffFrom(bufferSource(input), opts);
  const fh = await open(input, 'r');
  try {
    const { size } = await fh.stat();
    const src: ByteSource = {
      size,
      read: async (offset, length) => {
        const buf = Buffer.alloc(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
          if (bytesRead === 0) throw new TiffError(`unexpected end of file at byte ${offset + done}`);
          done += bytesRead;
        }
        return buf;
      },
    };
    return await readTiffFrom(src, opts);
  } finally {
    await fh.close();
  }
}

export async function readTiffFrom(src: ByteSource, opts: ReadTiffOptions = {}): Promise<TiffInfo> {
  const maxTagBytes = opts.maxTagBytes ?? 16 * 1024 * 1024;
  const maxPages = opts.maxPages ?? 100_000;

  const read = async (offset: number, length: number, what: string): Promise<Buffer> => {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > src.size) {
      throw new TiffError(`${what} at byte ${offset} (+${length}) lies outside the ${src.size}-byte file (truncated or corrupt TIFF)`);
    }
    return src.read(offset, length);
  };

  if (src.size < 8) throw new TiffError(`file too short for a TIFF header (${src.size} bytes)`);
  const head = await read(0, Math.min(16, src.size), 'header');
  if (!isTiffSignature(head)) throw new TiffError('not a TIFF file (bad byte-order mark or magic number)');
  const le = head[0] === 0x49;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => {
    const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    // Offsets beyond 2^53 cannot be in any file we can read; treat as corrupt.
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TiffError('64-bit offset out of range (corrupt BigTIFF)');
    return Number(v);
  };
  const bigTiff = u16(head, 2) === 43;
  let firstIfd: number;
  if (bigTiff) {
    if (head.length < 16) throw new TiffError('file too short for a BigTIFF header');
    if (u16(head, 4) !== 8 || u16(head, 6) !== 0) throw new TiffError('unsupported BigTIFF offset size');
    firstIfd = u64(head, 8);
  } else {
    firstIfd = u32(head, 4);
  }
  if (firstIfd < 8) throw new TiffError(`invalid first IFD offset ${firstIfd}`);

  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const inlineSize = bigTiff ? 8 : 4;
  const nextSize = bigTiff ? 8 : 4;

  const readCount = async (ifd: number): Promise<number> => {
    const b = await read(ifd, countSize, 'IFD entry count');
    const n = bigTiff ? u64(b, 0) : u16(b, 0);
    if (n === 0 || n > MAX_IFD_ENTRIES) throw new TiffError(`IFD at byte ${ifd} claims ${n} entries (corrupt TIFF)`);
    return n;
  };

  // First page: full entries.
  const n = await readCount(firstIfd);
  const entries = await read(firstIfd + countSize, n * entrySize + nextSize, 'IFD entries');
  const tags = new Map<number, TiffTag>();
  for (let i = 0; i < n; i++) {
    const e = i * entrySize;
    const tag = u16(entries, e);
    const type = u16(entries, e + 2);
    const count = bigTiff ? u64(entries, e + 4) : u32(entries, e + 4);
    const size = TYPE_SIZE[type];
    if (size === undefined) continue; // unknown field type: skip, as the spec says readers should
    const byteLen = count * size;
    if (!Number.isSafeInteger(byteLen)) throw new TiffError(`tag ${tag} has an impossible size`);
    const valueAt = e + (bigTiff ? 12 : 8);
    let payload: Buffer;
    if (byteLen <= inlineSize) {
      payload = entries.subarray(valueAt, valueAt + byteLen);
    } else {
      if (byteLen > maxTagBytes || SKIP_PAYLOAD.has(tag) || (STRIP_TABLES.has(tag) && count > MAX_STRIPS)) {
        tags.set(tag, { tag, type, count, skipped: true });
        continue;
      }
      const off = bigTiff ? u64(entries, valueAt) : u32(entries, valueAt);
      payload = await read(off, byteLen, `payload of tag ${tag}`);
    }
    tags.set(tag, decodeValues(tag, type, count, payload, le));
  }
  const nextOff = (b: Buffer, o: number) => (bigTiff ? u64(b, o) : u32(b, o));

  // Remaining pages: only entry counts and next-IFD links.
  let pages = 1;
  const seen = new Set<number>([firstIfd]);
  let next = nextOff(entries, n * entrySize);
  while (next !== 0 && pages < maxPages) {
    if (seen.has(next)) throw new TiffError(`IFD chain loops back to byte ${next} (corrupt TIFF)`);
    seen.add(next);
    if (next + countSize > src.size) break; // dangling link after valid first page: count what is there
    const m = await readCount(next);
    const linkAt = next + countSize + m * entrySize;
    if (linkAt + nextSize > src.size) break;
    pages++;
    next = nextOff(await read(linkAt, nextSize, 'next IFD offset'), 0);
  }

  const num = (t: number, dflt: number) => tags.get(t)?.values?.[0] ?? dflt;
  const width = num(Tag.ImageWidth, 0);
  const height = num(Tag.ImageLength, 0);
  if (!(width > 0 && height > 0)) throw new TiffError('first page has no valid ImageWidth/ImageLength');
  const photometric = num(Tag.Photometric, -1);
  const sf = num(Tag.SampleFormat, 1);
  const sampleFormat: SampleFormat = ({ 1: 'uint', 2: 'int', 3: 'float', 4: 'void', 5: 'complex-int', 6: 'complex-float' } as const)[sf] ?? 'unknown';
  return {
    littleEndian: le,
    bigTiff,
    pages,
    width,
    height,
    bitsPerSample: num(Tag.BitsPerSample, 1),
    samplesPerPixel: num(Tag.SamplesPerPixel, 1),
    sampleFormat,
    photometric,
    palette: photometric === 3,
    compression: num(Tag.Compression, 1),
    tags,
  };
}

function decodeValues(tag: number, type: number, count: number, p: Buffer, le: boolean): TiffTag {
  switch (type) {
    case TiffType.BYTE:
    case TiffType.ASCII:
    case TiffType.SBYTE:
    case TiffType.UNDEFINED:
      // Copy: the payload may be a view of a larger read buffer we do not want to retain.
      return { tag, type, count, bytes: Buffer.from(p) };
  }
  // Numeric arrays: cap the decoded length; nothing we use needs more (ColorMap is 768).
  const size = TYPE_SIZE[type];
  const n = Math.min(count, 65_536);
  const values: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (type) {
      case TiffType.SHORT:
        values[i] = le ? p.readUInt16LE(o) : p.readUInt16BE(o);
        break;
      case TiffType.SSHORT:
        values[i] = le ? p.readInt16LE(o) : p.readInt16BE(o);
        break;
      case TiffType.LONG:
      case TiffType.IFD:
        values[i] = le ? p.readUInt32LE(o) : p.readUInt32BE(o);
        break;
      case TiffType.SLONG:
        values[i] = le ? p.readInt32LE(o) : p.readInt32BE(o);
        break;
      case TiffType.RATIONAL: {
        const a = le ? p.readUInt32LE(o) : p.readUInt32BE(o);
        const b = le ? p.readUInt32LE(o + 4) : p.readUInt32BE(o + 4);
        values[i] = b === 0 ? NaN : a / b;
        break;
      }
      case TiffType.SRATIONAL: {
        const a = le ? p.readInt32LE(o) : p.readInt32BE(o);
        const b = le ? p.readInt32LE(o + 4) : p.readInt32BE(o + 4);
        values[i] = b === 0 ? NaN : a / b;
        break;
      }
      case TiffType.FLOAT:
        values[i] = le ? p.readFloatLE(o) : p.readFloatBE(o);
        break;
      case TiffType.DOUBLE:
        values[i] = le ? p.readDoubleLE(o) : p.readDoubleBE(o);
        break;
      case TiffType.LONG8:
      case TiffType.IFD8:
        values[i] = Number(le ? p.readBigUInt64LE(o) : p.readBigUInt64BE(o));
        break;
      case TiffType.SLONG8:
        values[i] = Number(le ? p.readBigInt64LE(o) : p.readBigInt64BE(o));
        break;
      default:
        values[i] = NaN;
    }
  }
  return { tag, type, count, values };
}

/** A text tag as a string, trailing NULs removed. Works for ASCII, BYTE and UNDEFINED tags. */
export function tagText(tags: TiffTags, tag: number): string | null {
  const t = tags.get(tag);
  if (!t?.bytes) return null;
  let end = t.bytes.length;
  while (end > 0 && t.bytes[end - 1] === 0) end--;
  return decodeText(t.bytes.subarray(0, end));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8 (JEOL XML, newer FEI), else Latin-1 (Zeiss's 0xB5 'µ'). */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
