import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  flattenXml,
  parseFeiIni,
  parseLengthNm,
  parseMagnification,
  parseSemMetadata,
  parseStrictNumber,
  parseVoltageKv,
  parseZeissCzSem,
} from '../../../main/core/library/sem-metadata.js';
import { readTiff, Tag } from '../../../main/core/library/tiff.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { ascii, buildTiff, greyPage } from './tiff-builder.js';

const semTiff = join(sharedData, 'sem-tiff');
const metaOf = async (rel: string) => parseSemMetadata((await readTiff(join(semTiff, rel))).tags);

describe('value parsers', () => {
  it('magnification: "50.00 K X" is 50000, "105 X" is 105, "4.53 K X" is 4530', () => {
    expect(parseMagnification('  50.00 K X')).toBe(50_000);
    expect(parseMagnification('105 X')).toBe(105);
    expect(parseMagnification('4.53 K X')).toBeCloseTo(4530, 6);
    expect(parseMagnification('1.2 M X')).toBe(1_200_000);
    expect(parseMagnification('X')).toBeNull();
    expect(parseMagnification('')).toBeNull();
    expect(parseMagnification(undefined)).toBeNull();
  });

  it('lengths in pm/nm/µm/um/mm to nm, with either micro character', () => {
    expect(parseLengthNm('7.344 nm')).toBeCloseTo(7.344, 9);
    expect(parseLengthNm('2.615 \u00b5m')).toBeCloseTo(2615, 6);
    expect(parseLengthNm('2.615 \u03bcm')).toBeCloseTo(2615, 6);
    expect(parseLengthNm('2.615 um')).toBeCloseTo(2615, 6);
    expect(parseLengthNm('500 pm')).toBeCloseTo(0.5, 9);
    expect(parseLengthNm('14.808 mm')).toBeCloseTo(14.808e6, 3);
    expect(parseLengthNm('3 furlongs')).toBeNull();
    expect(parseLengthNm('nm')).toBeNull();
  });

  it('voltages to kV', () => {
    expect(parseVoltageKv('20.00 kV')).toBe(20);
    expect(parseVoltageKv('500 V')).toBe(0.5);
    expect(parseVoltageKv('fast')).toBeNull();
  });

  it('strict numbers reject empty and non-numeric text', () => {
    expect(parseStrictNumber('3.3724e-006')).toBeCloseTo(3.3724e-6, 12);
    expect(parseStrictNumber('')).toBeNull();
    expect(parseStrictNumber('notafloat')).toBeNull();
    expect(parseStrictNumber('1.2.3')).toBeNull();
    expect(parseStrictNumber('12abc')).toBeNull();
  });
});

