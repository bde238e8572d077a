// The student's texture stem: a fixed, data-adapted filter bank that turns a grey micrograph into one
// vector of multi-scale texture statistics, computed once per image and cached.
//
// Recipe (Coates & Ng-style single-layer features, made for micrographs):
// - per-image standardisation, then a half-octave pyramid (scales 1, 1/sqrt2, 1/2, ...);
// - a dictionary of P x P atoms learned without labels from the library's own patches (contrast-normalised,
//   ZCA-whitened, spherical k-means), closed under the 8 flips/rotations of the square (D4), so rotating or
//   mirroring an image only permutes feature channels (free augmentation and exact TTA for the head);
// - encoding = correlation with each atom on contrast-normalised local patches, split by polarity
//   (relu(r - a), relu(-r - a)), pooled over the whole image by mean (texture) and max (a local defect).
// The convolutional part runs as an ONNX inference graph in onnxruntime (one session per image shape).
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../graph/builder.js';
import { writeModel } from '../onnx/writer.js';
import { openSession, type OpenSession, type Provider, type SessionConfig } from '../runtime/session.js';
import { Rng } from '../util/rng.js';

export interface StemConfig {
  /** Patch (atom) size in pixels. */
  patch: number;
  /** Atoms learned by k-means; the bank holds 8x as many (all D4 transforms). */
  atoms: number;
  /** Pyramid levels, half an octave apart. */
  levels: number;
  /** Encoder threshold (in whitened units). */
  alpha: number;
  /** Images are read with their longer side at most this (pixels). */
  maxSide: number;
  /** Further atom sizes, each with its own dictionary; their feature blocks follow the main patch's. */
  extraPatches?: number[];
}

export const DEFAULT_STEM: StemConfig = { patch: 7, atoms: 24, levels: 6, alpha: 0.5, maxSide: 320 };

export interface Stem {
  readonly config: StemConfig;
  /** [atoms*8, patch, patch] filters in pixel space, index = atom*8 + d4 transform. */
  readonly bank: Float32Array;
  /** One bank per `extraPatches` size, same layout. */
  readonly extraBanks?: readonly Float32Array[];
}

/** Patch sizes of the stem's banks, main first. */
export function patchSizes(c: StemConfig): number[] {
  return [c.patch, ...(c.extraPatches ?? [])];
}

export interface GreyImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Features of one bank: [level][polarity][stat][atom*8+g]. */
export function blockSize(c: StemConfig): number {
  return c.levels * 4 * c.atoms * 8;
}

export function featureSize(c: StemConfig): number {
  return patchSizes(c).length * blockSize(c);
}

// ---- D4 on square arrays --------------------------------------------------------------------------

/** Transform g = flip*4 + k: mirror left-right (if flip), then rotate 90 degrees counter-clockwise k times. */
export function d4(src: Float32Array, n: number, g: number): Float32Array {
  let a = src;
  if (g >= 4) {
    const b = new Float32Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) b[y * n + x] = a[y * n + (n - 1 - x)];
    a = b;
  }
  for (let r = 0; r < g % 4; r++) {
    const b = new Float32Array(n * n);
    // numpy.rot90 (counter-clockwise): out[y][x] = in[x][n-1-y]
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) b[y * n + x] = a[x * n + (n - 1 - y)];
    a = b;
  }
  return a === src ? src.slice() : a;
}

/**
 * perm[h][g]: the channel that feature (atom, g) of an image transformed by h comes from in the
 * untransformed image's features. Applying every h gives the 8 D4 views of a feature vector.
 */
export function d4Permutations(): number[][] {
  const n = 5;
  const rng = new Rng(7);
  const x = Float32Array.from({ length: n * n }, () => rng.normal());
  const t = Array.from({ length: 8 }, (_, g) => d4(x, n, g));
  const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
  const find = (a: Float32Array) => t.findIndex((b) => same(a, b));
  const inv = Array.from({ length: 8 }, (_, h) => Array.from({ length: 8 }, (_, i) => i).find((i) => same(d4(t[h], n, i), x))!);
  return Array.from({ length: 8 }, (_, h) => Array.from({ length: 8 }, (_, g) => find(d4(t[g], n, inv[h]))));
}

