import { describe, expect, it } from 'vitest';
import { calibrate } from '../../../main/core/student/calibration.js';

describe('calibrate (ECE, 10 bins)', () => {
  it('is zero when confidence matches accuracy in every bin', () => {
    // Two predictions at 0.5 confidence (bin 5: (0.4, 0.5]), one right, one wrong.
    const c = calibrate([0.5, 0.5, 0.5, 0.5], [0, 1], 2);
    expect(c.ece).toBeCloseTo(0, 12);
    expect(c.reliability[4]).toMatchObject({ lo: 0.4, n: 2, confidence: 0.5, accuracy: 0.5 });
    expect(c.reliability.reduce((s, b) => s + b.n, 0)).toBe(2);
  });

  it('weights each bin by its share: overconfident wrong answers show up', () => {
    // 3 classes. Row 0: 0.9 right. Row 1: 0.9 wrong. Row 2: 0.6 right. Row 3: 0.35 (bin (0.3,0.4]) wrong.
    const probs = [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.2, 0.6, 0.2, 0.35, 0.33, 0.32];
    const c = calibrate(probs, [0, 0, 1, 2], 3);
    // bin (0.8,0.9]: 2 rows, acc 0.5, conf 0.9 -> 0.5*0.4; bin (0.5,0.6]: acc 1 conf 0.6 -> 0.25*0.4; bin (0.3,0.4]: acc 0 conf .35 -> 0.25*0.35
    expect(c.ece).toBeCloseTo(0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.35, 6);
    expect(c.reliability.filter((b) => b.n > 0).map((b) => b.lo)).toEqual([0.3, 0.5, 0.8]);
    expect(c.reliability[0]).toMatchObject({ n: 0, confidence: null, accuracy: null });
    expect(c).toMatchObject({ n: 4, bins: 10 });
  });
});
