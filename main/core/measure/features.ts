// The pixel-classifier's filter bank (as in ilastik): at each scale σ the Gaussian-smoothed intensity,
// its gradient magnitude, the scale-normalised Laplacian of Gaussian, both scale-normalised Hessian
// eigenvalues, and the difference of Gaussians to the next scale; plus the raw intensity.
// Intensities are first normalised per image to its 1st..99.9th percentile so that brightness and contrast
// settings of the microscope do not move the features.
import { gaussianBlur } from './ops.js';

export const DEFAULT_SCALES = [1, 2, 4, 8];

export function featureCount(scales: readonly number[]): number {
  return 1 + scales.length * 5 + (scales.length - 1);
}

/** Robust normalisation of the specimen pixels to roughly [0, 1]. */
export function normaliseIntensity(gray: ArrayLike<number>, n: number): Float32Array {
  const hist = new Float64Array(256);
  for (let i = 0; i < n; i++) hist[Math.max(0, Math.min(255, Math.round(gray[i])))]++;
  const at = (q: number): number => {
    let c = 0;
    for (let v = 0; v < 256; v++) {
      c += hist[v];
      if (c >= q * n) return v;
    }
    return 255;
  };
  // 99.9th, not 99th: on a sparse image (particles ~1 % of the area) the 99th percentile is background
  // texture, and stretching to it makes the texture look like particles.
  const lo = at(0.01);
  const hi = Math.max(lo + 1, at(0.999));
  const out = new Float32Array(n);
  const k = 1 / (hi - lo);
  for (let i = 0; i < n; i++) out[i] = (gray[i] - lo) * k;
  return out;
}

/**
 * Features of every pixel of a w x h plane, feature-major: out[f * w * h + i].
 * `scaleFactor` multiplies every σ (used to match a model trained at another pixel size).
 */
export function computeFeatures(img: Float32Array, w: number, h: number, scales: readonly number[] = DEFAULT_SCALES, scaleFactor = 1): Float32Array {
  const n = w * h;
  const nf = featureCount(scales);
  const out = new Float32Array(nf * n);
  out.set(img, 0);
  let f = 1;
  const smoothed: Float32Array[] = [];
  for (const s0 of scales) {
    const s = s0 * scaleFactor;
    const g = gaussianBlur(img, w, h, s);
    smoothed.push(g);
    const s2 = s * s;
    const gm = out.subarray(f * n, (f + 1) * n);
    const lap = out.subarray((f + 1) * n, (f + 2) * n);
    const e1 = out.subarray((f + 2) * n, (f + 3) * n);
    const e2 = out.subarray((f + 3) * n, (f + 4) * n);
    out.set(g, (f + 4) * n);
    for (let y = 0; y < h; y++) {
      const ym = y > 0 ? y - 1 : y;
      const yp = y < h - 1 ? y + 1 : y;
      for (let x = 0; x < w; x++) {
        const xm = x > 0 ? x - 1 : x;
        const xp = x < w - 1 ? x + 1 : x;
        const c = g[y * w + x];
        const gx = (g[y * w + xp] - g[y * w + xm]) * 0.5;
        const gy = (g[yp * w + x] - g[ym * w + x]) * 0.5;
        const gxx = g[y * w + xp] - 2 * c + g[y * w + xm];
        const gyy = g[yp * w + x] - 2 * c + g[ym * w + x];
        const gxy = (g[yp * w + xp] - g[yp * w + xm] - g[ym * w + xp] + g[ym * w + xm]) * 0.25;
        const i = y * w + x;
        gm[i] = Math.sqrt(gx * gx + gy * gy) * s;
        lap[i] = (gxx + gyy) * s2;
        const tr = gxx + gyy;
        const disc = Math.sqrt((gxx - gyy) * (gxx - gyy) + 4 * gxy * gxy);
        e1[i] = 0.5 * (tr + disc) * s2;
        e2[i] = 0.5 * (tr - disc) * s2;
      }
    }
    f += 5;
  }
  for (let k = 0; k + 1 < smoothed.length; k++) {
    const a = smoothed[k];
    const b = smoothed[k + 1];
    const d = out.subarray(f * n, (f + 1) * n);
    for (let i = 0; i < n; i++) d[i] = a[i] - b[i];
    f++;
  }
  return out;
}