/** The 8 D4 views of feature vectors [count, D] laid out [level][polarity][stat][atom*8+g]: [count*8, D]. */
export function d4Views(feats: Float32Array, count: number, c: StemConfig): Float32Array {
  const D = featureSize(c);
  const K = c.atoms * 8;
  const perm = d4Permutations();
  const out = new Float32Array(count * 8 * D);
  for (let i = 0; i < count; i++) {
    const src = feats.subarray(i * D, (i + 1) * D);
    for (let h = 0; h < 8; h++) {
      const dst = out.subarray((i * 8 + h) * D, (i * 8 + h + 1) * D);
      for (let blk = 0; blk < D / K; blk++) {
        const o = blk * K;
        for (let a = 0; a < c.atoms; a++) for (let g = 0; g < 8; g++) dst[o + a * 8 + g] = src[o + a * 8 + perm[h][g]];
      }
    }
  }
  return out;
}

/**
 * Feature vectors as if the images were zoomed by 2^(shift/2): level l takes level l + shift's statistics
 * (levels that fall off the pyramid are zero). Approximate scale augmentation at no extraction cost.
 */
export function shiftLevels(feats: Float32Array, count: number, c: StemConfig, shift: number): Float32Array {
  const D = featureSize(c);
  const B = blockSize(c);
  const L = B / c.levels;
  const out = new Float32Array(feats.length);
  for (let i = 0; i < count; i++) {
    for (let b = 0; b < D / B; b++) {
      const o = i * D + b * B;
      for (let l = 0; l < c.levels; l++) {
        const src = l + shift;
        if (src < 0 || src >= c.levels) continue;
        out.set(feats.subarray(o + src * L, o + (src + 1) * L), o + l * L);
      }
    }
  }
  return out;
}

// ---- images: standardisation and pyramid ------------------------------------------------------------

export function standardize(img: GreyImage): Float32Array {
  const n = img.width * img.height;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = img.data[i] / 255;
    s += v;
    s2 += v * v;
  }
  const mean = s / n;
  const std = Math.sqrt(Math.max(s2 / n - mean * mean, 0)) + 0.02;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (img.data[i] / 255 - mean) / std;
  return out;
}

/** Area-weighted (anti-aliased) downscale of a w x h plane to nw x nh. */
export function resizeArea(src: Float32Array, w: number, h: number, nw: number, nh: number): Float32Array {
  const out = new Float32Array(nw * nh);
  const sx = w / nw;
  const sy = h / nh;
  const tmp = new Float32Array(nw * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < nw; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      let acc = 0;
      for (let i = Math.floor(x0); i < Math.min(Math.ceil(x1), w); i++) acc += src[y * w + i] * (Math.min(x1, i + 1) - Math.max(x0, i));
      tmp[y * nw + x] = acc / sx;
    }
  }
  for (let x = 0; x < nw; x++) {
    for (let y = 0; y < nh; y++) {
      const y0 = y * sy;
      const y1 = y0 + sy;
      let acc = 0;
      for (let i = Math.floor(y0); i < Math.min(Math.ceil(y1), h); i++) acc += tmp[i * nw + x] * (Math.min(y1, i + 1) - Math.max(y0, i));
      out[y * nw + x] = acc / sy;
    }
  }
  return out;
}

export interface Level {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

export function levelSizes(width: number, height: number, c: StemConfig): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < c.levels; s++) {
    const f = 2 ** (-s / 2);
    const w = Math.round(width * f);
    const h = Math.round(height * f);
    if (Math.min(w, h) < 2 * c.patch || Math.min(w, h) < Math.max(...patchSizes(c))) break;
    out.push([w, h]);
  }
  return out;
}

export function pyramid(img: GreyImage, c: StemConfig): Level[] {
  const base = standardize(img);
  return levelSizes(img.width, img.height, c).map(([w, h], s) => ({
    data: s === 0 ? base : resizeArea(base, img.width, img.height, w, h),
    width: w,
    height: h,
  }));
}

/**
 * Levels larger than 128² pixels are sampled at stride 2: pooled statistics do not need every position, and it
 * bounds the encoding's cost per level (a 224² image: levels 0–1; 320×236: levels 0–2, keeping it within the
 * 30 ms classification budget). Part of the stem's identity (features.ts hashes the graph).
 */
function strideOf(w: number, h: number): number {
  return w * h > 128 * 128 ? 2 : 1;
}

// ---- dictionary learning ------------------------------------------------------------------------

