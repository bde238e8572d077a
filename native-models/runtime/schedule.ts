// Learning-rate schedules, computed in JS and fed to the train step's `lr` input each step.
export interface Schedule {
  readonly kind: 'constant' | 'cosine';
  readonly lr: number;
  readonly warmupSteps?: number;
  readonly minLr?: number;
}

export function lrAt(s: Schedule, step: number, totalSteps: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (s.lr * (step + 1)) / warm;
  if (s.kind === 'constant') return s.lr;
  const min = s.minLr ?? 0;
  const t = Math.min(1, (step - warm) / Math.max(1, totalSteps - warm));
  return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * t));
}
