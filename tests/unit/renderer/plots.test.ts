// The student's plots: loss-curve geometry, confusion heat map, durations.
import { describe, expect, it } from 'vitest';
import { aboutDuration, downsample, formatClock, heatColor, lossCurve, niceCeil, pct, rowNormalise } from '../../../renderer/src/lib/plots.js';

const box = { width: 200, height: 100, pad: { l: 10, r: 10, t: 10, b: 10 } };

describe('plots', () => {
  it('draws one path per phase inside the box, y from 0 to a nice ceiling', () => {
    const pts = [
      { t: 0, step: 0, loss: 2.2, phase: 'head' },
      { t: 1, step: 50, loss: 1.1, phase: 'head' },
      { t: 2, step: 100, loss: 0.4, phase: 'head' },
      { t: 3, step: 0, loss: 2.0, phase: 'final' },
      { t: 4, step: 100, loss: 0.3, phase: 'final' },
      { t: 5, step: 120, loss: Number.NaN, phase: 'final' },
    ];
    const c = lossCurve(pts, box);
    expect(c.yMax).toBe(2.5);
    expect(c.xMax).toBe(100);
    expect(c.paths.map((p) => p.phase)).toEqual(['head', 'final']);
    expect(c.paths[0].d).toBe('M10.0,19.6L100.0,54.8L190.0,77.2');
    for (const p of c.paths) {
      for (const [, x, y] of p.d.matchAll(/[ML]([\d.]+),([\d.]+)/g)) {
        expect(Number(x)).toBeGreaterThanOrEqual(10);
        expect(Number(x)).toBeLessThanOrEqual(190);
        expect(Number(y)).toBeGreaterThanOrEqual(10);
        expect(Number(y)).toBeLessThanOrEqual(90);
      }
    }
    expect(lossCurve([], box).paths).toEqual([]);
  });

  it('downsamples keeping the ends', () => {
    const d = downsample(
      Array.from({ length: 1000 }, (_, i) => i),
      5,
    );
    expect(d).toEqual([0, 250, 500, 749, 999]);
    expect(downsample([1, 2], 5)).toEqual([1, 2]);
  });

  it('nice ceilings, row-normalised confusion, heat colours', () => {
    expect([0.83, 2.3, 0.031, 5, 7].map(niceCeil)).toEqual([1, 2.5, 0.05, 5, 10]);
    expect(
      rowNormalise([
        [3, 1],
        [0, 0],
      ]),
    ).toEqual([
      [0.75, 0.25],
      [0, 0],
    ]);
    expect(heatColor(0, true)).toBe('rgb(32,36,40)');
    expect(heatColor(1, true)).toBe('rgb(77,157,224)');
    expect(heatColor(1, false)).toBe('rgb(239,107,94)');
  });

  it('formats durations and shares', () => {
    expect(formatClock(42)).toBe('0:42');
    expect(formatClock(185)).toBe('3:05');
    expect(formatClock(3730)).toBe('1:02:10');
    expect(formatClock(null)).toBe('—');
    expect(aboutDuration(40)).toBe('about 40 s');
    expect(aboutDuration(240)).toBe('about 4 minutes');
    expect(pct(0.9123)).toBe('91.2%');
    expect(pct(null)).toBe('—');
  });
});
