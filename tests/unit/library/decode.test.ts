import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { probeImage, readGray } from '../../../main/core/library/decode.js';
import { ImageReadError } from '../../../main/core/library/errors.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING, tempDir } from '../../support/paths.js';
import { buildTiff, greyPage, prng } from './tiff-builder.js';

const maxOf = (a: Uint8Array) => a.reduce((m, v) => (v > m ? v : m), 0);
const minOf = (a: Uint8Array) => a.reduce((m, v) => (v < m ? v : m), 255);

const vendors = join(sharedData, 'sem-tiff/vendors');
const tmp = tempDir('emma-decode-');
afterAll(() => tmp.cleanup());

async function expectReadError(p: Promise<unknown>, code: ImageReadError['code'], reason?: RegExp): Promise<ImageReadError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImageReadError);
  const err = e as ImageReadError;
  expect(err.code, err.reason).toBe(code);
  if (reason) expect(err.reason).toMatch(reason);
  return err;
}

/** A PNG that is only a header claiming `w x h`: the classic decompression bomb shape. */
function pngClaiming(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(w + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decoding failures are typed ImageReadErrors with a reason', () => {
  it('random bytes -> unsupported', async () => {
    const rnd = prng(7);
    const p = join(tmp.dir, 'random.tif');
    writeFileSync(p, Buffer.from(Array.from({ length: 5000 }, () => Math.floor(rnd() * 256))));
    const e = await expectReadError(readGray(p), 'unsupported', /not a supported image format/);
    expect(e.path).toBe(p);
  });

  it('a decompression bomb (PNG header claiming 100000 x 100000) is refused before decoding', async () => {
    const p = join(tmp.dir, 'bomb.png');
    writeFileSync(p, pngClaiming(100_000, 100_000));
    await expectReadError(probeImage(p), 'too-large', /decompression bomb/);
    await expectReadError(readGray(p), 'too-large');
  });

  it('a TIFF whose IFD claims 100000 x 100000 is refused from the header alone', async () => {
    const p = join(tmp.dir, 'bomb.tif');
    writeFileSync(p, buildTiff([greyPage(100_000, 100_000)]));
    await expectReadError(readGray(p), 'too-large', /100000x100000/);
  });

  it('the pixel limit is configurable', async () => {
    const p = join(tmp.dir, 'small.png');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
      .png()
      .toFile(p);
    await expectReadError(readGray(p, { maxPixels: 300 * 200 - 1 }), 'too-large', /60000 pixels/);
    expect((await readGray(p, { maxPixels: 300 * 200 })).width).toBe(300);
  });

  it('missing file -> not-found; a directory -> unreadable; empty file -> corrupt', async () => {
    await expectReadError(readGray(join(tmp.dir, 'nope.png')), 'not-found');
    await expectReadError(readGray(tmp.dir), 'unreadable');
    const empty = join(tmp.dir, 'empty.jpg');
    writeFileSync(empty, Buffer.alloc(0));
    await expectReadError(readGray(empty), 'corrupt', /empty/);
  });

  it('a truncated PNG -> corrupt', async () => {
    const full = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .png()
      .toBuffer();
    const p = join(tmp.dir, 'cut.png');
    writeFileSync(p, full.subarray(0, Math.floor(full.length / 2)));
    await expectReadError(readGray(p), 'corrupt', /truncated/);
  });
});

