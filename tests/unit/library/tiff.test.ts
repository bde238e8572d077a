import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource, readTiff, readTiffFrom, Tag, tagText, TiffError, type ByteSource } from '../../../main/core/library/tiff.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { ascii, buildTiff, greyPage, prng } from './tiff-builder.js';

const vendors = join(sharedData, 'sem-tiff/vendors');

describe('readTiff on synthetic layouts', () => {
  const extra = [
    { tag: Tag.ImageDescription, type: 2, bytes: ascii('hello <xml/>') },
    { tag: Tag.XResolution, type: 5, values: [93.5] },
    { tag: Tag.ZeissCzSem, type: 2, bytes: ascii('AP_MAG\r\nMag = 50.00 K X\r\n') },
    { tag: Tag.SampleFormat, type: 3, values: [3] },
  ];

  for (const le of [true, false]) {
    for (const big of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${big ? 'BigTIFF' : 'classic TIFF'} tags and pages`, async () => {
        const buf = buildTiff([greyPage(640, 480, extra), greyPage(10, 10), greyPage(20, 20)], { le, big });
        const t = await readTiff(buf);
        expect(t.littleEndian).toBe(le);
        expect(t.bigTiff).toBe(big);
        expect(t.width).toBe(640);
        expect(t.height).toBe(480);
        expect(t.bitsPerSample).toBe(8);
        expect(t.sampleFormat).toBe('float');
        expect(t.pages).toBe(3);
        expect(tagText(t.tags, Tag.ImageDescription)).toBe('hello <xml/>');
        expect(tagText(t.tags, Tag.ZeissCzSem)).toContain('Mag = 50.00 K X');
        expect(t.tags.get(Tag.XResolution)?.values?.[0]).toBeCloseTo(93.5, 6);
      });
    }
  }

  it('decodes Latin-1 text (Zeiss writes the micro sign as byte 0xB5)', async () => {
    const bytes = Buffer.from([...Buffer.from('Pixel Size = 2.615 ', 'latin1'), 0xb5, ...Buffer.from('m', 'latin1'), 0]);
    const t = await readTiff(buildTiff([greyPage(4, 4, [{ tag: Tag.ZeissCzSem, type: 2, bytes }])]));
    expect(tagText(t.tags, Tag.ZeissCzSem)).toBe('Pixel Size = 2.615 µm');
  });

  it('refuses an IFD chain that loops instead of hanging', async () => {
    const buf = buildTiff([greyPage(4, 4), greyPage(4, 4)], { loop: true });
    await expect(readTiff(buf)).rejects.toThrow(/loops/);
  });

  it('refuses non-TIFF bytes and too-short files with TiffError', async () => {
    await expect(readTiff(Buffer.from('GIF89a....'))).rejects.toBeInstanceOf(TiffError);
    await expect(readTiff(Buffer.from('II*'))).rejects.toThrow(/too short/);
    await expect(readTiff(Buffer.alloc(0))).rejects.toBeInstanceOf(TiffError);
  });

  it('refuses an absurd IFD entry count', async () => {
    const buf = buildTiff([greyPage(4, 4)]);
    buf.writeUInt16LE(60_000, 8);
    await expect(readTiff(buf)).rejects.toThrow(/claims 60000 entries/);
  });

  it('every truncation of a file either parses or throws TiffError, never reads out of range', async () => {
    const buf = buildTiff([greyPage(64, 64, extra), greyPage(8, 8)]);
    for (let n = 0; n < buf.length; n++) {
      const cut = buf.subarray(0, n);
      const src: ByteSource = {
        size: cut.length,
        read: async (offset, length) => {
          // A strict source: any read past the end is a reader bug.
          if (offset < 0 || offset + length > cut.length) throw new Error(`out-of-range read ${offset}+${length} of ${cut.length}`);
          return cut.subarray(offset, offset + length);
        },
      };
      try {
        const t = await readTiffFrom(src);
        expect(t.width).toBe(64);
      } catch (e) {
        expect(e, `prefix of ${n} bytes`).toBeInstanceOf(TiffError);
      }
    }
  });

  it('random garbage after a valid byte-order mark only ever yields TiffError', async () => {
    const rnd = prng(42);
    for (let i = 0; i < 2000; i++) {
      const len = 8 + Math.floor(rnd() * 600);
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) b[k] = Math.floor(rnd() * 256);
      b.write(i % 2 ? 'II' : 'MM', 0, 'latin1');
      if (i % 2) b.writeUInt16LE(i % 4 === 1 ? 42 : 43, 2);
      else b.writeUInt16BE(i % 4 === 0 ? 42 : 43, 2);
      // Point the first IFD inside the buffer half of the time so the entry parser is exercised.
      if (i % 3 === 0 && len > 16) i % 2 ? b.writeUInt32LE(8, 4) : b.writeUInt32BE(8, 4);
      try {
        await readTiff(b);
      } catch (e) {
        expect(e).toBeInstanceOf(TiffError);
      }
    }
  });

  it('skips payloads over maxTagBytes instead of loading them', async () => {
    const big = Buffer.alloc(100_000, 0x41);
    const t = await readTiff(buildTiff([greyPage(4, 4, [{ tag: 50839, type: 1, bytes: big }])]), { maxTagBytes: 1024 });
    expect(t.tags.get(50839)?.skipped).toBe(true);
    expect(t.tags.get(50839)?.bytes).toBeUndefined();
  });
});

describe.skipIf(!hasSharedData)(`readTiff on real files${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  it('reads the Zeiss palette TIFF, its CZ_SEM tag and one page', async () => {
    const t = await readTiff(join(sharedData, 'sem-tiff/sem/1908248.tif'));
    expect([t.width, t.height, t.pages, t.bitsPerSample, t.photometric, t.palette]).toEqual([1024, 768, 1, 8, 3, true]);
    expect(t.tags.get(Tag.ColorMap)?.values).toHaveLength(768);
    expect(tagText(t.tags, Tag.ZeissCzSem)).toContain('AP_IMAGE_PIXEL_SIZE');
  });

  it('counts the two pages of the Zeiss multipage file', async () => {
    const t = await readTiff(join(vendors, 'ZEISS_SEM_multipage.tif'));
    expect([t.width, t.height, t.pages]).toEqual([2048, 1536, 2]);
  });

  it('reads only the header region of a large file', async () => {
    const file = readFileSync(join(vendors, 'ZEISS_SEM_multipage.tif'));
    let bytesRead = 0;
    const src: ByteSource = { size: file.length, read: async (o, l) => ((bytesRead += l), file.subarray(o, o + l)) };
    await readTiffFrom(src);
    expect(file.length).toBeGreaterThan(6_000_000);
    expect(bytesRead).toBeLessThan(64 * 1024);
  });

  it('reads the big-endian 32-bit float ImageJ file and the 32-bit int DM file', async () => {
    const ij = await readTiff(join(vendors, 'test_loading_image_saved_with_imageJ.tif'));
    expect([ij.littleEndian, ij.bitsPerSample, ij.sampleFormat]).toEqual([false, 32, 'float']);
    expect(tagText(ij.tags, Tag.ImageDescription)).toMatch(/^ImageJ=/);
    const dm = await readTiff(join(vendors, 'test_loading_image_saved_with_DM.tif'));
    expect([dm.littleEndian, dm.bitsPerSample, dm.sampleFormat]).toEqual([true, 32, 'int']);
  });

  it('reads FEI INI (34682) and JEOL XML (270) text blocks', async () => {
    const fei = await readTiff(join(vendors, 'FEI-Helios-Ebeam-16bits.tif'));
    expect(fei.bitsPerSample).toBe(16);
    expect(tagText(fei.tags, Tag.FeiHelios)).toContain('[Scan]');
    const jeol = await readTiff(join(vendors, 'JEOL-SightX-TEM-mag-dummy.tif'));
    expect(tagText(jeol.tags, Tag.ImageDescription)).toContain('<TemReporter');
  });

  it('parses every real TIFF header in bufferSource and file mode identically', async () => {
    const t1 = await readTiff(join(vendors, 'FEI-Helios-navcam.tif'));
    const t2 = await readTiffFrom(bufferSource(readFileSync(join(vendors, 'FEI-Helios-navcam.tif'))));
    expect(t2.width).toBe(t1.width);
    expect(tagText(t2.tags, Tag.FeiHelios)).toBe(tagText(t1.tags, Tag.FeiHelios));
  });
});
