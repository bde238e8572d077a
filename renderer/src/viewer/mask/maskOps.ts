// Pure edit operations on a particle label image (0 background, k particle k) for the mask editor, and the
// undo/redo history. Every edit returns a Patch (the pixels it changed, before and after) rather than a copy
// of the image: a 1024x768 mask is 1.5 MB, a freehand outline changes a few thousand pixels.
// Rows at and below `specimenRows` are the data bar: no edit writes there, so they stay 0.

export interface LabelMask {
  width: number;
  height: number;
  specimenRows: number;
  data: Uint16Array;
}

export interface Patch {
  idx: Uint32Array;
  before: Uint16Array;
  after: Uint16Array;
}

export type Point = readonly [number, number];

export const MAX_LABEL = 65535;

/** Little-endian uint16 bytes (the API's form) to labels. */
export function labelsFromBytes(bytes: Uint8Array, n: number): Uint16Array {
  if (bytes.length !== 2 * n) throw new Error(`mask holds ${bytes.length / 2} pixels, expected ${n}`);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

export function labelsToBytes(labels: Uint16Array): Uint8Array {
  const out = new Uint8Array(2 * labels.length);
  for (let i = 0; i < labels.length; i++) {
    out[2 * i] = labels[i] & 0xff;
    out[2 * i + 1] = labels[i] >>> 8;
  }
  return out;
}

/**
 * Pixels inside a closed polygon (image px, pixel-corner coordinates: pixel (x, y) spans [x, x+1)), by the
 * even-odd rule at pixel centres, clipped to the specimen rows. Sorted by index.
 */
export function polygonPixels(points: readonly Point[], width: number, rows: number): Uint32Array {
  if (points.length < 3) return new Uint32Array(0);
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const [, y] of points) {
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  const y0 = Math.max(0, Math.ceil(ymin - 0.5));
  const y1 = Math.min(rows - 1, Math.floor(ymax - 0.5));
  const out: number[] = [];
  const xs: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      // Half-open in y so a vertex on the scan line counts once.
      if (yi <= cy !== yj <= cy) xs.push(xi + ((cy - yi) / (yj - yi)) * (xj - xi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const xa = Math.max(0, Math.ceil(xs[k] - 0.5));
      const xb = Math.min(width - 1, Math.floor(xs[k + 1] - 0.5));
      for (let x = xa; x <= xb; x++) out.push(y * width + x);
    }
  }
  return Uint32Array.from(out);
}

/** Pixels of a disc of radius r (px) around (cx, cy), clipped to the specimen rows. */
export function discPixels(cx: number, cy: number, r: number, width: number, rows: number): Uint32Array {
  const out: number[] = [];
  const r2 = r * r;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(rows - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= r2) out.push(y * width + x);
    }
  }
  return Uint32Array.from(out);
}

/** Sets the given pixels to `value` (only those that change enter the patch) and returns the patch. */
export function setPixels(mask: LabelMask, pixels: Uint32Array, value: number, onlyWhere?: (current: number) => boolean): Patch {
  const limit = mask.specimenRows * mask.width;
  const idx: number[] = [];
  const before: number[] = [];
  for (const i of pixels) {
    const cur = mask.data[i];
    if (i >= limit || cur === value || (onlyWhere && !onlyWhere(cur))) continue;
    idx.push(i);
    before.push(cur);
    mask.data[i] = value;
  }
  return { idx: Uint32Array.from(idx), before: Uint16Array.from(before), after: new Uint16Array(idx.length).fill(value) };
}

/** A label no particle uses (the largest plus one), or null when all 65535 are taken. */
export function unusedLabel(mask: LabelMask): number | null {
  let max = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] > max) max = mask.data[i];
  return max < MAX_LABEL ? max + 1 : null;
}

/** Draws a new particle: the polygon's pixels get a fresh label (over any particle there: the outline is the correction). */
export function drawParticle(mask: LabelMask, points: readonly Point[]): Patch | null {
  const label = unusedLabel(mask);
  if (label === null) return null;
  const p = setPixels(mask, polygonPixels(points, mask.width, mask.specimenRows), label);
  return p.idx.length ? p : null;
}

export function labelAt(mask: LabelMask, x: number, y: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  if (xi < 0 || yi < 0 || xi >= mask.width || yi >= mask.height) return 0;
  return mask.data[yi * mask.width + xi];
}

/** Deletes the particle under (x, y); null when there is none. */
export function deleteParticle(mask: LabelMask, x: number, y: number): Patch | null {
  const label = labelAt(mask, x, y);
  if (label === 0) return null;
  const idx: number[] = [];
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] === label) idx.push(i);
  return setPixels(mask, Uint32Array.from(idx), 0);
}

/** Merges particle `b` into particle `a` (both under clicked points); null when either is background or they are one. */
export function mergeParticles(mask: LabelMask, a: Point, b: Point): Patch | null {
  const la = labelAt(mask, a[0], a[1]);
  const lb = labelAt(mask, b[0], b[1]);
  if (!la || !lb || la === lb) return null;
  const idx: number[] = [];
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] === lb) idx.push(i);
  return setPixels(mask, Uint32Array.from(idx), la);
}

/**
 * Pixels a segment passes through (every pixel whose square it touches: a 4-connected line, so zeroing it
 * separates what lies on either side under 4-connectivity, as the masks' particles are defined).
 */
