// The classical default segmenter, no training: Gaussian smoothing, Otsu threshold over the specimen
// area, hole filling, then a distance-transform watershed from h-maxima markers to split touching
// particles. Bright particles on a darker background by default (secondary-electron images);
// `polarity: 'dark'` for transmission / backscatter images where particles are dark.
import { distanceTransform, fillHoles, gaussianBlur, hMaximaMarkers, labelComponents, otsuThreshold, relabel, watershed } from './ops.js';

export interface ClassicalOptions {
  /** Smoothing before the threshold, px (default 1.5). */
  sigma?: number;
  /** 'bright' (default) or 'dark' particles. */
  polarity?: 'bright' | 'dark';
  /** Marker height on the distance transform, px (default 1.5): saddles shallower than this do not split. */
  h?: number;
  /** Regions smaller than this many px are noise (default 10). */
  minArea?: number;
}

export const CLASSICAL_METHOD =
  'classical default (no training): Gaussian σ 1.5 px, Otsu threshold, holes filled, distance-transform watershed (h-maxima 1.5 px)';

/** Foreground of the specimen rows [0, areaHeight): 1 = particle. */
export function classicalForeground(gray: ArrayLike<number>, w: number, areaHeight: number, opts: ClassicalOptions = {}): Uint8Array {
  const n = w * areaHeight;
  const src = new Float32Array(n);
  for (let i = 0; i < n; i++) src[i] = gray[i];
  const s = gaussianBlur(src, w, areaHeight, opts.sigma ?? 1.5);
  const t = otsuThreshold(s);
  const fg = new Uint8Array(n);
  const dark = opts.polarity === 'dark';
  for (let i = 0; i < n; i++) fg[i] = (dark ? s[i] < t : s[i] > t) ? 1 : 0;
  return fillHoles(fg, w, areaHeight);
}

/** Splits a binary foreground into instances by a distance-transform watershed. Labels 1..n. */
export function splitByDistance(fg: Uint8Array, w: number, h: number, hgt: number, minArea: number): { labels: Int32Array; count: number } {
  const dist = gaussianBlur(distanceTransform(fg, w, h), w, h, 1);
  const markers = hMaximaMarkers(dist, fg, w, h, hgt);
  const elev = new Float32Array(dist.length);
  for (let i = 0; i < dist.length; i++) elev[i] = -dist[i];
  const ws = watershed(elev, markers.labels, fg, w, h);
  // Foreground no marker reached (tiny specks) keeps its own component.
  const rest = new Uint8Array(fg.length);
  let any = false;
  for (let i = 0; i < fg.length; i++)
    if (fg[i] && !ws[i]) {
      rest[i] = 1;
      any = true;
    }
  if (any) {
    const extra = labelComponents(rest, w, h, 4);
    for (let i = 0; i < fg.length; i++) if (extra.labels[i]) ws[i] = markers.count + extra.labels[i];
  }
  return relabel(ws, minArea);
}

/** Instance labels for the whole w x h image; rows at and below areaHeight (the data bar) are 0. */
export function segmentClassical(gray: ArrayLike<number>, w: number, h: number, areaHeight: number, opts: ClassicalOptions = {}): Int32Array {
  const fg = classicalForeground(gray, w, areaHeight, opts);
  const { labels } = splitByDistance(fg, w, areaHeight, opts.h ?? 1.5, opts.minArea ?? 10);
  const out = new Int32Array(w * h);
  out.set(labels);
  return out;
}
