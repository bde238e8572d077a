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
  // Separate loops per array type: one loop over both kinds ran at a fraction of the speed (16-bit FEI frame:
  // 5.6 ms for 0.24 Mpx). The 16-bit path gives the same bytes through tables indexed by sample value.
  return samples instanceof Uint16Array ? stretchUint16(samples, lowP, highP) : stretchFloat(samples, lowP, highP);
}

/** Histogram bin of each 16-bit value, with the float formula the general path uses (so both agree exactly). */
let uint16Bins: Uint16Array | null = null;

function stretchUint16(samples: Uint16Array, lowP: number, highP: number): Buffer {
  const n = samples.length;
  const out = Buffer.alloc(n);
  if (n === 0) return out;
  const range = { min: 0, span: BINS - 1 };
  if (!uint16Bins) {
    const bins = new Uint16Array(BINS);
    for (let v = 0; v < BINS; v++) bins[v] = binOf(v, range);
    uint16Bins = bins;
  }
  const bins = uint16Bins;
  const hist = new Uint32Array(BINS);
  for (let i = 0; i < n; i++) hist[bins[samples[i]]]++;
  const t = thresholds(hist, n, lowP, highP, range);
  if (!t) return out;
  if (n < BINS) {
    for (let i = 0; i < n; i++) out[i] = toByte(samples[i], t);
    return out;
  }
  const table = new Uint8Array(BINS);
  for (let v = 0; v < BINS; v++) table[v] = toByte(v, t);
  for (let i = 0; i < n; i++) out[i] = table[samples[i]];
  return out;
}

function stretchFloat(samples: Float32Array | Float64Array, lowP: number, highP: number): Buffer {
  const n = samples.length;
  const out = Buffer.alloc(n);
  if (n === 0) return out;
  let min = Infinity;
  let max = -Infinity;
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
  const range = { min, span: max - min };
  const hist = new Uint32Array(BINS);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i];
    if (!Number.isFinite(v)) continue;
    hist[binOf(v, range)]++;
    finite++;
  }
  const t = thresholds(hist, finite, lowP, highP, range);
  if (!t) return out;
  for (let i = 0; i < n; i++) {
    const v = samples[i];
    if (Number.isFinite(v)) out[i] = toByte(v, t);
  }
  return out;
}

interface Range {
  min: number;
  span: number;
}

function binOf(v: number, r: Range): number {
  return r.span > 0 ? Math.min(BINS - 1, Math.floor(((v - r.min) / r.span) * (BINS - 1))) : 0;
}

/** The sample values mapped to 0 and 255, from the histogram's percentiles; null when nothing can be stretched. */
function thresholds(hist: Uint32Array, finite: number, lowP: number, highP: number, r: Range): { lo: number; scale: number } | null {
  const valueOf = (b: number) => r.min + (r.span * b) / (BINS - 1);
  let lo = valueOf(percentileBin(hist, finite, lowP));
  let hi = valueOf(percentileBin(hist, finite, highP));
  if (hi <= lo) {
    // Percentiles collapsed (mostly constant image): fall back to the occupied range.
    let first = 0;
    while (first < BINS && hist[first] === 0) first++;
    let last = BINS - 1;
    while (last > 0 && hist[last] === 0) last--;
    lo = valueOf(first);
    hi = valueOf(last);
    if (hi <= lo) return null;
  }
  return { lo, scale: 255 / (hi - lo) };
}

function toByte(v: number, t: { lo: number; scale: number }): number {
  const s = (v - t.lo) * t.scale;
  return s <= 0 ? 0 : s >= 255 ? 255 : Math.round(s);
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
