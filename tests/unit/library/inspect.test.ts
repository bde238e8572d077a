import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageReadError } from '../../../main/core/library/errors.js';
import { inspectImage, inspectWithThumbnail } from '../../../main/core/library/inspect.js';
import { makeThumbnail } from '../../../main/core/library/thumbnail.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING, tempDir } from '../../support/paths.js';

const maxOf = (a: Uint8Array) => a.reduce((m, v) => (v > m ? v : m), 0);

const semTiff = join(sharedData, 'sem-tiff');
const tmp = tempDir('emma-inspect-');
afterAll(() => tmp.cleanup());

const INFO_KEYS = [
  'acquiredAt',
  'bitDepth',
  'dataBar',
  'detector',
  'format',
  'height',
  'instrument',
  'kV',
  'magnification',
  'metadataRaw',
  'pages',
  'pixelSizeNm',
  'vendor',
  'width',
  'workingDistanceMm',
];

describe('inspectImage without instrument metadata', () => {
  it('a plain PNG: dimensions, nulls for what the file does not say, JSON-serialisable', async () => {
    const p = join(tmp.dir, 'plain.png');
    await sharp({ create: { width: 120, height: 90, channels: 3, background: '#336699' } })
      .png()
      .toFile(p);
    const info = await inspectImage(p);
    expect(Object.keys(info).sort()).toEqual(INFO_KEYS);
    expect(info).toMatchObject({
      width: 120,
      height: 90,
      bitDepth: 8,
      format: 'png',
      pages: 1,
      pixelSizeNm: null,
      magnification: null,
      kV: null,
      workingDistanceMm: null,
      detector: null,
      instrument: null,
      vendor: null,
      acquiredAt: null,
      dataBar: null,
      metadataRaw: {},
    });
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('corrupt input is an ImageReadError carrying the path', async () => {
    const p = join(tmp.dir, 'bad.tif');
    writeFileSync(p, Buffer.from('II*\u0000garbage garbage garbage', 'latin1'));
    const e = await inspectImage(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImageReadError);
    expect((e as ImageReadError).path).toBe(p);
    expect((e as ImageReadError).code).toBe('corrupt');
  });
});

describe.skipIf(!hasSharedData)(`inspectImage / thumbnails on real files${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  it('sem/1908248.tif: what `emma info --json` prints', async () => {
    const info = await inspectImage(join(semTiff, 'sem/1908248.tif'));
    expect(Object.keys(info).sort()).toEqual(INFO_KEYS);
    expect(info).toMatchObject({
      width: 1024,
      height: 768,
      bitDepth: 8,
      format: 'tiff',
      pages: 1,
      magnification: 50_000,
      kV: 20,
      detector: 'InLens',
      instrument: 'Supra 40',
      vendor: 'zeiss',
      acquiredAt: '2019-07-18T10:09:27',
    });
    expect(info.pixelSizeNm).toBeCloseTo(7.344, 6);
    expect(info.workingDistanceMm).toBeCloseTo(2.8, 6);
    expect(info.dataBar!.y).toBeGreaterThanOrEqual(706);
    expect(info.dataBar!.y).toBeLessThanOrEqual(714);
    expect(info.metadataRaw.AP_MAG).toBe('50.00 K X');
  });

  it('FEI 16-bit: 16-bit, 3372.4 nm/px, 5 kV, 4.03 mm, ETD, bar = bottom 29 rows', async () => {
    const info = await inspectImage(join(semTiff, 'vendors/FEI-Helios-Ebeam-16bits.tif'));
    expect(info).toMatchObject({ bitDepth: 16, kV: 5, vendor: 'fei', dataBar: { y: 442, height: 29 } });
    expect(info.pixelSizeNm).toBeCloseTo(3372.4, 3);
    expect(info.workingDistanceMm).toBeCloseTo(4.03, 2);
    expect(info.detector).toMatch(/^ETD/);
    expect(info.metadataRaw['Scan.PixelWidth']).toBe('3.3724e-006');
  });

  it('Zeiss multipage: 2 pages reported, first page read', async () => {
    const info = await inspectImage(join(semTiff, 'vendors/ZEISS_SEM_multipage.tif'));
    expect(info).toMatchObject({ width: 2048, height: 1536, pages: 2 });
    expect(info.pixelSizeNm).toBeCloseTo(12.33, 6);
  });

  it('NavCam files read without error, unknown fields null', async () => {
    for (const f of ['FEI-Helios-navcam.tif', 'FEI-Helios-navcam-with-no-IRBeam-bad-floats.tif']) {
      const info = await inspectImage(join(semTiff, 'vendors', f));
      expect(info, f).toMatchObject({ pixelSizeNm: null, kV: null, magnification: null, workingDistanceMm: null, detector: 'Nav-Cam' });
    }
  });

  it('JEOL 16-bit: 200 kV', async () => {
    const info = await inspectImage(join(semTiff, 'vendors/JEOL-SightX-TEM-mag-dummy.tif'));
    expect(info).toMatchObject({ bitDepth: 16, kV: 200, vendor: 'jeol' });
  });

  it('every vendor file inspects (none of them is refused)', async () => {
    for (const f of readdirSync(join(semTiff, 'vendors'))) {
      const info = await inspectImage(join(semTiff, 'vendors', f));
      expect(info.width, f).toBeGreaterThan(0);
    }
  });

  it('thumbnail: JPEG, longer side 256, data bar cropped', async () => {
    const p = join(semTiff, 'sem/1908248.tif');
    const info = await inspectImage(p);
    const jpeg = await makeThumbnail(p, { dataBar: info.dataBar, maxSide: 256 });
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const m = await sharp(jpeg).metadata();
    expect(m.width).toBe(256);
    // 1024 x y(~712) scaled to 256 wide: the bar's rows are gone.
    expect(m.height).toBe(Math.round((info.dataBar!.y * 256) / 1024));
    const whole = await sharp(await makeThumbnail(p, { maxSide: 256 })).metadata();
    expect(whole.height).toBe(192);
  });

  it('thumbnail of a 16-bit file is contrast-stretched; WebP on request', async () => {
    const p = join(semTiff, 'vendors/FEI-Helios-Ebeam-16bits.tif');
    const webp = await makeThumbnail(p, { maxSide: 128, format: 'webp' });
    expect(webp.toString('latin1', 8, 12)).toBe('WEBP');
    const { data } = await sharp(await makeThumbnail(p, { maxSide: 512 }))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(maxOf(data)).toBeGreaterThan(200); // the bar's text reaches white
  });

  it('inspectWithThumbnail gives the same facts and a thumbnail from a single decode', async () => {
    const p = join(sharedData, 'nffa/Nanowires', readdirSync(join(sharedData, 'nffa/Nanowires'))[0]);
    const { info, thumbnail } = await inspectWithThumbnail(p, { thumbnail: { maxSide: 200 } });
    expect(info).toEqual(await inspectImage(p));
    const m = await sharp(thumbnail).metadata();
    expect(m.width).toBe(200);
    expect(m.height).toBe(Math.round((info.dataBar!.y * 200) / 1024));
  });
});
