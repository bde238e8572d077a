// Image operations for particle measurement, on flat typed arrays (row-major, width*height).
// Written for one core: separable filters, linear-time distance transform, bucket-queue watershed.

/** Separable Gaussian blur with mirrored borders. sigma <= 0 returns a copy. */
export function gaussianBlur(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  if (!(sigma > 0)) return Float32Array.from(src);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  // The kernel is symmetric: each tap pair shares one multiply (the filter bank's largest cost is these loops).
  const kc = k[r];
  // Rows: a padded copy of each row (mirrored ends), then the taps.
  const mx = new Int32Array(w + 2 * r);
  for (let x = 0; x < w + 2 * r; x++) mx[x] = mirror(x - r, w);
  const line = new Float32Array(w + 2 * r);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w + 2 * r; x++) line[x] = src[o + mx[x]];
    for (let x = 0; x < w; x++) {
      const c = x + r;
      let s = kc * line[c];
      for (let j = 1; j <= r; j++) s += k[r + j] * (line[c - j] + line[c + j]);
      tmp[o + x] = s;
    }
  }
  // Columns, row by row: out row y accumulates whole source rows (contiguous, cache-friendly).
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const sc = y * w;
    for (let x = 0; x < w; x++) out[o + x] = kc * tmp[sc + x];
    for (let j = 1; j <= r; j++) {
      const kj = k[r + j];
      const a = mirror(y - j, h) * w;
      const b = mirror(y + j, h) * w;
      for (let x = 0; x < w; x++) out[o + x] += kj * (tmp[a + x] + tmp[b + x]);
    }
  }
  return out;
}

function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n - 2;
  i = ((i % p) + p) % p;
  return i < n ? i : p - i;
}

/** Otsu's threshold over values in [0, 255] (float values are binned); only pixels with mask != 0 when given. */
export function otsuThreshold(src: ArrayLike<number>, mask?: Uint8Array): number {
  const hist = new Float64Array(256);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    if (mask && !mask[i]) continue;
    const v = Math.min(255, Math.max(0, Math.round(src[i])));
    hist[v]++;
    n++;
  }
  if (n === 0) return 128;
  let total = 0;
  for (let v = 0; v < 256; v++) total += v * hist[v];
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let t = 0;
  for (let v = 0; v < 256; v++) {
    wB += hist[v];
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += v * hist[v];
    const mB = sumB / wB;
    const mF = (total - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      t = v;
    }
  }
  // Pixels > t are the upper class.
  return t + 0.5;
}

/**
 * Exact Euclidean distance (in px) of every foreground pixel (fg != 0) to the nearest background pixel
 * (Felzenszwalb & Huttenlocher's lower envelope, two 1-D passes). Outside the image counts as foreground,
 * so particles cut by the edge are not pulled apart at the edge.
 */
export function distanceTransform(fg: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e20;
  const f = new Float64Array(w * h);
  for (let i = 0; i < f.length; i++) f[i] = fg[i] ? INF : 0;
  const n = Math.max(w, h);
  const col = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) col[y] = f[y * w + x];
    dt1d(col, h, d, v, z);
    for (let y = 0; y < h; y++) f[y * w + x] = d[y];
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) col[x] = f[o + x];
    dt1d(col, w, d, v, z);
    for (let x = 0; x < w; x++) out[o + x] = d[x] >= INF / 2 ? Math.max(w, h) : Math.sqrt(d[x]);
  }
  return out;
}

function dt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    d[q] = dq * dq + f[v[k]];
  }
}

/** The 8-connected neighbours of pixel p of a w x h grid, written to `out` (length >= 8); returns how many. */
export function neighbours8(p: number, w: number, h: number, out: Int32Array): number {
  const x = p % w;
  const y = (p - x) / w;
  let k = 0;
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= h) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx;
      if ((dx === 0 && dy === 0) || xx < 0 || xx >= w) continue;
      out[k++] = yy * w + xx;
    }
  }
  return k;
}

