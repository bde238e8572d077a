// Training the particle segmenter from the library's masks, as part of a model version.
// Held-out check: masked images are split by content hash (every 4th to held-out, at least one when there
// are two or more); a model trained on the rest is scored there (mean instance F1, then image IoU) against
// the segmenter in use and the classical default. The version's file is then the better of the new model
// (retrained on every mask) and the one in use: a worse segmenter never replaces a better one.
import type { SegmenterTrainingInfo } from '../contract.js';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/database.js';
import { readGray } from '../library/decode.js';
import { segmentClassical } from './classical.js';
import { scoreSegmentation } from './evaluate.js';
import { loadMask, maskedImageIds } from './masks.js';
import { segmentWithModel, trainPixelModel, type PixelModel, type TrainingImage } from './pixel-model.js';
import { activeSegmenter, SEGMENTER_FILE, writeSegmenter } from './segmenter-store.js';

/** What a training run reports of its segmenter (the contract's SegmenterTrainingInfo), and where it was written. */
export interface SegmenterOutcome extends SegmenterTrainingInfo {
  path: string;
}

interface MaskedImage extends TrainingImage {
  imageId: number;
  sha256: string;
  height: number;
}

async function loadMasked(db: Db, checkCancel: () => void): Promise<MaskedImage[]> {
  const out: MaskedImage[] = [];
  for (const imageId of maskedImageIds(db)) {
    checkCancel();
    const row = db.prepare(`SELECT path, sha256, width, height, databar_y, pixel_size_nm FROM images WHERE id = ?`).get(imageId) as
      { path: string; sha256: string; width: number; height: number; databar_y: number | null; pixel_size_nm: number | null } | undefined;
    const mask = loadMask(db, imageId);
    if (!row || !mask || mask.width !== row.width || mask.height !== row.height) continue;
    const g = await readGray(row.path);
    if (g.width !== row.width || g.height !== row.height) continue;
    const areaHeight = row.databar_y && row.databar_y > 0 && row.databar_y < row.height ? row.databar_y : row.height;
    out.push({
      imageId,
      sha256: row.sha256,
      gray: g.data,
      width: row.width,
      height: row.height,
      areaHeight,
      labels: mask.labels.subarray(0, row.width * areaHeight),
      pixelSizeNm: row.pixel_size_nm,
    });
  }
  return out;
}

async function meanScore(images: MaskedImage[], seg: (im: MaskedImage) => Int32Array | Promise<Int32Array>): Promise<{ f1: number; imageIoU: number }> {
  let f1 = 0;
  let iou = 0;
  for (const im of images) {
    const s = scoreSegmentation(await seg(im), im.labels, im.width, im.areaHeight);
    f1 += s.f1;
    iou += s.imageIoU;
  }
  return { f1: f1 / images.length, imageIoU: iou / images.length };
}

const better = (a: { f1: number; imageIoU: number }, b: { f1: number; imageIoU: number }): boolean =>
  a.f1 > b.f1 + 1e-9 || (Math.abs(a.f1 - b.f1) <= 1e-9 && a.imageIoU >= b.imageIoU);

export function hasMasks(db: Db): boolean {
  return maskedImageIds(db).length > 0;
}

/** Trains the segmenter from every stored mask and writes `<dir>/segmenter.json` (the better of new and in use). */
export async function trainSegmenterInto(
  db: Db,
  dir: string,
  opts: { onProgress?: (done: number, total: number, note: string) => void; checkCancel?: () => void } = {},
): Promise<SegmenterOutcome> {
  const t0 = performance.now();
  const checkCancel = opts.checkCancel ?? (() => {});
  const images = await loadMasked(db, checkCancel);
  if (images.length === 0) throw new Error('no usable masks: import masks for library images first (emma masks import <dir>)');
  const order = [...images].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  const held = images.length >= 2 ? order.filter((_, i) => i % 4 === 3) : [];
  if (images.length >= 2 && held.length === 0) held.push(order[order.length - 1]);
  const train = order.filter((im) => !held.includes(im));
  const prev = await activeSegmenter(db).catch(() => null);
  await mkdir(dir, { recursive: true });

  let newScore: SegmenterOutcome['newScore'] = null;
  let previousScore: SegmenterOutcome['previousScore'] = null;
  let classicalScore: SegmenterOutcome['classicalScore'] = null;
  const steps = held.length ? 2 : 1;
  if (held.length) {
    opts.onProgress?.(0, steps, `segmenter: training on ${train.length} masks, ${held.length} held out`);
    const split = await trainPixelModel(train, { seed: 1 });
    checkCancel();
    newScore = await meanScore(held, (im) => segmentWithModel(split, im.gray, im.width, im.areaHeight, im.areaHeight, im.pixelSizeNm));
    classicalScore = await meanScore(held, (im) => segmentClassical(im.gray, im.width, im.areaHeight, im.areaHeight));
    if (prev) {
      const p: PixelModel = prev.model;
      previousScore = {
        ...(await meanScore(held, (im) => segmentWithModel(p, im.gray, im.width, im.areaHeight, im.areaHeight, im.pixelSizeNm))),
        version: prev.version,
      };
    }
  }
  opts.onProgress?.(steps - 1, steps, `segmenter: final model on all ${images.length} masks`);
  const keepPrevious = prev !== null && newScore !== null && previousScore !== null && !better(newScore, previousScore);
  const path = join(dir, SEGMENTER_FILE);
  if (keepPrevious) {
    await copyFile(prev.path, path);
  } else {
    const final = await trainPixelModel(images, { seed: 1 });
    checkCancel();
    await writeSegmenter(dir, final);
  }
  opts.onProgress?.(steps, steps, 'segmenter saved');
  const note = held.length
    ? keepPrevious
      ? `kept the segmenter of ${prev!.version}: no worse than the new one on ${held.length} held-out masked images (it may have seen them in training)`
      : `new segmenter: held-out F1 ${newScore!.f1.toFixed(3)} on ${held.length} images` +
        (previousScore ? ` vs ${previousScore.f1.toFixed(3)} for ${previousScore.version}` : '') +
        ` (classical default ${classicalScore!.f1.toFixed(3)})`
    : 'one masked image: trained on it, nothing held out to compare';
  return {
    images: images.length,
    heldOut: held.length,
    newScore,
    previousScore,
    classicalScore,
    kept: keepPrevious ? 'previous' : 'new',
    path,
    trainSeconds: (performance.now() - t0) / 1000,
    note,
  };
}
