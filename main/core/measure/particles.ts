// Per-particle geometry from an instance label image, and the per-image size distribution.
// Sizes in nm (nm²) when the pixel size is known, in px otherwise (`calibrated: false`).
// Particles cut by the edge of the specimen area (image border or the data bar's top row) are marked
// and left out of the distribution, as ISO 13322-1 asks: their true size is unknown.

import type { Distribution, Particle } from './types.js';

export type { Distribution, Particle } from './types.js';

/** Linear-interpolated percentile (q in [0,1]) of sorted values. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = (n - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

export function distribution(values: number[]): Distribution {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return { n, median: null, p10: null, p90: null, mean: null, sd: null };
  let sum = 0;
  for (const v of s) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of s) ss += (v - mean) * (v - mean);
  return {
    n,
    median: percentile(s, 0.5),
    p10: percentile(s, 0.1),
    p90: percentile(s, 0.9),
    mean,
    // Sample standard deviation; null for a single particle (not defined).
    sd: n > 1 ? Math.sqrt(ss / (n - 1)) : null,
  };
}

/**
 * Measures every labelled region of `labels` (w x h; the specimen area is rows [0, areaHeight)).
 * `scale` is nm per px, or null (sizes in px).
 */
export function measureParticles(labels: Int32Array, w: number, h: number, areaHeight: number, scale: number | null): Particle[] {
  let max = 0;
  const rows = Math.min(h, areaHeight);
  for (let i = 0; i < rows * w; i++) if (labels[i] > max) max = labels[i];
  const area = new Int32Array(max + 1);
  const sx = new Float64Array(max + 1);
  const sy = new Float64Array(max + 1);
  const x0 = new Int32Array(max + 1).fill(w);
  const y0 = new Int32Array(max + 1).fill(rows);
  const x1 = new Int32Array(max + 1).fill(-1);
  const y1 = new Int32Array(max + 1).fill(-1);
  const edge = new Uint8Array(max + 1);
  // Per label and row: leftmost and rightmost pixel. The outline's convex hull only needs those corners.
  const rowMin = new Map<number, Int32Array>();
  for (let y = 0; y < rows; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const l = labels[o + x];
      if (l <= 0) continue;
      area[l]++;
      sx[l] += x;
      sy[l] += y;
      if (x < x0[l]) x0[l] = x;
      if (x > x1[l]) x1[l] = x;
      if (y < y0[l]) y0[l] = y;
      if (y > y1[l]) y1[l] = y;
      if (x === 0 || x === w - 1 || y === 0 || y === rows - 1) edge[l] = 1;
    }
  }
  for (let l = 1; l <= max; l++) {
    if (area[l] === 0) continue;
    const span = new Int32Array(2 * (y1[l] - y0[l] + 1)).fill(-1);
    rowMin.set(l, span);
  }
  for (let y = 0; y < rows; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const l = labels[o + x];
      if (l <= 0) continue;
      const span = rowMin.get(l)!;
      const r = 2 * (y - y0[l]);
      if (span[r] < 0 || x < span[r]) span[r] = x;
      if (x > span[r + 1]) span[r + 1] = x;
    }
  }
  const k = scale ?? 1;
  const out: Particle[] = [];
  for (let l = 1; l <= max; l++) {
    if (area[l] === 0) continue;
    const span = rowMin.get(l)!;
    const pts: number[] = [];
    for (let r = 0; r < span.length; r += 2) {
      if (span[r] < 0) continue;
      const y = y0[l] + r / 2;
      const a = span[r];
      const b = span[r + 1] + 1;
      pts.push(a, y, a, y + 1, b, y, b, y + 1);
    }
    const hull = convexHull(pts);
    const { max: fmax, min: fmin } = feret(hull);
    const aPx = area[l];
    out.push({
      label: l,
      areaPx: aPx,
      area: aPx * k * k,
      ecd: Math.sqrt((4 * aPx) / Math.PI) * k,
      feretMax: fmax * k,
      feretMin: fmin * k,
      aspectRatio: fmin > 0 ? fmax / fmin : 1,
      cx: sx[l] / aPx + 0.5,
      cy: sy[l] / aPx + 0.5,
      bbox: [x0[l], y0[l], x1[l], y1[l]],
      touchesEdge: edge[l] === 1,
      outline: hull,
    });
  }
  return out;
}

/** Andrew's monotone chain over a flat [x0,y0,x1,y1,...] list; returns the hull counter-clockwise, flat. */
export function convexHull(flat: number[]): number[] {
  const n = flat.length / 2;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => flat[2 * a] - flat[2 * b] || flat[2 * a + 1] - flat[2 * b + 1]);
  const hull: number[] = [];
  const cross = (o: number, a: number, b: number): number =>
    (flat[2 * a] - flat[2 * o]) * (flat[2 * b + 1] - flat[2 * o + 1]) - (flat[2 * a + 1] - flat[2 * o + 1]) * (flat[2 * b] - flat[2 * o]);
  const lower: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 0) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let j = idx.length - 1; j >= 0; j--) {
    const i = idx[j];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 0) upper.pop();
    upper.push(i);
  }
  lower.pop();
  upper.pop();
  for (const i of [...lower, ...upper]) hull.push(flat[2 * i], flat[2 * i + 1]);
  return hull;
}

/** Max Feret (largest vertex distance) and min Feret (smallest width over edge directions) of a convex polygon. */
export function feret(hull: number[]): { max: number; min: number } {
  const m = hull.length / 2;
  if (m < 2) return { max: 0, min: 0 };
  let max = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const dx = hull[2 * i] - hull[2 * j];
      const dy = hull[2 * i + 1] - hull[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d > max) max = d;
    }
  }
  // The minimum width of a convex polygon is attained with one caliper on an edge.
  let min = Infinity;
  for (let i = 0; i < m; i++) {
    const j = (i + 1) % m;
    const ex = hull[2 * j] - hull[2 * i];
    const ey = hull[2 * j + 1] - hull[2 * i + 1];
    const len = Math.hypot(ex, ey);
    if (len === 0) continue;
    let far = 0;
    for (let q = 0; q < m; q++) {
      const d = Math.abs((hull[2 * q] - hull[2 * i]) * ey - (hull[2 * q + 1] - hull[2 * i + 1]) * ex) / len;
      if (d > far) far = d;
    }
    if (far < min) min = far;
  }
  return { max: Math.sqrt(max), min: Number.isFinite(min) ? min : 0 };
}