/** Connected components of fg != 0 (4- or 8-connected). Labels 1..count, 0 = background. */
export function labelComponents(fg: Uint8Array, w: number, h: number, connectivity: 4 | 8 = 4): { labels: Int32Array; count: number } {
  const labels = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  let count = 0;
  for (let i = 0; i < fg.length; i++) {
    if (!fg[i] || labels[i]) continue;
    count++;
    let sp = 0;
    stack[sp++] = i;
    labels[i] = count;
    while (sp > 0) {
      const p = stack[--sp];
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (connectivity === 4 && dx !== 0 && dy !== 0) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (fg[q] && !labels[q]) {
            labels[q] = count;
            stack[sp++] = q;
          }
        }
      }
    }
  }
  return { labels, count };
}

/** Fills holes: background regions (4-connected) that do not reach the image border become foreground. */
export function fillHoles(fg: Uint8Array, w: number, h: number): Uint8Array {
  const bg = new Uint8Array(w * h);
  for (let i = 0; i < bg.length; i++) bg[i] = fg[i] ? 0 : 1;
  const { labels, count } = labelComponents(bg, w, h, 4);
  const touches = new Uint8Array(count + 1);
  for (let x = 0; x < w; x++) {
    touches[labels[x]] = 1;
    touches[labels[(h - 1) * w + x]] = 1;
  }
  for (let y = 0; y < h; y++) {
    touches[labels[y * w]] = 1;
    touches[labels[y * w + w - 1]] = 1;
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = fg[i] || (labels[i] && !touches[labels[i]]) ? 1 : 0;
  return out;
}

/** Removes labelled regions smaller than minArea px and renumbers the rest 1..n in raster order. */
export function relabel(labels: Int32Array, minArea: number): { labels: Int32Array; count: number } {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  const area = new Int32Array(max + 1);
  for (let i = 0; i < labels.length; i++) area[labels[i]]++;
  const map = new Int32Array(max + 1);
  let n = 0;
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 0 || area[l] < minArea) continue;
    if (map[l] === 0) map[l] = ++n;
    out[i] = map[l];
  }
  return { labels: out, count: n };
}

/**
 * Morphological reconstruction by dilation of `marker` under `mask` (marker <= mask), 8-connected
 * (Vincent's hybrid algorithm: one raster and one anti-raster pass, then a FIFO for the remainder).
 */
export function reconstructByDilation(marker: Float32Array, mask: Float32Array, w: number, h: number): Float32Array {
  const r = new Float32Array(marker.length);
  for (let i = 0; i < r.length; i++) r[i] = Math.min(marker[i], mask[i]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      let m = r[p];
      if (x > 0 && r[p - 1] > m) m = r[p - 1];
      if (y > 0) {
        const q = p - w;
        if (r[q] > m) m = r[q];
        if (x > 0 && r[q - 1] > m) m = r[q - 1];
        if (x < w - 1 && r[q + 1] > m) m = r[q + 1];
      }
      r[p] = m < mask[p] ? m : mask[p];
    }
  }
  const queue = new Int32Array(w * h);
  let qh = 0;
  let qt = 0;
  const inQ = new Uint8Array(w * h);
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const p = y * w + x;
      let m = r[p];
      if (x < w - 1 && r[p + 1] > m) m = r[p + 1];
      if (y < h - 1) {
        const q = p + w;
        if (r[q] > m) m = r[q];
        if (x < w - 1 && r[q + 1] > m) m = r[q + 1];
        if (x > 0 && r[q - 1] > m) m = r[q - 1];
      }
      r[p] = m < mask[p] ? m : mask[p];
      // A forward neighbour that could still rise from p goes on the queue.
      const rp = r[p];
      let push = false;
      if (x < w - 1 && r[p + 1] < rp && r[p + 1] < mask[p + 1]) push = true;
      if (!push && y < h - 1) {
        const q = p + w;
        if (r[q] < rp && r[q] < mask[q]) push = true;
        else if (x < w - 1 && r[q + 1] < rp && r[q + 1] < mask[q + 1]) push = true;
        else if (x > 0 && r[q - 1] < rp && r[q - 1] < mask[q - 1]) push = true;
      }
      if (push && !inQ[p]) {
        inQ[p] = 1;
        queue[qt] = p;
        qt = (qt + 1) % queue.length;
      }
    }
  }
  const nb = new Int32Array(8);
  while (qh !== qt) {
    const p = queue[qh];
    qh = (qh + 1) % queue.length;
    inQ[p] = 0;
    const rp = r[p];
    const count = neighbours8(p, w, h, nb);
    for (let k = 0; k < count; k++) {
      const q = nb[k];
      if (r[q] < rp && r[q] !== mask[q]) {
        r[q] = rp < mask[q] ? rp : mask[q];
        if (!inQ[q]) {
          inQ[q] = 1;
          queue[qt] = q;
          qt = (qt + 1) % queue.length;
        }
      }
    }
  }
  return r;
}

