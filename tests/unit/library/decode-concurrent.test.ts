// Issue 12, point 6: under many concurrent decodes, each failed decode keeps its own reason. libvips shares one
// error text per process, so before this a truncated file sometimes read "cannot decode image (Unknown error)" or
// another file's words. Files are built here: a TIFF with its IFD first and its strip cut short (as a copy of a
// Zeiss file interrupted mid-way leaves it), a JPEG cut in half, and a good PNG decoded alongside.
import sharp from 'sharp';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectWithThumbnail } from '../../../main/core/library/inspect.js';
import { readGray } from '../../../main/core/library/decode.js';
import { tempDir } from '../../support/paths.js';
import { buildTiff, greyPage } from './tiff-builder.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const W = 640;
const H = 480;
const pixels = Buffer.alloc(W * H);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;

/** Uncompressed grey TIFF, IFD at byte 8, pixel data from byte 512: cut after `keep` bytes. */
function truncatedTiff(keep: number): Buffer {
  const DATA_AT = 512;
  const ifd = buildTiff([
    greyPage(W, H, [
      { tag: 273, type: 4, values: [DATA_AT] },
      { tag: 278, type: 4, values: [H] },
      { tag: 279, type: 4, values: [W * H] },
    ]),
  ]);
  const whole = Buffer.concat([ifd, Buffer.alloc(DATA_AT - ifd.length), pixels]);
  return whole.subarray(0, keep);
}

describe('concurrent decodes keep their own reasons', () => {
  it('a truncated TIFF and a truncated JPEG, 48 at a time with good files, 4 rounds: one reason each, never "Unknown error"', async () => {
    const cutTif = join(tmp.dir, 'cut.tif');
    const cutJpg = join(tmp.dir, 'cut.jpg');
    const good = join(tmp.dir, 'good.png');
    writeFileSync(cutTif, truncatedTiff(512 + Math.floor((W * H) / 3)));
    const jpg = await sharp(pixels, { raw: { width: W, height: H, channels: 1 } })
      .jpeg()
      .toBuffer();
    writeFileSync(cutJpg, jpg.subarray(0, jpg.length >> 1));
    await sharp(pixels, { raw: { width: W, height: H, channels: 1 } })
      .png()
      .toFile(good);
    // The intact TIFF decodes: the cut is what fails.
    const whole = join(tmp.dir, 'whole.tif');
    writeFileSync(whole, truncatedTiff(512 + W * H));
    expect((await readGray(whole)).data.equals(pixels)).toBe(true);

    const reasons = new Map<string, Set<string>>();
    let goodOk = 0;
    for (let round = 0; round < 4; round++) {
      const runs = Array.from({ length: 48 }, (_, i) => {
        const p = [cutTif, cutJpg, good][i % 3];
        return inspectWithThumbnail(p, { thumbnail: { maxSide: 256 } }).then(
          () => {
            if (p === good) goodOk++;
          },
          (e: Error) => {
            reasons.set(p, (reasons.get(p) ?? new Set()).add(e.message));
          },
        );
      });
      await Promise.all(runs);
    }
    expect(goodOk).toBe(64);
    expect([...reasons.get(cutTif)!]).toEqual([
      `truncated: the TIFF's image data runs to byte ${512 + W * H}, the file ends at byte ${512 + Math.floor((W * H) / 3)} (1 of 1 strips or tiles incomplete)`,
    ]);
    expect(reasons.get(cutJpg)!.size).toBe(1);
    expect([...reasons.get(cutJpg)!][0]).toMatch(/^truncated: the JPEG has no end-of-image marker/);
    expect(reasons.has(good)).toBe(false);
  });
});
