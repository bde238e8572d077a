// Measured training speed of this machine: seconds per reviewed image for each phase, per preset and mode (full /
// quick), kept in the project's settings and updated after every completed run (the newest run weighs half).
// Estimates come from these once a run has been measured; until then from the built-in table in plan.ts.
import type { TrainPhase } from '../contract.js';
import type { Db } from '../db/database.js';
import { getSetting, putSetting } from '../teacher/settings.js';

const KEY = 'student.phaseRates';
export const PHASES: readonly TrainPhase[] = ['reading', 'stem', 'features', 'head', 'final', 'saving'];

export interface PhaseRates {
  /** Seconds per image, per phase. */
  perImage: Partial<Record<TrainPhase, number>>;
  /** Completed runs measured, and the image count of the newest. */
  runs: number;
  images: number;
  updatedAt: string;
}

type Table = Record<string, PhaseRates>;

export function rateKey(preset: string, quick: boolean): string {
  return `${preset}:${quick ? 'quick' : 'full'}`;
}

export function readRates(db: Db, preset: string, quick: boolean): PhaseRates | null {
  return getSetting<Table>(db, KEY)?.[rateKey(preset, quick)] ?? null;
}

/** Records one completed run's phase durations (seconds) over `images` images. */
export function recordRun(db: Db, preset: string, quick: boolean, images: number, seconds: Partial<Record<TrainPhase, number>>): PhaseRates | null {
  if (!(images > 0)) return null;
  const table = getSetting<Table>(db, KEY) ?? {};
  const key = rateKey(preset, quick);
  const old = table[key];
  const perImage: Partial<Record<TrainPhase, number>> = {};
  for (const ph of PHASES) {
    const s = seconds[ph];
    if (s === undefined || !Number.isFinite(s) || s < 0) {
      if (old?.perImage[ph] !== undefined) perImage[ph] = old.perImage[ph];
      continue;
    }
    const now = s / images;
    const prev = old?.perImage[ph];
    perImage[ph] = prev === undefined ? now : 0.5 * prev + 0.5 * now;
  }
  const next: PhaseRates = { perImage, runs: (old?.runs ?? 0) + 1, images, updatedAt: new Date().toISOString() };
  putSetting(db, KEY, { ...table, [key]: next });
  return next;
}

/** Seconds for a run over `images` images at the measured rates (at least 2 s). */
export function estimateFromRates(r: PhaseRates, images: number): number {
  let s = 0;
  for (const ph of PHASES) s += (r.perImage[ph] ?? 0) * images;
  return Math.max(2, Math.round(s));
}

/** Share of the run per phase at the measured rates (for the running ETA), or null when nothing is measured. */
export function sharesFromRates(r: PhaseRates | null): Partial<Record<TrainPhase, number>> | null {
  if (!r) return null;
  const total = PHASES.reduce((a, ph) => a + (r.perImage[ph] ?? 0), 0);
  if (!(total > 0)) return null;
  return Object.fromEntries(PHASES.map((ph) => [ph, (r.perImage[ph] ?? 0) / total]));
}