/**
 * Markers of the h-maxima of f inside fg: connected regions (8-connected) where f rises at least h above
 * the saddle to any higher region. Labels 1..count.
 */
export function hMaximaMarkers(f: Float32Array, fg: Uint8Array, w: number, h: number, hgt: number): { labels: Int32Array; count: number } {
  const shifted = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) shifted[i] = f[i] - hgt;
  const rec = reconstructByDilation(shifted, f, w, h);
  const top = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) top[i] = fg[i] && f[i] - rec[i] >= hgt - 1e-4 ? 1 : 0;
  return labelComponents(top, w, h, 8);
}

/** A regional maximum of a map and how far it stands above the saddle where it meets a higher one. */
export interface Maximum {
  /** One pixel of the maximum (its first in scan order). */
  at: number;
  peak: number;
  /** Peak minus the saddle height; Infinity for the highest maximum of each connected region. */
  dynamic: number;
}

/**
 * Every regional maximum of `f` inside `region` (8-connected) with its dynamic, found by flooding from the top: pixels
 * are taken in falling order (values quantised to 1/`perUnit`, a counting sort) and joined with union-find; where two
 * flooded areas meet, the one with the lower peak ends there. Keeping the maxima whose dynamic is at least h gives
 * the h-maxima; computing all of them once lets a caller try several rules (e.g. a height relative to the peak).
 */
export function regionalMaxima(f: Float32Array, region: Uint8Array, w: number, h: number, perUnit = 64): Maximum[] {
  const n = w * h;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!region[i]) continue;
    if (f[i] < lo) lo = f[i];
    if (f[i] > hi) hi = f[i];
  }
  if (!(hi >= lo)) return [];
  const levels = Math.max(1, Math.ceil((hi - lo) * perUnit) + 1);
  const levelOf = (i: number) => levels - 1 - Math.min(levels - 1, Math.floor((f[i] - lo) * perUnit));
  // Counting sort, highest level first, scan order within a level.
  const start = new Int32Array(levels + 1);
  for (let i = 0; i < n; i++) if (region[i]) start[levelOf(i) + 1]++;
  for (let l = 0; l < levels; l++) start[l + 1] += start[l];
  const order = new Int32Array(start[levels]);
  const fill = start.slice(0, levels);
  for (let i = 0; i < n; i++) if (region[i]) order[fill[levelOf(i)]++] = i;

  const parent = new Int32Array(n).fill(-1); // -1: not flooded yet
  const peakOf = new Int32Array(n); // for roots: the pixel of the component's highest maximum
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r];
    while (parent[x] !== r) {
      const nx = parent[x];
      parent[x] = r;
      x = nx;
    }
    return r;
  };
  const maxima: Maximum[] = [];
  const indexOf = new Map<number, number>();
  const nb = new Int32Array(8);
  for (const p of order) {
    parent[p] = p;
    peakOf[p] = p;
    let root = p;
    let joined = false;
    const count = neighbours8(p, w, h, nb);
    for (let k = 0; k < count; k++) {
      const q = nb[k];
      if (parent[q] < 0) continue;
      const r = find(q);
      if (r === root) continue;
      if (!joined) {
        // The first flooded neighbour: this pixel joins its area.
        parent[root] = r;
        root = r;
        joined = true;
        continue;
      }
      // Two areas meet at this pixel: the one with the lower peak ends here.
      const [high, low] = f[peakOf[r]] > f[peakOf[root]] || (f[peakOf[r]] === f[peakOf[root]] && peakOf[r] < peakOf[root]) ? [r, root] : [root, r];
      maxima[indexOf.get(peakOf[low])!].dynamic = f[peakOf[low]] - f[p];
      parent[low] = high;
      root = high;
    }
    if (!joined) {
      indexOf.set(p, maxima.length);
      maxima.push({ at: p, peak: f[p], dynamic: Infinity });
    }
  }
  return maxima;
}

