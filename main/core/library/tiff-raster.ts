// Pixels of the plainest TIFFs read straight from their strips, without libvips. Most SEM frames are stored this way
// (Zeiss: one uncompressed 8-bit palette strip; FEI: 8/16-bit grey, a strip per row), and for them libvips' decode and
// colour conversion cost more than everything else an import does. Only the layouts below qualify; anything else
// (compression, tiles, several samples, an orientation, reversed bit order, a strip table that does not add up) returns null and goes to
// libvips, which also gives the error for a damaged file. The 8-bit grey values are made by libvips itself: a 256-pixel
// TIFF with the file's photometric and palette goes through the same pipeline as a full decode, so the lookup table is
// exactly what readGray's libvips path would produce (tests compare both paths on real vendor files).
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { Tag, type TiffInfo } from './tiff.js';

export interface PlainStrips {
  /** 1 (8-bit) or 2 (16-bit) bytes per sample. */
  bytesPerSample: 1 | 2;
  rowsPerStrip: number;
  offsets: readonly number[];
  counts: readonly number[];
}

export interface RasterBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The strip layout when libvips' decode can be skipped, else null. `fileSize` bounds every strip. */
export function plainStrips(t: TiffInfo, fileSize: number): PlainStrips | null {
  if (t.compression !== 1 || t.samplesPerPixel !== 1) return null;
  const bytesPerSample = t.bitsPerSample === 8 && t.sampleFormat === 'uint' ? 1 : t.bitsPerSample === 16 && t.sampleFormat === 'uint' ? 2 : null;
  if (bytesPerSample === null) return null;
  // 8-bit: grey either way round or a palette (mapped by the table below); 16-bit: BlackIsZero only (no table).
  if (bytesPerSample === 1 ? ![0, 1, 3].includes(t.photometric) : t.photometric !== 1) return null;
  if (t.palette && (t.tags.get(Tag.ColorMap)?.values?.length ?? 0) !== 3 * 256) return null;
  const orientation = t.tags.get(Tag.Orientation)?.values?.[0] ?? 1;
  // FillOrder 2 stores each byte's bits reversed, which libtiff undoes for 8-bit samples too.
  const fillOrder = t.tags.get(Tag.FillOrder)?.values?.[0] ?? 1;
  if (orientation !== 1 || fillOrder !== 1 || t.tags.has(Tag.TileOffsets)) return null;
  const offsets = t.tags.get(Tag.StripOffsets)?.values;
  const counts = t.tags.get(Tag.StripByteCounts)?.values;
  if (!offsets || !counts || offsets.length !== counts.length) return null;
  const rowsPerStrip = Math.min(t.height, t.tags.get(Tag.RowsPerStrip)?.values?.[0] ?? t.height);
  if (!(rowsPerStrip >= 1) || offsets.length !== Math.ceil(t.height / rowsPerStrip)) return null;
  const rowBytes = t.width * bytesPerSample;
  for (let s = 0; s < offsets.length; s++) {
    const rows = Math.min(rowsPerStrip, t.height - s * rowsPerStrip);
    if (counts[s] < rows * rowBytes || offsets[s] + rows * rowBytes > fileSize) return null;
  }
  return { bytesPerSample, rowsPerStrip, offsets, counts };
}

/**
 * The samples of `box` (default: the whole image), row-major: a Buffer for 8-bit, a Uint16Array for 16-bit. An 8-bit
 * `table` is applied while copying (one pass over the pixels instead of a copy and a lookup pass).
 */
export function readStrips(bytes: Buffer, t: TiffInfo, layout: PlainStrips, box?: RasterBox, table?: Uint8Array): Buffer | Uint16Array {
  const b = box ?? { left: 0, top: 0, width: t.width, height: t.height };
  const bps = layout.bytesPerSample;
  const rowBytes = b.width * bps;
  // A fresh ArrayBuffer: aligned for the 16-bit view (pooled small Buffers need not be).
  const out = Buffer.from(new ArrayBuffer(rowBytes * b.height));
  const fullRows = b.left === 0 && b.width === t.width;
  for (let y = 0; y < b.height;) {
    const row = b.top + y;
    const strip = Math.floor(row / layout.rowsPerStrip);
    const inStrip = row - strip * layout.rowsPerStrip;
    // Whole rows of one strip lie back to back: one copy for all of them.
    const rows = fullRows ? Math.min(b.height - y, layout.rowsPerStrip - inStrip) : 1;
    const at = layout.offsets[strip] + (inStrip * t.width + b.left) * bps;
    if (table && bps === 1) mapInto(out, y * rowBytes, bytes, at, rows * rowBytes, table);
    else bytes.copy(out, y * rowBytes, at, at + rows * rowBytes);
    y += rows;
  }
  if (bps === 1) return out;
  if (t.littleEndian !== (endianness() === 'LE')) out.swap16();
  return new Uint16Array(out.buffer, out.byteOffset, out.length >> 1);
}

