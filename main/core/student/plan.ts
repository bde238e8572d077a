// Pure helpers of the Train button: defaults from the data size and the hardware, the expected duration,
// and a running ETA from the phases seen so far. No I/O: unit-tested on their own.
import type { TrainPhase } from '../contract.js';

export const PRESET_NAMES = ['default', 'fast', 'multi', 'large'] as const;

/**
 * Seconds on a 2-core CPU: a fixed part (PCA and the head's steps, twice) plus a part per image (reading, the
 * stem's dictionary, features). `default` measured with trainStudent on the uhcs and semi-defects 2/3 splits
 * (272/277 images, 25–31 s, machine shared: head + final 7–9 s, the rest ~0.08 s per image; docs/student.md).
 * The others: their earlier measured head cost scaled by the same ~4x drop the head's 128-component input gave.
 */
const COST: Record<string, { base: number; perImage: number }> = {
  fast: { base: 3, perImage: 0.05 },
  default: { base: 9, perImage: 0.08 },
  multi: { base: 10, perImage: 0.4 },
  large: { base: 25, perImage: 0.2 },
};

/**
 * A quick update (same stem, cached features): the same head runs, then per image only reading + features when its
 * features are not cached yet, and almost nothing when they are (docs/student.md, "Quick update").
 */
const QUICK_PER_IMAGE = { uncached: 0.06, cached: 0.004 };

export interface PlanInput {
  images: number;
  classes: number;
  cores: number;
  /** Execution provider expected for the head ('cpu', 'cuda', 'dml'...). */
  provider: string;
  preset?: string;
  minutes?: number;
  /** A quick update of version `from` (trained with `preset`), `cached` of the images having features for its stem. */
  quick?: { from: number; cached: number; preset?: string };
}

export interface PlanChoice {
  preset: string;
  minutes: number;
  estimatedSeconds: number;
  reason: string;
}

/** `cached`: a quick update, with that many of the images' features cached. */
export function estimateSeconds(preset: string, images: number, cores: number, provider: string, cached?: number): number {
  const c = COST[preset] ?? COST.default;
  // The engine runs ONNX with 2 intra-op threads: one core is about twice as slow, more than two barely help.
  const cpuScale = cores <= 1 ? 2 : 1;
  const headScale = provider === 'cpu' ? 1 : 0.35;
  const perImages =
    cached === undefined ? c.perImage * images : QUICK_PER_IMAGE.uncached * Math.max(0, images - cached) + QUICK_PER_IMAGE.cached * Math.min(cached, images);
  return Math.max(2, Math.round(c.base * headScale * cpuScale + perImages * cpuScale));
}

export function choosePlan(p: PlanInput): PlanChoice {
  let preset = p.preset;
  let why: string;
  if (preset) why = `preset '${preset}' as asked`;
  else if (p.quick?.preset) {
    preset = p.quick.preset;
    why = `v${p.quick.from}'s preset '${preset}'`;
  } else if (p.images < 60) {
    preset = 'fast';
    why = `${p.images} reviewed images: the fast preset (small stem, linear head) learns as much from so few`;
  } else if (p.provider !== 'cpu' && p.images >= 500) {
    preset = 'large';
    why = `${p.images} reviewed images and a ${p.provider} accelerator: the large preset`;
  } else {
    preset = 'default';
    why = `${p.images} reviewed images on ${p.provider === 'cpu' ? `${p.cores} CPU core${p.cores === 1 ? '' : 's'}` : p.provider}: the default preset`;
  }
  if (p.quick)
    why = `quick update of v${p.quick.from} (its texture stem; features of ${Math.min(p.quick.cached, p.images)} of ${p.images} images cached), ${why}`;
  const estimatedSeconds = estimateSeconds(preset, p.images, p.cores, p.provider, p.quick?.cached);
  // The budget leaves room for a slow or busy machine; the head stops early (keeping what it learned) when it runs out.
  const minutes = p.minutes ?? Math.min(30, Math.max(1, Math.ceil((estimatedSeconds * 2) / 60)));
  return { preset, minutes, estimatedSeconds, reason: `${why}; about ${formatDuration(estimatedSeconds)}, budget ${minutes} min` };
}

export function formatDuration(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  return `${Math.round(s / 60)} minutes`;
}

/** Share of a run's time per phase (measured on the default preset; the head runs twice: split and final). */
const PHASE_SHARE: Record<TrainPhase, number> = { reading: 0.06, stem: 0.18, features: 0.46, head: 0.23, final: 0.06, saving: 0.01 };
/** A quick update: no dictionary, reading and features only for uncached images. */
const QUICK_SHARE: Record<TrainPhase, number> = { reading: 0.08, stem: 0, features: 0.08, head: 0.6, final: 0.2, saving: 0.04 };
const ORDER: TrainPhase[] = ['reading', 'stem', 'features', 'head', 'final', 'saving'];

export interface PhaseClock {
  phase: TrainPhase;
  done: number;
  total: number;
  /** Seconds since the run started, and when the current phase started. */
  elapsedS: number;
  phaseStartS: number;
  /** Seconds the finished phases took. */
  finished: Partial<Record<TrainPhase, number>>;
  /** The plan's estimate for the whole run. */
  estimatedS: number;
  quick?: boolean;
  /** Phase shares measured on this machine (rates.ts); the built-in shares otherwise. */
  shares?: Partial<Record<TrainPhase, number>> | null;
  /** The run's own wall-clock limit in seconds: the ETA never goes past it. */
  limitS?: number;
}

/** Seconds left: the current phase at its own rate, later phases at the plan's shares scaled by how the finished phases compared to it. */
export function estimateEta(c: PhaseClock): number | null {
  const idx = ORDER.indexOf(c.phase);
  if (idx < 0) return null;
  const SHARE = { ...(c.quick ? QUICK_SHARE : PHASE_SHARE), ...(c.shares ?? {}) } as Record<TrainPhase, number>;
  let plannedDone = 0;
  let actualDone = 0;
  for (const ph of ORDER.slice(0, idx)) {
    const t = c.finished[ph];
    if (t !== undefined) {
      plannedDone += SHARE[ph] * c.estimatedS;
      actualDone += t;
    }
  }
  const speed = plannedDone > 1 ? Math.min(10, Math.max(0.1, actualDone / plannedDone)) : 1;
  const inPhase = c.elapsedS - c.phaseStartS;
  const frac = c.total > 0 ? Math.min(1, c.done / c.total) : 0;
  const planned = SHARE[c.phase] * c.estimatedS * speed;
  const current = frac > 0.05 && inPhase > 0.5 ? (inPhase / frac) * (1 - frac) : Math.max(0, planned - inPhase);
  const later = ORDER.slice(idx + 1).reduce((s, ph) => s + SHARE[ph] * c.estimatedS * speed, 0);
  const eta = Math.max(0, current + later);
  return c.limitS !== undefined ? Math.min(eta, Math.max(0, c.limitS - c.elapsedS)) : eta;
}
