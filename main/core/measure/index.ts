// Particle and line measurement of one micrograph: the entry point for the CLI, the API and the chat.
//
//   const { result, labels } = await measureImage('/data/a.tif', { segmenter: model ?? null });
//   result.particles.count, result.particles.ecdNm?.median, result.lines?.pitch, result.method
//
// For a library image (by id, with the segmenter in use) call measureLibraryImage(db, imageId) from
// ./service.js. For a size answer use particles.count, particles.ecdNm (or ecdPx when !calibrated) and
// result.method; for a pitch answer, lines (null with linesReason when no periodic pattern was found).
//
// Every number names its method (`method`), its data (`particles.count`, `excludedAtEdge`) and its
// calibration (`calibrated`, `pixelSizeNm`); sizes are in nm when the file states a pixel size, in px
// otherwise (`ecdNm` is then null and `ecdPx` carries the distribution).
import { basename } from 'node:path';
import { inspectWithGray } from '../library/inspect.js';
import { readGray } from '../library/decode.js';
import type { DataBar } from '../library/databar.js';
import type { MeasureResult, ParticleSummary } from './types.js';
import { CLASSICAL_METHOD, segmentClassical } from './classical.js';
import { measureLines } from './lines.js';
import { distribution, measureParticles } from './particles.js';
import { pixelModelMethod, segmentWithModel, type PixelModel } from './pixel-model.js';

export type { PixelModel } from './pixel-model.js';
export type * from './types.js';

export interface MeasureOptions {
  /** A learnt segmenter; null or absent: the classical default. */
  segmenter?: PixelModel | null;
  /** The model version the segmenter belongs to (reported). */
  modelVersion?: string | null;
  /** Skip line metrology. */
  lines?: boolean;
}

export interface MeasureInput {
  gray: ArrayLike<number>;
  width: number;
  height: number;
  pixelSizeNm: number | null;
  dataBar: DataBar | null;
  path?: string;
  imageId?: number | null;
}

/** Measures an already-decoded 8-bit grey plane. Returns the result and the instance labels (w*h). */
export async function measureGray(input: MeasureInput, opts: MeasureOptions = {}): Promise<{ result: MeasureResult; labels: Int32Array }> {
  const t0 = performance.now();
  const { gray, width: w, height: h } = input;
  const px = input.pixelSizeNm !== null && input.pixelSizeNm > 0 ? input.pixelSizeNm : null;
  const areaHeight = input.dataBar && input.dataBar.y > 0 && input.dataBar.y < h ? input.dataBar.y : h;
  const model = opts.segmenter ?? null;
  const labels = model ? await segmentWithModel(model, gray, w, h, areaHeight, px) : segmentClassical(gray, w, h, areaHeight);
  const items = measureParticles(labels, w, h, areaHeight, px);
  const whole = items.filter((p) => !p.touchesEdge);
  let fgPx = 0;
  for (const p of items) fgPx += p.areaPx;
  const k = px ?? 1;
  const ecdPx = distribution(whole.map((p) => p.ecd / k));
  const particles: ParticleSummary = {
    count: whole.length,
    excludedAtEdge: items.length - whole.length,
    calibrated: px !== null,
    ecdNm: px !== null ? distribution(whole.map((p) => p.ecd)) : null,
    ecdPx,
    feretMaxNm: px !== null ? distribution(whole.map((p) => p.feretMax)) : null,
    feretMinNm: px !== null ? distribution(whole.map((p) => p.feretMin)) : null,
    aspectRatio: distribution(whole.map((p) => p.aspectRatio)),
    areaFraction: fgPx / (w * areaHeight),
    items,
  };
  const lr = opts.lines === false ? { lines: null, reason: 'not requested' } : measureLines(gray, w, areaHeight, px);
  const path = input.path ?? '';
  return {
    result: {
      path,
      fileName: path ? basename(path) : '',
      imageId: input.imageId ?? null,
      width: w,
      height: h,
      pixelSizeNm: px,
      calibrated: px !== null,
      dataBar: input.dataBar,
      method: model ? `${pixelModelMethod(model)}${opts.modelVersion ? `, model version ${opts.modelVersion}` : ''}` : CLASSICAL_METHOD,
      segmenter: { kind: model ? 'learnt' : 'classical', modelVersion: model ? (opts.modelVersion ?? null) : null },
      particles,
      lines: lr.lines,
      linesReason: lr.reason,
      seconds: (performance.now() - t0) / 1000,
    },
    labels,
  };
}

/** Reads, calibrates (file metadata) and measures one image file. Throws ImageReadError for unreadable files. */
export async function measureImage(path: string, opts: MeasureOptions = {}): Promise<{ result: MeasureResult; labels: Int32Array }> {
  const { info, gray: g0 } = await inspectWithGray(path);
  // Very large frames are inspected downscaled; measurement needs every pixel.
  const gray = g0.width === info.width && g0.height === info.height ? g0 : await readGray(path);
  return measureGray({ gray: gray.data, width: gray.width, height: gray.height, pixelSizeNm: info.pixelSizeNm, dataBar: info.dataBar, path }, opts);
}

/** Labels with the data-bar rows zeroed, as 16-bit values (for the label PNG). */
export function labelsForExport(labels: Int32Array): Uint16Array {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  if (max > 65535) throw new RangeError(`${max} particles do not fit a 16-bit label image`);
  return Uint16Array.from(labels);
}