describe('vendor blocks from text', () => {
  it('Zeiss: prefers AP_IMAGE_PIXEL_SIZE over AP_PIXEL_SIZE and reads the human lines', () => {
    const md = parseZeissCzSem(
      [
        '0',
        '7.3e-009',
        'AP_PIXEL_SIZE',
        'Pixel Size = 24.65 nm',
        'AP_IMAGE_PIXEL_SIZE',
        'Image Pixel Size = 12.33 nm',
        'AP_MAG',
        'Mag =  50.00 K X',
        'AP_ACTUALKV',
        'EHT = 20.00 kV',
        'AP_WD',
        'WD =  2.8 mm',
        'DP_DETECTOR_CHANNEL',
        'Signal A = InLens',
        'AP_DATE',
        'Date :18 Jul 2019',
        'AP_TIME',
        'Time :9:09:27',
      ].join('\r\n'),
    );
    expect(md).toMatchObject({
      vendor: 'zeiss',
      pixelSizeNm: 12.33,
      magnification: 50_000,
      kV: 20,
      workingDistanceMm: 2.8,
      detector: 'InLens',
      acquiredAt: '2019-07-18T09:09:27',
    });
    expect(md.raw.AP_MAG).toBe('50.00 K X');
  });

  it('FEI: empty and malformed numbers become null, never throw', () => {
    const md = parseFeiIni('[Beam]\r\nHV=\r\n[Scan]\r\nPixelWidth=notafloat\r\n[Stage]\r\nWorkingDistance=-1e-5\r\n[Detectors]\r\nName=\r\n', 500);
    expect(md).toMatchObject({ vendor: 'fei', kV: null, pixelSizeNm: null, workingDistanceMm: null, detector: null, magnification: null });
  });

  it('garbage in any vendor tag yields nulls, not exceptions', async () => {
    const junk = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
    for (const tag of [Tag.ZeissCzSem, Tag.FeiHelios, Tag.FeiSfeg, Tag.ImageDescription]) {
      const t = await readTiff(buildTiff([greyPage(8, 8, [{ tag, type: 7, bytes: junk }])]));
      const md = parseSemMetadata(t.tags);
      expect(md.pixelSizeNm).toBeNull();
      expect(md.kV).toBeNull();
    }
    const withKeys = await readTiff(buildTiff([greyPage(8, 8, [{ tag: Tag.ZeissCzSem, type: 2, bytes: ascii('AP_MAG\r\nMag = lots\r\nAP_WD\r\n') }])]));
    expect(parseSemMetadata(withKeys.tags)).toMatchObject({ vendor: 'zeiss', magnification: null, workingDistanceMm: null });
  });

  it('XML flattening keeps leaf paths and survives malformed input', () => {
    const r = flattenXml('<?xml version="1.0"?><R><A><B>1</B><C>x &amp; y</C></A><D/><E>unclosed</R>');
    expect(r['A.B']).toBe('1');
    expect(r['A.C']).toBe('x & y');
    expect(flattenXml('<<<>>>')).toEqual({});
  });

  it('files without vendor metadata give all nulls', async () => {
    const t = await readTiff(buildTiff([greyPage(8, 8)]));
    expect(parseSemMetadata(t.tags)).toMatchObject({ vendor: null, pixelSizeNm: null, magnification: null, kV: null, raw: {} });
  });
});

