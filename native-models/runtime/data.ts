// Batches for step t are a pure function of (seed, t): shuffling per epoch and augmentation both derive
// their random streams from the seed, so resuming at step t sees exactly the batches an uninterrupted
// run would have seen.
import { Rng, subSeed } from '../util/rng.js';

export interface ImageSet {
  /** N images, NCHW float32, already preprocessed. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface Augment {
  readonly flips?: boolean;
  /** Rotations by multiples of 90 degrees (square images only). */
  readonly rot90?: boolean;
}

export function count(set: ImageSet): number {
  return set.labels.length;
}

function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  return new Rng(subSeed(seed, 0x5eed, epoch)).permutation(n);
}

/** Fills `img`/`lab` with the batch of step `step` (0-based). */
export function fillBatch(set: ImageSet, batch: number, step: number, seed: number, aug: Augment, img: Float32Array, lab: BigInt64Array): void {
  const n = count(set);
  const { channels: c, height: h, width: w } = set;
  const plane = h * w;
  const size = c * plane;
  const rng = new Rng(subSeed(seed, 0xa06, step));
  let cachedEpoch = -1;
  let order: Uint32Array = new Uint32Array(0);
  for (let i = 0; i < batch; i++) {
    const k = step * batch + i;
    const epoch = Math.floor(k / n);
    if (epoch !== cachedEpoch) {
      order = epochOrder(seed, epoch, n);
      cachedEpoch = epoch;
    }
    const src = order[k % n];
    lab[i] = BigInt(set.labels[src]);
    const from = set.images.subarray(src * size, (src + 1) * size);
    const to = img.subarray(i * size, (i + 1) * size);
    const flip = aug.flips ? rng.next() < 0.5 : false;
    const rot = aug.rot90 && h === w ? rng.int(4) : 0;
    if (!flip && rot === 0) {
      to.set(from);
      continue;
    }
    for (let ch = 0; ch < c; ch++) {
      const fp = ch * plane;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sx = flip ? w - 1 - x : x;
          let sy = y;
          for (let r = 0; r < rot; r++) [sx, sy] = [sy, w - 1 - sx];
          to[fp + y * w + x] = from[fp + sy * w + sx];
        }
      }
    }
  }
}
