// Small synthetic image sets that a tiny ViT can learn in a few dozen steps.
import type { ImageSet } from '../../native-models/runtime/data.js';
import type { TrainSpec } from '../../native-models/runtime/train-loop.js';
import type { VitConfig } from '../../native-models/models/vit-tiny.js';
import { Rng } from '../../native-models/util/rng.js';

/** Four classes: horizontal stripes, vertical stripes, a bright centre blob, a dark centre blob; plus noise. */
export function stripesDataset(n: number, size = 16, seed = 1): ImageSet {
  const rng = new Rng(seed);
  const images = new Float32Array(n * size * size);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const c = k % 4;
    labels[k] = c;
    const phase = rng.int(4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const r = Math.hypot(x - size / 2, y - size / 2) / size;
        let v: number;
        if (c === 0) v = ((y + phase) >> 1) % 2 ? 1 : -1;
        else if (c === 1) v = ((x + phase) >> 1) % 2 ? 1 : -1;
        else if (c === 2) v = r < 0.25 ? 1.5 : -0.5;
        else v = r < 0.25 ? -1.5 : 0.5;
        images[k * size * size + y * size + x] = v + 0.3 * rng.normal();
      }
    }
  }
  return { images, labels, channels: 1, height: size, width: size };
}

export const TINY: VitConfig = {
  imageSize: 16,
  channels: 1,
  patch: 4,
  dim: 32,
  depth: 1,
  heads: 2,
  mlpRatio: 2,
  classes: 4,
  stem: [],
  labels: ['h-stripes', 'v-stripes', 'bright', 'dark'],
};

/** The training spec the tests share (and the SIGKILL child rebuilds identically). */
export function tinySpec(over: Partial<TrainSpec> = {}): TrainSpec {
  return {
    model: { arch: 'vit-classifier', config: TINY },
    data: stripesDataset(64),
    batch: 16,
    steps: 100,
    seed: 11,
    schedule: { kind: 'cosine', lr: 5e-3, warmupSteps: 5 },
    augment: { flips: true },
    session: { providers: ['cpu'] },
    ...over,
  };
}