// Expected values: ../shared/data/README.md, "Expected reader results for sem-tiff".
describe.skipIf(!hasSharedData)(`SEM metadata of the real sem-tiff files${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  it('sem/1908248.tif (Zeiss): InLens, 7.344 nm/px, 50 kX, 20 kV, WD 2.8 mm', async () => {
    const md = await metaOf('sem/1908248.tif');
    expect(md).toMatchObject({ vendor: 'zeiss', detector: 'InLens', magnification: 50_000, kV: 20, instrument: 'Supra 40', acquiredAt: '2019-07-18T10:09:27' });
    expect(md.pixelSizeNm).toBeCloseTo(7.344, 6);
    expect(md.workingDistanceMm).toBeCloseTo(2.8, 6);
  });

  it('every sem/ and tsem/ file is Zeiss at 7.344 nm/px, 50 kX, 20 kV', async () => {
    const { readdirSync } = await import('node:fs');
    for (const dir of ['sem', 'tsem']) {
      for (const f of readdirSync(join(semTiff, dir))) {
        const md = await metaOf(`${dir}/${f}`);
        expect(md.vendor, f).toBe('zeiss');
        expect(md.pixelSizeNm, f).toBeCloseTo(7.344, 6);
        expect(md.magnification, f).toBe(50_000);
        expect(md.kV, f).toBe(20);
      }
    }
  });

  it('Zeiss 1k: 2.615 µm (Latin-1 0xB5) = 2615 nm/px, 105 X, 25 kV, WD 14.808 mm, HE-SE2', async () => {
    const md = await metaOf('vendors/test_tiff_Zeiss_SEM_1k.tif');
    expect(md.pixelSizeNm).toBeCloseTo(2615, 6);
    expect(md).toMatchObject({ magnification: 105, kV: 25, detector: 'HE-SE2' });
    expect(md.workingDistanceMm).toBeCloseTo(14.808, 6);
    expect(md.raw.AP_IMAGE_PIXEL_SIZE).toBe('2.615 µm');
  });

  it('Zeiss 512 px: only AP_PIXEL_SIZE present -> 5.825 nm, 50 kX, 5 kV, WD 3.9 mm, InLens', async () => {
    const md = await metaOf('vendors/test_tiff_Zeiss_SEM_512pix.tif');
    expect(md.raw.AP_IMAGE_PIXEL_SIZE).toBeUndefined();
    expect(md.pixelSizeNm).toBeCloseTo(5.825, 6);
    expect(md).toMatchObject({ magnification: 50_000, kV: 5, detector: 'InLens' });
    expect(md.workingDistanceMm).toBeCloseTo(3.9, 6);
  });

  it('Zeiss multipage: 12.33 nm from AP_IMAGE_PIXEL_SIZE (not 24.65), 4.53 kX, 1.8 kV, WD 4.5 mm, InLens', async () => {
    const md = await metaOf('vendors/ZEISS_SEM_multipage.tif');
    expect(md.raw.AP_PIXEL_SIZE).toBe('24.65 nm');
    expect(md.pixelSizeNm).toBeCloseTo(12.33, 6);
    expect(md.magnification).toBeCloseTo(4530, 6);
    expect(md.kV).toBeCloseTo(1.8, 6);
    expect(md.workingDistanceMm).toBeCloseTo(4.5, 6);
    expect(md.detector).toBe('InLens');
  });

  for (const f of ['FEI-Helios-Ebeam-8bits.tif', 'FEI-Helios-Ebeam-16bits.tif']) {
    it(`${f}: 3372.4 nm/px, 5 kV, WD 4.03 mm, ETD (SE), 120 X, 29-row bar hint`, async () => {
      const md = await metaOf(`vendors/${f}`);
      expect(md.vendor).toBe('fei');
      expect(md.pixelSizeNm).toBeCloseTo(3372.4, 3);
      expect(md.kV).toBe(5);
      expect(md.workingDistanceMm).toBeCloseTo(4.03, 2);
      expect(md.detector).toBe('ETD (SE)');
      // HorFieldsize 1.72667 mm on the 0.2072 m canvas; the burned-in bar prints "120 x".
      expect(md.magnification).toBe(120);
      expect(md.dataBarHintRows).toBe(29);
      expect(md.instrument).toBe('Helios NanoLab 660');
      expect(md.acquiredAt).toBe('2016-06-13T17:06:40');
    });
  }

  for (const f of ['FEI-Helios-navcam.tif', 'FEI-Helios-navcam-with-no-IRBeam-bad-floats.tif']) {
    it(`${f}: reads without error, unknown fields null`, async () => {
      const md = await metaOf(`vendors/${f}`);
      expect(md).toMatchObject({ vendor: 'fei', detector: 'Nav-Cam', pixelSizeNm: null, kV: null, workingDistanceMm: null, magnification: null });
    });
  }

  it('JEOL SightX TEM: 200 kV from the XML, 150 kX, pixel size from camera pitch / mag', async () => {
    const md = await metaOf('vendors/JEOL-SightX-TEM-mag-dummy.tif');
    expect(md).toMatchObject({ vendor: 'jeol', kV: 200, magnification: 150_000, instrument: 'JEM-ARM200F' });
    // 25.4 mm / 93 dpi / 150000 (the rule RosettaSciIO applies; its test expects 1.8208 nm).
    expect(md.pixelSizeNm).toBeCloseTo(1.8208, 3);
    expect(md.acquiredAt).toBe('2019-11-27T16:11:26.620+09:00');
    expect(md.workingDistanceMm).toBeNull();
  });

  it('DigitalMicrograph and ImageJ calibrations give the same 168.67 nm/px, no vendor', async () => {
    const dm = await metaOf('vendors/test_loading_image_saved_with_DM.tif');
    const ij = await metaOf('vendors/test_loading_image_saved_with_imageJ.tif');
    expect(dm.vendor).toBeNull();
    expect(ij.vendor).toBeNull();
    expect(dm.pixelSizeNm).toBeCloseTo(168.675, 2);
    expect(ij.pixelSizeNm).toBeCloseTo(168.675, 2);
    expect(dm.kV).toBeNull();
  });
});
