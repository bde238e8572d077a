// Train-button defaults and the running ETA (pure helpers of main/core/student/plan.ts).
import { describe, expect, it } from 'vitest';
import { choosePlan, estimateEta, estimateSeconds } from '../../../main/core/student/plan.js';

describe('training plan', () => {
  it('chooses the preset from the data size and the hardware', () => {
    expect(choosePlan({ images: 30, classes: 3, cores: 2, provider: 'cpu' }).preset).toBe('fast');
    expect(choosePlan({ images: 400, classes: 8, cores: 2, provider: 'cpu' }).preset).toBe('default');
    expect(choosePlan({ images: 2000, classes: 8, cores: 16, provider: 'cuda' }).preset).toBe('large');
    expect(choosePlan({ images: 400, classes: 8, cores: 2, provider: 'cpu', preset: 'multi' })).toMatchObject({ preset: 'multi' });
  });

  it('estimates well under a minute for ~400 images on 2 CPU cores, longer on one, and budgets twice that', () => {
    const s = estimateSeconds('default', 406, 2, 'cpu');
    expect(s).toBeGreaterThan(20);
    expect(s).toBeLessThan(60);
    expect(estimateSeconds('default', 406, 1, 'cpu')).toBeGreaterThan(s);
    const p = choosePlan({ images: 406, classes: 3, cores: 2, provider: 'cpu' });
    expect(p.minutes).toBe(Math.ceil((p.estimatedSeconds * 2) / 60));
    expect(p.reason).toMatch(/default preset; about \d+ s, budget \d+ min/);
    expect(choosePlan({ images: 406, classes: 3, cores: 2, provider: 'cpu', minutes: 7 }).minutes).toBe(7);
  });

  it('a quick update costs the head runs plus reading and features of uncached images only', () => {
    const full = estimateSeconds('default', 406, 2, 'cpu');
    const warm = estimateSeconds('default', 406, 2, 'cpu', 406);
    const some = estimateSeconds('default', 406, 2, 'cpu', 386);
    const cold = estimateSeconds('default', 406, 2, 'cpu', 0);
    expect(warm).toBeLessThan(some);
    expect(some).toBeLessThan(cold);
    expect(cold).toBeLessThan(full);
    expect(warm).toBeLessThan(full / 2);
    const p = choosePlan({ images: 406, classes: 3, cores: 2, provider: 'cpu', quick: { from: 4, cached: 386, preset: 'multi' } });
    expect(p).toMatchObject({ preset: 'multi', estimatedSeconds: estimateSeconds('multi', 406, 2, 'cpu', 386) });
    expect(p.reason).toMatch(/^quick update of v4 \(its texture stem; features of 386 of 406 images cached\), v4's preset 'multi'; about \d+ s/);
    expect(choosePlan({ images: 406, classes: 3, cores: 2, provider: 'cpu', preset: 'fast', quick: { from: 4, cached: 0, preset: 'multi' } }).preset).toBe(
      'fast',
    );
    // The ETA of a quick run: no dictionary phase, most of the time in the two head runs.
    const eta = estimateEta({ estimatedS: 20, finished: {}, phase: 'features', done: 0, total: 400, elapsedS: 0, phaseStartS: 0, quick: true })!;
    expect(eta).toBeCloseTo(20 * 0.92, 0);
  });

  it('ETA follows the current phase rate and scales later phases by how the finished ones went', () => {
    const base = { estimatedS: 100, finished: {} };
    // Start: the plan's estimate.
    expect(estimateEta({ ...base, phase: 'reading', done: 0, total: 100, elapsedS: 0, phaseStartS: 0 })).toBeCloseTo(100, 0);
    // Half of reading (planned 6 % = 6 s) in 5 s: 5 s more for it, later phases (94 s) as planned.
    expect(estimateEta({ ...base, phase: 'reading', done: 50, total: 100, elapsedS: 5, phaseStartS: 0 })).toBeCloseTo(5 + 94, 0);
    // Reading took twice the plan (12 s vs 6 s): later phases are expected twice as long.
    const slow = estimateEta({ estimatedS: 100, finished: { reading: 12 }, phase: 'stem', done: 0, total: 1, elapsedS: 12, phaseStartS: 12 })!;
    expect(slow).toBeCloseTo(2 * 94, 0);
    expect(estimateEta({ ...base, phase: 'saving', done: 1, total: 1, elapsedS: 99, phaseStartS: 98 })).toBe(0);
  });
});

describe('estimateEta within the run limit', () => {
  it('never shows more time left than the run has before its own limit', () => {
    const c = { phase: 'features' as const, done: 1, total: 100, elapsedS: 50, phaseStartS: 40, finished: { reading: 20, stem: 20 }, estimatedS: 30 };
    const free = estimateEta(c)!;
    expect(free).toBeGreaterThan(70);
    expect(estimateEta({ ...c, limitS: 120 })).toBe(70);
    expect(estimateEta({ ...c, limitS: 40 })).toBe(0);
  });

  it('uses measured phase shares when given', () => {
    const c = { phase: 'reading' as const, done: 0, total: 10, elapsedS: 0, phaseStartS: 0, finished: {}, estimatedS: 100 };
    const shares = { reading: 0.5, stem: 0, features: 0.5, head: 0, final: 0, saving: 0 };
    expect(estimateEta({ ...c, shares })).toBeCloseTo(100, 6);
  });
});