export function segmentPixels(a: Point, b: Point, width: number, rows: number): Uint32Array {
  const out = new Set<number>();
  const n = Math.max(1, Math.ceil(4 * Math.hypot(b[0] - a[0], b[1] - a[1])));
  let prev: [number, number] | null = null;
  for (let k = 0; k <= n; k++) {
    const x = Math.floor(a[0] + ((b[0] - a[0]) * k) / n);
    const y = Math.floor(a[1] + ((b[1] - a[1]) * k) / n);
    // A diagonal step would leave a 4-connected gap: add the corner pixel too.
    if (prev && prev[0] !== x && prev[1] !== y) add(out, x, prev[1], width, rows);
    add(out, x, y, width, rows);
    prev = [x, y];
  }
  return Uint32Array.from([...out].sort((p, q) => p - q));
}

function add(out: Set<number>, x: number, y: number, width: number, rows: number): void {
  if (x >= 0 && y >= 0 && x < width && y < rows) out.add(y * width + x);
}

/**
 * Splits the particles a cut line crosses: the line's pixels become background, and each crossed particle's
 * 4-connected pieces get their own labels (the largest keeps the old one). Null when the line crosses none.
 */
export function splitParticles(mask: LabelMask, a: Point, b: Point): Patch | null {
  const { width: w, data } = mask;
  const line = segmentPixels(a, b, w, mask.specimenRows);
  const crossed = new Set<number>();
  for (const i of line) if (data[i]) crossed.add(data[i]);
  if (crossed.size === 0) return null;
  const patches: Patch[] = [setPixels(mask, line, 0)];
  let next = unusedLabel(mask);
  for (const label of crossed) {
    const pieces = components(mask, label);
    pieces.sort((p, q) => q.length - p.length);
    for (const piece of pieces.slice(1)) {
      if (next === null) break;
      patches.push(setPixels(mask, Uint32Array.from(piece), next));
      next = next < MAX_LABEL ? next + 1 : null;
    }
  }
  return joinPatches(patches);
}

/** The 4-connected pieces of one label, as pixel index lists. */
function components(mask: LabelMask, label: number): number[][] {
  const { width: w, height: h, data } = mask;
  const seen = new Set<number>();
  const out: number[][] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== label || seen.has(i)) continue;
    const piece: number[] = [];
    const stack = [i];
    seen.add(i);
    while (stack.length) {
      const j = stack.pop()!;
      piece.push(j);
      const x = j % w;
      const y = (j - x) / w;
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const k = ny * w + nx;
        if (data[k] === label && !seen.has(k)) {
          seen.add(k);
          stack.push(k);
        }
      }
    }
    out.push(piece);
  }
  return out;
}

/** Joins patches of one stroke (brush dabs) into one undo step; later patches win on shared pixels. */
export function joinPatches(patches: readonly Patch[]): Patch | null {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const p of patches) {
    for (let k = 0; k < p.idx.length; k++) {
      if (!first.has(p.idx[k])) first.set(p.idx[k], p.before[k]);
      last.set(p.idx[k], p.after[k]);
    }
  }
  const idx = [...first.keys()].filter((i) => first.get(i) !== last.get(i)).sort((x, y) => x - y);
  if (idx.length === 0) return null;
  return { idx: Uint32Array.from(idx), before: Uint16Array.from(idx.map((i) => first.get(i)!)), after: Uint16Array.from(idx.map((i) => last.get(i)!)) };
}

export function applyPatch(mask: LabelMask, p: Patch, direction: 'redo' | 'undo'): void {
  const v = direction === 'redo' ? p.after : p.before;
  for (let k = 0; k < p.idx.length; k++) mask.data[p.idx[k]] = v[k];
}

/** Distinct non-zero labels. */
export function particleCount(mask: LabelMask): number {
  const seen = new Uint8Array(MAX_LABEL + 1);
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) {
    const l = mask.data[i];
    if (l && !seen[l]) {
      seen[l] = 1;
      n++;
    }
  }
  return n;
}

/**
 * Undo/redo of patches, and whether the mask differs from the last saved (or loaded) state. A new edit after
 * undos drops the redo branch; when the saved state was in that branch, the mask stays unsaved until saved again.
 */
export class EditHistory {
  private readonly done: Patch[] = [];
  private readonly undone: Patch[] = [];
  /** Position (done.length) of the saved state; -1 when it can no longer be reached. */
  private saved = 0;

  constructor(private readonly limit = 200) {}

  push(p: Patch): void {
    if (this.saved > this.done.length) this.saved = -1;
    this.done.push(p);
    this.undone.length = 0;
    if (this.done.length > this.limit) {
      this.done.shift();
      this.saved = this.saved > 0 ? this.saved - 1 : -1;
    }
  }

  undo(mask: LabelMask): boolean {
    const p = this.done.pop();
    if (!p) return false;
    applyPatch(mask, p, 'undo');
    this.undone.push(p);
    return true;
  }

  redo(mask: LabelMask): boolean {
    const p = this.undone.pop();
    if (!p) return false;
    applyPatch(mask, p, 'redo');
    this.done.push(p);
    return true;
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  get dirty(): boolean {
    return this.saved !== this.done.length;
  }

  markSaved(): void {
    this.saved = this.done.length;
  }
}
