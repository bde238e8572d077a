// The strip reader (tiff-raster.ts) must give exactly the grey plane libvips gives for the same file: it replaces
// libvips' decode on the importer's hot path. Every case decodes the same bytes both ways and compares them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { probeImage, readGray, type Box } from '../../../main/core/library/decode.js';
import { ImageReadError } from '../../../main/core/library/errors.js';
import { stretchToUint8 } from '../../../main/core/library/stretch.js';
import { plainStrips } from '../../../main/core/library/tiff-raster.js';
import { readTiff } from '../../../main/core/library/tiff.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { prng } from './tiff-builder.js';

/** What readGray's libvips path makes of these bytes (written out here, independently of decode.ts). */
async function libvipsGray(bytes: Buffer, bitDepth: number, crop?: Box): Promise<Buffer> {
  let img = sharp(bytes, { failOn: 'error', page: 0, pages: 1 });
  if (crop) img = img.extract(crop);
  img = img.removeAlpha();
  if (bitDepth === 16) {
    const r = await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    return stretchToUint8(new Uint16Array(r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength)));
  }
  const r = await img.toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  expect(r.info.channels).toBe(1);
  return r.data;
}

interface PlainOptions {
  width: number;
  height: number;
  bits: 8 | 16;
  photometric: number;
  le?: boolean;
  rowsPerStrip?: number;
  colorMap?: number[];
  orientation?: number;
  fillOrder?: number;
  /** Point the last strip near the end of the file, so that its bytes run past it (a truncated file). */
  lastStripPastEnd?: boolean;
}

