// Raw pixels -> model input, as a manifest's `preprocessing` block describes. Pure JS so the same code
// serves the built-in student and external backbones.
import type { Preprocessing } from '../models/model.js';

export interface RawImage {
  /** Interleaved pixels, row-major (HWC). */
  readonly data: Uint8Array | Uint16Array | Float32Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Writes one image into `out` (C*H*W floats, NCHW) at the manifest's size and normalisation. */
export function preprocessInto(img: RawImage, p: Preprocessing, out: Float32Array): void {
  const { channels: C, height: H, width: W } = p;
  if (out.length !== C * H * W) throw new Error(`preprocess: output holds ${out.length} values, need ${C * H * W}`);
  const sx = img.width / W;
  const sy = img.height / H;
  const pick = (x: number, y: number, c: number) => img.data[(y * img.width + x) * img.channels + Math.min(c, img.channels - 1)];
  for (let c = 0; c < C; c++) {
    const mean = p.mean[c] ?? p.mean[0];
    const std = p.std[c] ?? p.std[0];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v: number;
        if (p.resize === 'nearest') {
          v = pick(Math.min(img.width - 1, Math.floor((x + 0.5) * sx)), Math.min(img.height - 1, Math.floor((y + 0.5) * sy)), c);
        } else {
          // bilinear with half-pixel centres (what Pillow/torchvision do without antialiasing)
          const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
          const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
          const x0 = Math.floor(fx);
          const y0 = Math.floor(fy);
          const x1 = Math.min(x0 + 1, img.width - 1);
          const y1 = Math.min(y0 + 1, img.height - 1);
          const ax = fx - x0;
          const ay = fy - y0;
          v = (1 - ay) * ((1 - ax) * pick(x0, y0, c) + ax * pick(x1, y0, c)) + ay * ((1 - ax) * pick(x0, y1, c) + ax * pick(x1, y1, c));
        }
        out[c * H * W + y * W + x] = (v / p.scale - mean) / std;
      }
    }
  }
}
