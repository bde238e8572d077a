import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDataBar, imageArea } from '../../../main/core/library/databar.js';
import { probeImage, readGray } from '../../../main/core/library/decode.js';
import { parseSemMetadata } from '../../../main/core/library/sem-metadata.js';
import { hasSharedData, sharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { prng } from './tiff-builder.js';

/** All files below a folder, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

async function barOf(path: string, useHint = true) {
  const probe = await probeImage(path);
  const g = await readGray(path, { probe });
  const hint = useHint && probe.tiff ? parseSemMetadata(probe.tiff.tags).dataBarHintRows : null;
  return { bar: detectDataBar(g.data, g.width, g.height, hint), width: g.width, height: g.height };
}

/** A noisy "micrograph" with an optional bar: flat background, rows of glyph-like blocks. */
function synthetic(opts: { w: number; h: number; barRows?: number; barValue?: number; ink?: number; below?: number; seed?: number }) {
  const { w, h, barRows = 0, barValue = 0, ink = 255, below = 0 } = opts;
  const rnd = prng(opts.seed ?? 1);
  const g = new Uint8Array(w * h);
  for (let i = 0; i < g.length; i++) g[i] = 60 + Math.floor(rnd() * 120);
  const top = h - barRows - below;
  for (let y = top; y < top + barRows; y++) {
    g.fill(barValue, y * w, (y + 1) * w);
    const line = y - top;
    // Two text lines of 3x5-pixel glyphs with 2-pixel spacing.
    if ((line >= 6 && line < 14) || (line >= 20 && line < 28)) {
      for (let x = 10; x < w - 10; x += 5) if ((x * 7 + line * 3) % 11 < 6) g.fill(ink, y * w + x, y * w + x + 3);
    }
  }
  return g;
}

describe('detectDataBar on synthetic frames', () => {
  it('finds a black bar with white text at the bottom', () => {
    const g = synthetic({ w: 640, h: 480, barRows: 40 });
    expect(detectDataBar(g, 640, 480)).toEqual({ y: 440, height: 40 });
  });

  it('finds a white bar with black text, with a strip of image below it', () => {
    const g = synthetic({ w: 640, h: 480, barRows: 40, barValue: 255, ink: 0, below: 30 });
    expect(detectDataBar(g, 640, 480)).toEqual({ y: 410, height: 40 });
  });

  it('returns null for a plain noisy frame and for a flat band without text', () => {
    expect(detectDataBar(synthetic({ w: 640, h: 480 }), 640, 480)).toBeNull();
    const g = synthetic({ w: 640, h: 480 });
    g.fill(0, 440 * 640); // uniform black band: a dark specimen region, not a bar
    expect(detectDataBar(g, 640, 480)).toBeNull();
  });

  it('trusts a plausible metadata hint and ignores an implausible one', () => {
    const g = synthetic({ w: 64, h: 64 });
    expect(detectDataBar(g, 64, 64, 10)).toEqual({ y: 54, height: 10 });
    expect(detectDataBar(g, 64, 64, 40)).toBeNull(); // more than half the frame: not a bar
  });

  it('rejects a buffer that does not match the dimensions', () => {
    expect(() => detectDataBar(new Uint8Array(10), 64, 64)).toThrow(RangeError);
  });

  it('imageArea keeps the rows above the bar', () => {
    expect(imageArea(1024, 768, { y: 712, height: 54 })).toEqual({ top: 0, left: 0, width: 1024, height: 712 });
    expect(imageArea(1024, 768, null)).toEqual({ top: 0, left: 0, width: 1024, height: 768 });
  });
});

describe.skipIf(!hasSharedData)(`detectDataBar on every real file${hasSharedData ? '' : ` (${SHARED_DATA_MISSING})`}`, () => {
  it('sem-tiff/sem and sem-tiff/tsem: the Zeiss bar, bottom ~58 rows of 768', async () => {
    for (const f of [...files(join(sharedData, 'sem-tiff/sem')), ...files(join(sharedData, 'sem-tiff/tsem'))]) {
      const { bar, height } = await barOf(f);
      expect(bar, f).not.toBeNull();
      expect(height).toBe(768);
      // The bar is rows 712..765; two rows of image remain below it.
      expect(bar!.y, f).toBeGreaterThanOrEqual(706);
      expect(bar!.y, f).toBeLessThanOrEqual(714);
      expect(bar!.y + bar!.height, f).toBeGreaterThanOrEqual(764);
    }
  });

  it('FEI Helios 8/16-bit: bottom 29 rows, from the ResolutionY hint and from the pixels alone', async () => {
    for (const f of ['FEI-Helios-Ebeam-8bits.tif', 'FEI-Helios-Ebeam-16bits.tif']) {
      const p = join(sharedData, 'sem-tiff/vendors', f);
      expect((await barOf(p)).bar, f).toEqual({ y: 442, height: 29 });
      expect((await barOf(p, false)).bar, `${f} without hint`).toEqual({ y: 442, height: 29 });
    }
  });

  it('Zeiss vendor files: 1k and 512 px have bars, the multipage frame has none', async () => {
    const v = (f: string) => join(sharedData, 'sem-tiff/vendors', f);
    const k1 = (await barOf(v('test_tiff_Zeiss_SEM_1k.tif'))).bar;
    expect(k1?.y).toBeGreaterThanOrEqual(685);
    expect(k1?.y).toBeLessThanOrEqual(695);
    const k512 = (await barOf(v('test_tiff_Zeiss_SEM_512pix.tif'))).bar;
    expect(k512?.y).toBeGreaterThanOrEqual(345);
    expect(k512?.y).toBeLessThanOrEqual(352);
    expect((await barOf(v('ZEISS_SEM_multipage.tif'))).bar).toBeNull();
  });

  it('nffa/Nanowires: the white info bar is found (it sits above a strip of image)', async () => {
    const found = [];
    for (const f of files(join(sharedData, 'nffa/Nanowires'))) {
      const { bar, height } = await barOf(f);
      expect(bar, f).not.toBeNull();
      expect(bar!.y, f).toBeGreaterThan(0.75 * height);
      expect(bar!.height, f).toBeGreaterThan(40);
      found.push(bar);
    }
    expect(found.length).toBeGreaterThan(0);
  });

  it('nffa/Particles: bar painted over with mirrored image content -> no bar', async () => {
    const hits = [];
    for (const f of files(join(sharedData, 'nffa/Particles'))) if ((await barOf(f)).bar) hits.push(f);
    expect(hits).toEqual([]);
  });

  it('uhcs (bar already cropped) and semi-defects: no false positives over every image', async () => {
    const all = [...files(join(sharedData, 'uhcs')), ...files(join(sharedData, 'semi-defects'))];
    expect(all.length).toBeGreaterThan(800);
    const hits: string[] = [];
    for (const f of all) if ((await barOf(f)).bar) hits.push(relative(sharedData, f));
    expect(hits).toEqual([]);
  });
});