/**
 * out[to + i] = table[src[from + i]] for i < n; four samples per step where the output is 4-byte aligned. A source
 * at another alignment (a strip's offset is whatever the writer chose) is first copied to an aligned scratch buffer:
 * a memory copy costs far less than the byte-at-a-time loop (Zeiss 1024x768: 3 ms instead of 1, measured).
 */
function mapInto(out: Buffer, to: number, src: Buffer, from: number, n: number, table: Uint8Array): void {
  let i = 0;
  if ((out.byteOffset + to) % 4 === 0 && n >= 4) {
    const words = n >> 2;
    let s32: Uint32Array;
    if ((src.byteOffset + from) % 4 === 0) s32 = new Uint32Array(src.buffer, src.byteOffset + from, words);
    else {
      s32 = new Uint32Array(words);
      src.copy(Buffer.from(s32.buffer), 0, from, from + words * 4);
    }
    const o32 = new Uint32Array(out.buffer, out.byteOffset + to, words);
    for (let w = 0; w < words; w++) {
      const v = s32[w];
      o32[w] = (table[v & 255] | (table[(v >>> 8) & 255] << 8) | (table[(v >>> 16) & 255] << 16) | (table[v >>> 24] << 24)) >>> 0;
    }
    i = words * 4;
  }
  for (; i < n; i++) out[to + i] = table[src[from + i]];
}

const tables = new Map<string, Promise<Uint8Array>>();

/**
 * Sample value -> the 8-bit grey libvips gives for it under this file's photometric and palette, computed once per
 * distinct palette. `decodeGray8` is readGray's own libvips path, so both paths share one definition of "grey".
 */
export function greyTable(t: TiffInfo, decodeGray8: (tiff: Buffer) => Promise<Buffer>): Promise<Uint8Array> {
  const map = t.palette ? (t.tags.get(Tag.ColorMap)?.values ?? []) : [];
  const key = `${t.photometric}:${createHash('sha256').update(Uint16Array.from(map)).digest('hex')}`;
  let table = tables.get(key);
  if (!table) {
    table = decodeGray8(rampTiff(t.photometric, map)).then((g) => {
      if (g.length !== 256) throw new Error(`grey table has ${g.length} entries`);
      return new Uint8Array(g);
    });
    // A failure is not cached: the next file tries again (and the caller falls back to libvips meanwhile).
    table.catch(() => tables.delete(key));
    tables.set(key, table);
  }
  return table;
}

/** A 256 x 1 uncompressed 8-bit TIFF whose pixels are 0..255, with the given photometric (and palette). */
function rampTiff(photometric: number, colorMap: readonly number[]): Buffer {
  const entries: [tag: number, type: number, values: readonly number[]][] = [
    [Tag.ImageWidth, 3, [256]],
    [Tag.ImageLength, 3, [1]],
    [Tag.BitsPerSample, 3, [8]],
    [Tag.Compression, 3, [1]],
    [Tag.Photometric, 3, [photometric]],
    [Tag.StripOffsets, 4, [0]], // patched below
    [Tag.SamplesPerPixel, 3, [1]],
    [Tag.RowsPerStrip, 3, [1]],
    [Tag.StripByteCounts, 4, [256]],
  ];
  if (photometric === 3) entries.push([Tag.ColorMap, 3, colorMap]);
  const ifdAt = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  const mapAt = ifdAt + ifdSize;
  const pixelsAt = mapAt + (photometric === 3 ? colorMap.length * 2 : 0);
  const buf = Buffer.alloc(pixelsAt + 256);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifdAt, 4);
  buf.writeUInt16LE(entries.length, ifdAt);
  entries.forEach(([tag, type, values], i) => {
    const e = ifdAt + 2 + i * 12;
    buf.writeUInt16LE(tag, e);
    buf.writeUInt16LE(type, e + 2);
    buf.writeUInt32LE(values.length, e + 4);
    if (tag === Tag.StripOffsets) buf.writeUInt32LE(pixelsAt, e + 8);
    else if (tag === Tag.ColorMap) buf.writeUInt32LE(mapAt, e + 8);
    else if (type === 3) buf.writeUInt16LE(values[0], e + 8);
    else buf.writeUInt32LE(values[0], e + 8);
  });
  colorMap.forEach((v, i) => buf.writeUInt16LE(v, mapAt + 2 * i));
  for (let i = 0; i < 256; i++) buf[pixelsAt + i] = i;
  return buf;
}
