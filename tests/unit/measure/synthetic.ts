// Synthetic test images with known answers (no real data): discs of known diameter, line gratings.

/** Paints a filled disc of value v (pixel centres within r of (cx, cy)). */
export function paintDisc(img: Uint8Array | Int32Array, w: number, h: number, cx: number, cy: number, r: number, v: number): void {
  for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(h - 1, Math.ceil(cy + r + 1)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(w - 1, Math.ceil(cx + r + 1)); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) img[y * w + x] = v;
    }
  }
}

/** Seeded uniform [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A grey image of bright discs (value 200 + noise) on a dark background (40 + noise), and its label truth. */
export function discScene(
  w: number,
  h: number,
  discs: { cx: number; cy: number; r: number }[],
  seed = 1,
  noise = 12,
): { gray: Uint8Array; labels: Int32Array } {
  const labels = new Int32Array(w * h);
  discs.forEach((d, i) => paintDisc(labels, w, h, d.cx, d.cy, d.r, i + 1));
  const rand = rng(seed);
  const gray = new Uint8Array(w * h);
  for (let i = 0; i < gray.length; i++) {
    const base = labels[i] ? 190 : 45;
    gray[i] = Math.max(0, Math.min(255, Math.round(base + (rand() - 0.5) * 2 * noise)));
  }
  // A thin dark gap where two discs touch, as on a real micrograph's contact line.
  for (let y = 0; y < h; y++) {
    for (let x = 1; x < w; x++) {
      const a = labels[y * w + x - 1];
      const b = labels[y * w + x];
      if (a && b && a !== b) gray[y * w + x] = Math.round(gray[y * w + x] * 0.6);
    }
  }
  return { gray, labels };
}
