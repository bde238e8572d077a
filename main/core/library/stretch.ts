// Percentile contrast stretch of high-bit-depth samples to 8 bits. Detector data (16-bit SEM,
// 32-bit DM/ImageJ float) rarely fills its nominal range and has a few hot pixels, so min/max
// scaling gives a washed-out or black image; clipping 0.5 % at each end is robust and cheap.

export interface StretchOptions {
  /** Percentile mapped to 0 (default 0.5). */
  lowPercentile?: number;
  /** Percentile mapped to 255 (default 99.5). */
  highPercentile?: number;
}

const BINS = 65_536;

/**
 * Maps samples to 0..255 between the low/high percentiles. For Uint16Array the histogram is exact;
 * for float data it has 65 536 bins over [min, max], which is far finer than the 8-bit output.
 * Non-finite samples become 0. A constant image maps to 0.
 */
export function stretchToUint8(samples: Uint16Array | Float32Array | Float64Array, opts: StretchOptions = {}): Buffer {
  const lowP = clampPct(opts.lowPercentile ?? 0.5);
  const highP = clampPct(opts.highPercentile ?? 99.5);
  const n = samples.length;
  const out = Buffer.alloc(n);
  if (n === 0) return out;

  let min = Infinity;
  let max = -Infinity;
  if (samples instanceof Uint16Array) {
    min = 0;
    max = BINS - 1;
  } else {
    for (let i = 0; i < n; i++) {
      const v = samples[i];
      if (v < min) min = v; // NaN compares false: skipped
      if (v > max) max = v;
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      // All NaN/Inf, or ±Inf present: compute the range over finite values only.
      min = Infinity;
      max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = samples[i];
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min > max) return out; // nothing finite
    }
  }
  const span = max - min;
  const binOf = (v: number) => (span > 0 ? Math.min(BINS - 1, Math.floor(((v - min) / span) * (BINS - 1))) : 0);

  const hist = new Uint32Array(BINS);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i];
    if (!Number.isFinite(v)) continue;
    hist[binOf(v)]++;
    finite++;
  }
  const loBin = percentileBin(hist, finite, lowP);
  let hiBin = percentileBin(hist, finite, highP);
  const valueOf = (b: number) => min + (span * b) / (BINS - 1);
  let lo = valueOf(loBin);
  let hi = valueOf(hiBin);
  if (hi <= lo) {
    // Percentiles collapsed (mostly constant image): fall back to the occupied range.
    let first = 0;
    while (first < BINS && hist[first] === 0) first++;
    hiBin = BINS - 1;
    while (hiBin > 0 && hist[hiBin] === 0) hiBin--;
    lo = valueOf(first);
    hi = valueOf(hiBin);
    if (hi <= lo) return out;
  }
  const scale = 255 / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = samples[i];
    if (!Number.isFinite(v)) continue;
    const s = (v - lo) * scale;
    out[i] = s <= 0 ? 0 : s >= 255 ? 255 : Math.round(s);
  }
  return out;
}

function clampPct(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
}

function percentileBin(hist: Uint32Array, total: number, pct: number): number {
  const target = (pct / 100) * total;
  let acc = 0;
  for (let b = 0; b < hist.length; b++) {
    acc += hist[b];
    if (acc > target || (acc >= total && total > 0)) return b;
  }
  return hist.length - 1;
}
