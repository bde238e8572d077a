// Calibration of the student's class probabilities: expected calibration error over equal-width bins of the
// top-class confidence (Guo et al. 2017), and the bins themselves for a reliability diagram.

export interface ReliabilityBin {
  lo: number;
  hi: number;
  n: number;
  /** Mean top-class probability of the predictions in the bin; null when empty. */
  confidence: number | null;
  /** Share of them that were right; null when empty. */
  accuracy: number | null;
}

export interface Calibration {
  n: number;
  bins: number;
  /** Σ_b (n_b / N) · |accuracy_b − confidence_b|. */
  ece: number;
  reliability: ReliabilityBin[];
}

/** probs: row-major [n × C]; truth: class index per row. */
export function calibrate(probs: ArrayLike<number>, truth: readonly number[], C: number, bins = 10): Calibration {
  const n = truth.length;
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (probs[i * C + j] > probs[i * C + best]) best = j;
    const p = probs[i * C + best];
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1)); // (lo, hi]; 0 goes to the first bin
    count[b]++;
    conf[b] += p;
    if (best === truth[i]) right[b]++;
  }
  let ece = 0;
  const reliability = count.map((k, b) => {
    const confidence = k ? conf[b] / k : null;
    const accuracy = k ? right[b] / k : null;
    if (k) ece += (k / n) * Math.abs(accuracy! - confidence!);
    return { lo: b / bins, hi: (b + 1) / bins, n: k, confidence, accuracy };
  });
  return { n, bins, ece, reliability };
}
