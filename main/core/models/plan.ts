// Pure helpers of the Train button: defaults from the data size and the hardware, the expected duration,
// and a running ETA from the phases seen so far. No I/O: unit-tested on their own.
import type { TrainPhase } from '../contract.js';

export const PRESET_NAMES = ['default', 'fast', 'multi', 'large'] as const;

/**
 * Seconds on a 2-core CPU, measured with `emma train` (docs/student.md: default preset 46–80 s for ~400 reviewed
 * images, two head runs included): a fixed part (the head's steps, twice) plus a part per image (reading, the
 * stem's dictionary, features).
 */
const COST: Record<string, { base: number; perImage: number }> = {
  fast: { base: 3, perImage: 0.05 },
  default: { base: 25, perImage: 0.13 },
  multi: { base: 30, perImage: 0.45 },
  large: { base: 90, perImage: 0.25 },
};

export interface PlanInput {
  images: number;
  classes: number;
  cores: number;
  /** Execution provider expected for the head ('cpu', 'cuda', 'dml'...). */
  provider: string;
  preset?: string;
  minutes?: number;
}

export interface PlanChoice {
  preset: string;
  minutes: number;
  estimatedSeconds: number;
  reason: string;
}

export function estimateSeconds(preset: string, images: number, cores: number, provider: string): number {
  const c = COST[preset] ?? COST.default;
  // The engine runs ONNX with 2 intra-op threads: one core is about twice as slow, more than two barely help.
  const cpuScale = cores <= 1 ? 2 : 1;
  const headScale = provider === 'cpu' ? 1 : 0.35;
  return Math.max(2, Math.round(c.base * headScale * cpuScale + c.perImage * images * cpuScale));
}

export function choosePlan(p: PlanInput): PlanChoice {
  let preset = p.preset;
  let why: string;
  if (preset) why = `preset '${preset}' as asked`;
  else if (p.images < 60) {
    preset = 'fast';
    why = `${p.images} reviewed images: the fast preset (small stem, linear head) learns as much from so few`;
  } else if (p.provider !== 'cpu' && p.images >= 500) {
    preset = 'large';
    why = `${p.images} reviewed images and a ${p.provider} accelerator: the large preset`;
  } else {
    preset = 'default';
    why = `${p.images} reviewed images on ${p.provider === 'cpu' ? `${p.cores} CPU core${p.cores === 1 ? '' : 's'}` : p.provider}: the default preset`;
  }
  const estimatedSeconds = estimateSeconds(preset, p.images, p.cores, p.provider);
  // The budget leaves room for a slow or busy machine; the head stops early (keeping what it learned) when it runs out.
  const minutes = p.minutes ?? Math.min(30, Math.max(1, Math.ceil((estimatedSeconds * 2) / 60)));
  return { preset, minutes, estimatedSeconds, reason: `${why}; about ${formatDuration(estimatedSeconds)}, budget ${minutes} min` };
}

export function formatDuration(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  return `${Math.round(s / 60)} minutes`;
}

/** Share of a run's time per phase (measured on the default preset; the head runs twice: split and final). */
const PHASE_SHARE: Record<TrainPhase, number> = { reading: 0.15, stem: 0.08, features: 0.22, head: 0.25, final: 0.27, saving: 0.03 };
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
}

/** Seconds left: the current phase at its own rate, later phases at the plan's shares scaled by how the finished phases compared to it. */
export function estimateEta(c: PhaseClock): number | null {
  const idx = ORDER.indexOf(c.phase);
  if (idx < 0) return null;
  let plannedDone = 0;
  let actualDone = 0;
  for (const ph of ORDER.slice(0, idx)) {
    const t = c.finished[ph];
    if (t !== undefined) {
      plannedDone += PHASE_SHARE[ph] * c.estimatedS;
      actualDone += t;
    }
  }
  const speed = plannedDone > 1 ? Math.min(10, Math.max(0.1, actualDone / plannedDone)) : 1;
  const inPhase = c.elapsedS - c.phaseStartS;
  const frac = c.total > 0 ? Math.min(1, c.done / c.total) : 0;
  const planned = PHASE_SHARE[c.phase] * c.estimatedS * speed;
  const current = frac > 0.05 && inPhase > 0.5 ? (inPhase / frac) * (1 - frac) : Math.max(0, planned - inPhase);
  const later = ORDER.slice(idx + 1).reduce((s, ph) => s + PHASE_SHARE[ph] * c.estimatedS * speed, 0);
  return Math.max(0, current + later);
}