/**
 * Marker-controlled watershed (Meyer's flooding) of `elevation` from `markers` (labels > 0), confined to
 * pixels with region != 0. A bucket queue over 1024 elevation levels, FIFO inside a level, 4-connected.
 * Pixels of the region no marker reaches stay 0.
 */
export function watershed(elevation: Float32Array, markers: Int32Array, region: Uint8Array, w: number, h: number): Int32Array {
  const LEVELS = 1024;
  const n = w * h;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!region[i]) continue;
    const e = elevation[i];
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  const out = new Int32Array(n);
  if (!(hi >= lo)) return out;
  const scale = hi > lo ? (LEVELS - 1) / (hi - lo) : 0;
  // Linked-list buckets: head/tail per level, next per queue entry (a pixel enters at most once).
  const head = new Int32Array(LEVELS).fill(-1);
  const tail = new Int32Array(LEVELS).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const queued = new Uint8Array(n);
  const push = (p: number, lvl: number): void => {
    if (tail[lvl] < 0) head[lvl] = p;
    else next[tail[lvl]] = p;
    tail[lvl] = p;
  };
  const level = (p: number): number => Math.round((elevation[p] - lo) * scale);
  for (let p = 0; p < n; p++) {
    if (markers[p] > 0 && region[p]) {
      out[p] = markers[p];
      queued[p] = 1;
    }
  }
  // Seed the queue with the unlabelled neighbours of every marker.
  for (let p = 0; p < n; p++) {
    if (!out[p]) continue;
    const x = p % w;
    for (let d = 0; d < 4; d++) {
      const q = d === 0 ? (x > 0 ? p - 1 : -1) : d === 1 ? (x < w - 1 ? p + 1 : -1) : d === 2 ? p - w : p + w < n ? p + w : -1;
      if (q >= 0 && region[q] && !queued[q]) {
        queued[q] = 1;
        push(q, level(q));
      }
    }
  }
  let cur = 0;
  while (cur < LEVELS) {
    const p = head[cur];
    if (p < 0) {
      cur++;
      continue;
    }
    head[cur] = next[p];
    if (head[cur] < 0) tail[cur] = -1;
    const x = p % w;
    // Take the label of a labelled neighbour (first found).
    let lab = 0;
    if (x > 0 && out[p - 1]) lab = out[p - 1];
    else if (x < w - 1 && out[p + 1]) lab = out[p + 1];
    else if (p >= w && out[p - w]) lab = out[p - w];
    else if (p + w < n && out[p + w]) lab = out[p + w];
    out[p] = lab;
    for (let d = 0; d < 4; d++) {
      const q = d === 0 ? (x > 0 ? p - 1 : -1) : d === 1 ? (x < w - 1 ? p + 1 : -1) : d === 2 ? p - w : p + w < n ? p + w : -1;
      if (q >= 0 && region[q] && !queued[q]) {
        queued[q] = 1;
        // Never below the current level: the flood only rises.
        const lq = level(q);
        push(q, lq > cur ? lq : cur);
      }
    }
  }
  return out;
}