describe('synthetic images', () => {
  it('16-bit PNG is stretched by percentiles to the full 8-bit range', async () => {
    const w = 100;
    const h = 50;
    // Values only between 1000 and 1400: min/max scaling of the 16-bit range would be nearly black.
    const raw = new Uint16Array(w * h);
    for (let i = 0; i < w * h; i++) raw[i] = 1000 + ((i * 37) % 400);
    const p = join(tmp.dir, 'g16.png');
    await sharp(raw, { raw: { width: w, height: h, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toFile(p);
    const probe = await probeImage(p);
    expect(probe.bitDepth).toBe(16);
    const g = await readGray(p, { probe });
    expect(minOf(g.data)).toBe(0);
    expect(maxOf(g.data)).toBe(255);
    expect(g.data.length).toBe(w * h);
  });

  it('crop then resize returns exactly the requested region, scaled', async () => {
    const p = join(tmp.dir, 'grad.png');
    const raw = Buffer.alloc(400 * 300);
    for (let y = 0; y < 300; y++) raw.fill(y < 200 ? 50 : 250, y * 400, (y + 1) * 400);
    await sharp(raw, { raw: { width: 400, height: 300, channels: 1 } })
      .png()
      .toFile(p);
    const g = await readGray(p, { crop: { top: 0, left: 0, width: 400, height: 200 }, resizeMaxSide: 100 });
    expect([g.width, g.height, g.sourceWidth, g.sourceHeight]).toEqual([100, 50, 400, 300]);
    expect(maxOf(g.data)).toBeLessThan(60); // none of the bright bottom rows
  });
});

describe.skipIf(!hasSharedData)(`decoding the real files${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  // [file, width, height, bitDepth, pages] for every file of sem-tiff/vendors.
  const expected: [string, number, number, number, number][] = [
    ['FEI-Helios-Ebeam-16bits.tif', 512, 471, 16, 1],
    ['FEI-Helios-Ebeam-8bits.tif', 512, 471, 8, 1],
    ['FEI-Helios-navcam-with-no-IRBeam-bad-floats.tif', 768, 551, 8, 1],
    ['FEI-Helios-navcam.tif', 768, 551, 8, 1],
    ['JEOL-SightX-TEM-mag-dummy.tif', 556, 556, 16, 1],
    ['ZEISS_SEM_multipage.tif', 2048, 1536, 8, 2],
    ['test_loading_image_saved_with_DM.tif', 68, 68, 32, 1],
    ['test_loading_image_saved_with_imageJ.tif', 68, 68, 32, 1],
    ['test_tiff_Zeiss_SEM_1k.tif', 1024, 768, 8, 1],
    ['test_tiff_Zeiss_SEM_512pix.tif', 512, 384, 8, 1],
  ];

  it('the table covers every file in sem-tiff/vendors', () => {
    expect(readdirSync(vendors).sort()).toEqual(expected.map((e) => e[0]).sort());
  });

  for (const [file, w, h, bits, pages] of expected) {
    it(`decodes ${file} to ${w}x${h} 8-bit grey (${bits}-bit source, ${pages} page${pages > 1 ? 's' : ''})`, async () => {
      const g = await readGray(join(vendors, file));
      expect([g.width, g.height, g.bitDepth, g.pages, g.format]).toEqual([w, h, bits, pages, 'tiff']);
      expect(g.data.length).toBe(w * h);
    });
  }

  it('palette TIFF (Zeiss) decodes to its grey levels', async () => {
    const probe = await probeImage(join(sharedData, 'sem-tiff/sem/1908248.tif'));
    expect(probe.palette).toBe(true);
    const g = await readGray(join(sharedData, 'sem-tiff/sem/1908248.tif'), { probe });
    // Bar background is black, its text white, the specimen background mid-grey.
    expect(g.data[740 * 1024 + 5]).toBe(0);
    expect(maxOf(g.data.subarray(720 * 1024, 732 * 1024))).toBe(255);
  });

  it('32-bit float (big-endian ImageJ) and 32-bit int (DM) decode to the same stretched picture', async () => {
    const ij = await readGray(join(vendors, 'test_loading_image_saved_with_imageJ.tif'));
    const dm = await readGray(join(vendors, 'test_loading_image_saved_with_DM.tif'));
    expect(minOf(ij.data)).toBe(0);
    expect(maxOf(ij.data)).toBe(255);
    let diff = 0;
    for (let i = 0; i < ij.data.length; i++) diff = Math.max(diff, Math.abs(ij.data[i] - dm.data[i]));
    expect(diff).toBeLessThanOrEqual(1);
  });

  it('FEI 16-bit decodes like its 8-bit twin after the stretch', async () => {
    const a = await readGray(join(vendors, 'FEI-Helios-Ebeam-16bits.tif'));
    const b = await readGray(join(vendors, 'FEI-Helios-Ebeam-8bits.tif'));
    let same = 0;
    for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i] - b.data[i]) <= 2) same++;
    expect(same / a.data.length).toBeGreaterThan(0.98);
  });

  it('NFFA JPEGs decode (RGB JPEG to one grey plane)', async () => {
    const nffa = join(sharedData, 'nffa');
    for (const cls of readdirSync(nffa)) {
      for (const f of readdirSync(join(nffa, cls))) {
        const g = await readGray(join(nffa, cls, f));
        expect([g.width, g.height, g.format, g.bitDepth, g.pages], f).toEqual([1024, 768, 'jpeg', 8, 1]);
      }
    }
  });

  it('a truncated copy of a real TIFF -> corrupt, with the reason', async () => {
    const src = join(sharedData, 'sem-tiff/sem/1908248.tif');
    const p = join(tmp.dir, 'truncated.tif');
    writeFileSync(p, readFileSync(src).subarray(0, 400_000));
    await expectReadError(readGray(p), 'corrupt', /truncated|read error/i);
  });

  it('a TIFF cut inside its header region -> corrupt (IFD outside the file)', async () => {
    const src = join(vendors, 'FEI-Helios-Ebeam-8bits.tif'); // IFD at the end of the file
    const p = join(tmp.dir, 'cut-ifd.tif');
    writeFileSync(p, readFileSync(src).subarray(0, 100_000));
    await expectReadError(readGray(p), 'corrupt', /TIFF/);
  });

  it('a copy with a misleading extension still decodes by content', async () => {
    const p = join(tmp.dir, 'really-a-tiff.jpg');
    copyFileSync(join(vendors, 'test_tiff_Zeiss_SEM_512pix.tif'), p);
    expect((await probeImage(p)).format).toBe('tiff');
  });
});