/** An uncompressed strip TIFF with random samples: pixels first, then the IFD and its arrays. */
function plainTiff(o: PlainOptions, seed = 1): Buffer {
  const le = o.le ?? true;
  const bps = o.bits / 8;
  const rps = o.rowsPerStrip ?? o.height;
  const strips = Math.ceil(o.height / rps);
  const rand = prng(seed);
  const pixels = Buffer.alloc(o.width * o.height * bps);
  for (let i = 0; i < o.width * o.height; i++) {
    const v = Math.floor(rand() * (o.bits === 8 ? 256 : 4096));
    if (bps === 1) pixels[i] = v;
    else if (le) pixels.writeUInt16LE(v, 2 * i);
    else pixels.writeUInt16BE(v, 2 * i);
  }
  const entries: [number, number, number[]][] = [
    [256, 4, [o.width]],
    [257, 4, [o.height]],
    [258, 3, [o.bits]],
    [259, 3, [1]],
    [262, 3, [o.photometric]],
    ...(o.fillOrder ? ([[266, 3, [o.fillOrder]]] as [number, number, number[]][]) : []),
    [273, 4, Array.from({ length: strips }, (_, s) => 8 + s * rps * o.width * bps)],
    ...(o.orientation ? ([[274, 3, [o.orientation]]] as [number, number, number[]][]) : []),
    [277, 3, [1]],
    [278, 4, [rps]],
    [279, 4, Array.from({ length: strips }, (_, s) => Math.min(rps, o.height - s * rps) * o.width * bps)],
    ...(o.colorMap ? ([[320, 3, o.colorMap]] as [number, number, number[]][]) : []),
  ];
  const ifdAt = 8 + pixels.length;
  const arraysAt = ifdAt + 2 + entries.length * 12 + 4;
  const size = (type: number) => (type === 3 ? 2 : 4);
  let arrays = 0;
  for (const [, type, values] of entries) if (values.length * size(type) > 4) arrays += values.length * size(type);
  const buf = Buffer.alloc(arraysAt + arrays);
  if (o.lastStripPastEnd) entries.find(([tag]) => tag === 273)![2][strips - 1] = buf.length - 10;
  const w16 = (v: number, at: number) => (le ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (le ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  buf.write(le ? 'II' : 'MM', 0, 'latin1');
  w16(42, 2);
  w32(ifdAt, 4);
  pixels.copy(buf, 8);
  w16(entries.length, ifdAt);
  let next = arraysAt;
  entries.forEach(([tag, type, values], i) => {
    const e = ifdAt + 2 + i * 12;
    w16(tag, e);
    w16(type, e + 2);
    w32(values.length, e + 4);
    const write = (v: number, at: number) => (type === 3 ? w16(v, at) : w32(v, at));
    if (values.length * size(type) <= 4) values.forEach((v, k) => write(v, e + 8 + k * size(type)));
    else {
      w32(next, e + 8);
      values.forEach((v, k) => write(v, next + k * size(type)));
      next += values.length * size(type);
    }
  });
  return buf;
}

async function expectSameAsLibvips(bytes: Buffer, bits: number, crop?: Box): Promise<boolean> {
  const probe = await probeImage('mem.tif', { bytes });
  const ours = await readGray('mem.tif', { bytes, probe, ...(crop ? { crop } : {}) });
  const theirs = await libvipsGray(bytes, bits, crop);
  expect(ours.data.length).toBe(theirs.length);
  expect(Buffer.compare(ours.data, theirs)).toBe(0);
  return plainStrips(probe.tiff!, bytes.length) !== null;
}

describe('plain strip TIFFs decode exactly as libvips decodes them', () => {
  const cases: [string, PlainOptions][] = [
    ['8-bit BlackIsZero, one strip', { width: 67, height: 41, bits: 8, photometric: 1 }],
    ['8-bit BlackIsZero, a strip per 3 rows, big-endian', { width: 64, height: 40, bits: 8, photometric: 1, le: false, rowsPerStrip: 3 }],
    ['8-bit WhiteIsZero', { width: 33, height: 20, bits: 8, photometric: 0, rowsPerStrip: 7 }],
    [
      '8-bit palette with colours (not a grey ramp)',
      {
        width: 50,
        height: 30,
        bits: 8,
        photometric: 3,
        colorMap: [
          ...Array.from({ length: 256 }, (_, i) => i * 257),
          ...Array.from({ length: 256 }, (_, i) => (255 - i) * 257),
          ...Array.from({ length: 256 }, (_, i) => ((i * 7) % 256) * 257),
        ],
      },
    ],
    ['16-bit BlackIsZero, little-endian, strips of 5 rows', { width: 45, height: 23, bits: 16, photometric: 1, rowsPerStrip: 5 }],
    ['16-bit BlackIsZero, big-endian', { width: 31, height: 17, bits: 16, photometric: 1, le: false }],
  ];
  for (const [name, o] of cases) {
    it(name, async () => {
      const bytes = plainTiff(o);
      expect(await expectSameAsLibvips(bytes, o.bits)).toBe(true);
      // A crop reads only its rows and columns, and still matches.
      await expectSameAsLibvips(bytes, o.bits, { left: 3, top: 2, width: Math.floor(o.width / 2), height: Math.floor(o.height / 2) });
    });
  }

  it('a rotated image (Orientation 6) is left to libvips, which gives the same plane as always', async () => {
    const bytes = plainTiff({ width: 20, height: 10, bits: 8, photometric: 1, orientation: 6 });
    expect(await expectSameAsLibvips(bytes, 8)).toBe(false);
  });

  it('reversed bit order (FillOrder 2) is left to libvips', async () => {
    const bytes = plainTiff({ width: 24, height: 12, bits: 8, photometric: 1, fillOrder: 2 });
    expect(await expectSameAsLibvips(bytes, 8)).toBe(false);
  });

  it('a truncated strip is not read past the end: libvips reports the file as corrupt, as before', async () => {
    const cut = plainTiff({ width: 64, height: 64, bits: 8, photometric: 1, rowsPerStrip: 8, lastStripPastEnd: true });
    const t = await readTiff(cut);
    expect(plainStrips(t, cut.length)).toBeNull();
    await expect(readGray('cut.tif', { bytes: cut })).rejects.toBeInstanceOf(ImageReadError);
  });
});

describe.skipIf(!hasSharedData)('real vendor TIFFs: the strip reader and libvips agree byte for byte', () => {
  if (!hasSharedData) console.warn(SHARED_DATA_MISSING);
  it('Zeiss, FEI and JEOL files', async () => {
    const dirs = ['sem-tiff/vendors', 'sem-tiff/sem', 'sem-tiff/tsem'].map((d) => join(sharedData, d));
    const files = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((n) => /\.tiff?$/i.test(n))
        .slice(0, d.endsWith('vendors') ? undefined : 2)
        .map((n) => join(d, n)),
    );
    let plain = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      const probe = await probeImage(f, { bytes });
      if (probe.bitDepth > 16 || probe.sampleFormat !== 'uint') continue; // float/32-bit: libvips only, nothing to compare
      if (await expectSameAsLibvips(bytes, probe.bitDepth)) plain++;
      // Read from the path too (measurement and previews do): the same plane.
      const fromPath = await readGray(f);
      expect(Buffer.compare(fromPath.data, await libvipsGray(bytes, probe.bitDepth))).toBe(0);
    }
    // Zeiss (palette), FEI 8- and 16-bit and JEOL 16-bit frames all take the strip path.
    expect(plain).toBeGreaterThanOrEqual(10);
  });
});