/** Eigen-decomposition of a symmetric n x n matrix (cyclic Jacobi); returns eigenvalues and column eigenvectors. */
export function symEig(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = a.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = cs * mkp - sn * mkq;
          m[k * n + q] = sn * mkp + cs * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = cs * mpk - sn * mqk;
          m[q * n + k] = sn * mpk + cs * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: v };
}

/** Learns the D4-closed atom banks from unlabeled images (their pyramids), deterministically from `seed`. */
export function learnStem(images: readonly GreyImage[], c: StemConfig = DEFAULT_STEM, seed = 1, patches = 12000): Stem {
  const bank = learnBank(images, c, c.patch, seed, patches);
  const extraBanks = (c.extraPatches ?? []).map((p, i) => learnBank(images, c, p, seed + 1 + i, patches));
  return { config: { ...c }, bank, ...(extraBanks.length ? { extraBanks } : {}) };
}

function learnBank(images: readonly GreyImage[], c: StemConfig, P: number, seed: number, patches: number): Float32Array {
  const d = P * P;
  const rng = new Rng(seed);
  const per = Math.max(1, Math.ceil(patches / Math.max(1, images.length * c.levels)));
  const rows: Float32Array[] = [];
  for (const img of images) {
    for (const lv of pyramid(img, c)) {
      for (let k = 0; k < per; k++) {
        const x0 = rng.int(lv.width - P + 1);
        const y0 = rng.int(lv.height - P + 1);
        const p = new Float32Array(d);
        let s = 0;
        for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) s += p[y * P + x] = lv.data[(y0 + y) * lv.width + x0 + x];
        const mean = s / d;
        let v = 0;
        for (let i = 0; i < d; i++) {
          p[i] -= mean;
          v += p[i] * p[i];
        }
        const inv = 1 / Math.sqrt(v / d + 0.01);
        for (let i = 0; i < d; i++) p[i] *= inv;
        for (let g = 0; g < 8; g++) rows.push(d4(p, P, g));
      }
    }
  }
  const n = rows.length;
  // Covariance (patches are zero-mean on average by the D4 symmetry and the per-patch centring).
  const cov = new Float64Array(d * d);
  for (const r of rows)
    for (let i = 0; i < d; i++) {
      const ri = r[i];
      for (let j = i; j < d; j++) cov[i * d + j] += ri * r[j];
    }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      cov[i * d + j] /= n;
      cov[j * d + i] = cov[i * d + j];
    }
  const { values, vectors } = symEig(cov, d);
  // ZCA: W = V diag(1/sqrt(e + eps)) V^T
  const wz = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = 1 / Math.sqrt(Math.max(values[k], 0) + 0.1);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) wz[i * d + j] += vectors[i * d + k] * s * vectors[j * d + k];
  }
  const z = rows.map((r) => {
    const o = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let a = 0;
      for (let i = 0; i < d; i++) a += r[i] * wz[i * d + j];
      o[j] = a;
    }
    return o;
  });
  // Spherical k-means with sign-agnostic assignment; empty clusters restart at a random patch.
  const K = c.atoms;
  const dict = Array.from({ length: K }, () => unit(z[rng.int(n)].slice()));
  const assign = new Int32Array(n);
  const coef = new Float32Array(n);
  for (let it = 0; it < 15; it++) {
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bv = -1;
      let bs = 0;
      for (let k = 0; k < K; k++) {
        const s = dot(z[i], dict[k]);
        if (Math.abs(s) > bv) {
          bv = Math.abs(s);
          best = k;
          bs = s;
        }
      }
      assign[i] = best;
      coef[i] = bs;
    }
    const next = Array.from({ length: K }, () => new Float32Array(d));
    const counts = new Int32Array(K);
    for (let i = 0; i < n; i++) {
      const t = next[assign[i]];
      counts[assign[i]]++;
      for (let j = 0; j < d; j++) t[j] += z[i][j] * coef[i];
    }
    for (let k = 0; k < K; k++) dict[k] = counts[k] > 0 && norm(next[k]) > 1e-8 ? unit(next[k]) : unit(z[rng.int(n)].slice());
  }
  // Atom in pixel space: filter = Wz * atom (Wz symmetric), then its 8 transforms.
  const bank = new Float32Array(K * 8 * d);
  for (let k = 0; k < K; k++) {
    const f = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      let a = 0;
      for (let j = 0; j < d; j++) a += wz[i * d + j] * dict[k][j];
      f[i] = a;
    }
    for (let g = 0; g < 8; g++) bank.set(d4(f, P, g), (k * 8 + g) * d);
  }
  return bank;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}
