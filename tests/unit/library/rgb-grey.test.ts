// rgb-grey.ts claims the same bytes as libvips' own sRGB -> b-w conversion of the whole frame; these tests hold it to
// that on every neutral value, on random colours (every pixel goes through the gathered path) and on the real RGB
// micrographs, and check that readGray takes the fast path only where it is allowed to.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { probeImage, readGray } from '../../../main/core/library/decode.js';
import { greyFromRgb } from '../../../main/core/library/rgb-grey.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { prng } from './tiff-builder.js';

/** libvips' conversion of a whole raw sRGB frame: what greyFromRgb must reproduce. */
async function libvipsGrey(rgb: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer();
}

describe('greyFromRgb', () => {
  it('gives every neutral value back unchanged, as libvips does', async () => {
    const rgb = Buffer.alloc(256 * 3);
    for (let v = 0; v < 256; v++) rgb.fill(v, 3 * v, 3 * v + 3);
    const ours = await greyFromRgb(rgb, 256);
    expect([...ours]).toEqual([...(await libvipsGrey(rgb, 256, 1))]);
    expect([...ours]).toEqual(Array.from({ length: 256 }, (_, v) => v));
  });

  /** A width x height frame of random colours, neutral except where `coloured(p)` holds. */
  function frame(width: number, height: number, coloured: (p: number) => boolean): Buffer {
    const rand = prng(width + height);
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = Math.floor(rand() * 256);
    for (let p = 0; p < width * height; p++) if (!coloured(p)) rgb.fill(rgb[3 * p], 3 * p, 3 * p + 3);
    return rgb;
  }

  it('matches libvips where a few percent of the pixels are coloured (gathered into more than one row)', async () => {
    const [width, height] = [501, 101]; // odd sizes: the four-pixel steps end in a remainder
    const rgb = frame(width, height, (p) => p % 10 === 3); // 5,060 coloured: two gathered rows
    expect((await greyFromRgb(rgb, width * height)).equals(await libvipsGrey(rgb, width, height))).toBe(true);
  });

  it('matches libvips on a colour picture (converted whole) and on a buffer that is not word-aligned', async () => {
    const [width, height] = [300, 40];
    const rgb = frame(width, height, (p) => p % 4 !== 0);
    expect((await greyFromRgb(rgb, width * height)).equals(await libvipsGrey(rgb, width, height))).toBe(true);
    const shifted = Buffer.alloc(rgb.length + 1).subarray(1);
    frame(width, height, (p) => p % 50 === 0).copy(shifted);
    expect((await greyFromRgb(shifted, width * height)).equals(await libvipsGrey(Buffer.from(shifted), width, height))).toBe(true);
  });

  it('refuses a buffer too short for the pixel count', async () => {
    await expect(greyFromRgb(Buffer.alloc(8), 3)).rejects.toThrow(/do not hold 3 RGB pixels/);
  });
});

describe.skipIf(!hasSharedData)(`readGray of real RGB micrographs${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  const rgbFiles = ['nffa/Particles', 'nffa/Nanowires', 'sem-tiff/sem'].flatMap((d) =>
    hasSharedData
      ? readdirSync(join(sharedData, d))
          .slice(0, 4)
          .map((f) => join(sharedData, d, f))
      : [],
  );

  it('gives the bytes of libvips whole-frame grey conversion, whole and cropped and scaled', async () => {
    expect(rgbFiles.length).toBeGreaterThanOrEqual(8);
    for (const f of rgbFiles) {
      const probe = await probeImage(f);
      expect(probe.plainRgb, f).toBe(true);
      const whole = await readGray(f, { probe });
      const reference = await sharp(f, { failOn: 'error' }).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer();
      expect(whole.data.equals(reference), f).toBe(true);
      const box = { left: 17, top: 33, width: 600, height: 400 };
      const scaled = await readGray(f, { probe, crop: box, resizeMaxSide: 256 });
      const scaledReference = await sharp(f, { failOn: 'error' })
        .extract(box)
        .resize({ width: scaled.width, height: scaled.height, fit: 'fill' })
        .toColourspace('b-w')
        .raw({ depth: 'uchar' })
        .toBuffer();
      expect(scaled.data.equals(scaledReference), f).toBe(true);
    }
  });

  it('keeps the whole-frame conversion for files it cannot vouch for (grey, palette, 16-bit, an ICC profile)', async () => {
    const greyDir = join(sharedData, 'uhcs/pearlite');
    const grey = join(
      greyDir,
      readdirSync(greyDir).find((n) => /\.(png|jpe?g|tif)$/i.test(n))!,
    );
    expect((await probeImage(grey)).plainRgb).toBe(false);
    expect((await probeImage(join(sharedData, 'sem-tiff/vendors/FEI-Helios-Ebeam-16bits.tif'))).plainRgb).toBe(false);
    const withProfile = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 90, b: 30 } } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    const probe = await probeImage('with-profile.png', { bytes: withProfile });
    expect(probe.plainRgb).toBe(false);
    const viaProfile = await readGray('with-profile.png', { bytes: withProfile, probe });
    expect(viaProfile.data.equals(await sharp(withProfile).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer())).toBe(true);
  });
});