function unit(a: Float32Array): Float32Array {
  const n = norm(a) || 1;
  for (let i = 0; i < a.length; i++) a[i] /= n;
  return a;
}

// ---- the encoding graph ---------------------------------------------------------------------------

/** ONNX graph for one image shape: inputs level_i [1,1,h_i,w_i]; outputs `features_b` [1, levels_present*4*K] per bank. */
export function buildStemGraph(stem: Stem, sizes: readonly [number, number][]): GraphBuilder {
  const c = stem.config;
  const K = c.atoms * 8;
  const g = new GraphBuilder();
  const inputs = sizes.map(([w, h], s) => g.input(`level_${s}`, [1, 1, h, w]));
  const banks = [stem.bank, ...(stem.extraBanks ?? [])];
  patchSizes(c).forEach((P, b) => {
    const data = banks[b];
    const bank = g.constant({ dtype: 'float32', shape: [K, 1, P, P], data }, 'bank');
    const box = g.constant({ dtype: 'float32', shape: [1, 1, P, P], data: new Float32Array(P * P).fill(1 / (P * P)) }, 'box');
    const wsumData = new Float32Array(K);
    for (let k = 0; k < K; k++) for (let i = 0; i < P * P; i++) wsumData[k] += data[k * P * P + i];
    const wsum = g.constant({ dtype: 'float32', shape: [1, K, 1, 1], data: wsumData }, 'wsum');
    const parts = sizes.map(([w, h], s) => {
      const x = inputs[s];
      const st = strideOf(w, h);
      const o = { strides: [st, st] };
      const m = g.conv(x, box, null, o);
      const ex2 = g.conv(g.mul(x, x), box, null, o);
      const sd = g.sqrt(g.add(g.relu(g.sub(ex2, g.mul(m, m))), 0.01));
      const r = g.div(g.sub(g.conv(x, bank, null, o), g.mul(m, wsum)), sd);
      const pos = g.relu(g.sub(r, c.alpha));
      const neg = g.relu(g.sub(g.neg(r), c.alpha));
      const stats = [pos, neg].flatMap((f) => [g.reshape(g.reduceMean(f, [2, 3], false), [1, K]), g.reshape(g.reduceMax(f, [2, 3], false), [1, K])]);
      return g.concat(stats, 1);
    });
    g.output(g.concat(parts, 1), `features_${b}`);
  });
  return g;
}

/** Computes stem features with onnxruntime, one cached session per image shape. */
export class StemExtractor {
  private readonly sessions = new Map<string, Promise<OpenSession>>();
  provider: Provider | null = null;
  constructor(
    readonly stem: Stem,
    private readonly session: SessionConfig = {},
  ) {}

  private open(sizes: [number, number][]): Promise<OpenSession> {
    const key = sizes.map((s) => s.join('x')).join(',');
    let s = this.sessions.get(key);
    if (!s) {
      s = openSession(writeModel(buildStemGraph(this.stem, sizes)), this.session);
      this.sessions.set(key, s);
    }
    return s;
  }

  /** One feature vector (length featureSize) per image; levels an image is too small for stay zero. */
  async extract(img: GreyImage): Promise<Float32Array> {
    const c = this.stem.config;
    const levels = pyramid(img, c);
    if (levels.length === 0) throw new Error(`image ${img.width}x${img.height} is too small for the student (needs ${2 * c.patch} px)`);
    const open = await this.open(levels.map((l) => [l.width, l.height]));
    this.provider = open.provider;
    const feeds: Record<string, ort.Tensor> = {};
    levels.forEach((l, s) => {
      feeds[`level_${s}`] = new ort.Tensor('float32', l.data, [1, 1, l.height, l.width]);
    });
    const r = await open.session.run(feeds);
    const out = new Float32Array(featureSize(c));
    patchSizes(c).forEach((_, b) => out.set(r[`features_${b}`].data as Float32Array, b * blockSize(c)));
    return out;
  }

  async extractAll(images: readonly GreyImage[], onProgress?: (done: number) => void): Promise<Float32Array> {
    const D = featureSize(this.stem.config);
    const out = new Float32Array(images.length * D);
    for (let i = 0; i < images.length; i++) {
      out.set(await this.extract(images[i]), i * D);
      onProgress?.(i + 1);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).session.release();
    this.sessions.clear();
  }
}
