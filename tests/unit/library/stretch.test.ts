import { describe, expect, it } from 'vitest';
import { stretchToUint8 } from '../../../main/core/library/stretch.js';

describe('stretchToUint8', () => {
  it('maps the 0.5/99.5 percentiles of 16-bit data to 0/255 and clips outliers', () => {
    const a = new Uint16Array(10_000);
    for (let i = 0; i < a.length; i++) a[i] = 1000 + (i % 1000);
    a[0] = 65_535; // hot pixel
    a[1] = 0; // dead pixel
    const out = stretchToUint8(a);
    expect(out[0]).toBe(255);
    expect(out[1]).toBe(0);
    expect(out[500]).toBeGreaterThan(120);
    expect(out[500]).toBeLessThan(135);
  });

  it('handles float data with negative values, NaN and Infinity', () => {
    const f = new Float32Array([-2, -1, 0, 1, 2, NaN, Infinity, -Infinity]);
    const out = stretchToUint8(f, { lowPercentile: 0, highPercentile: 100 });
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 64, 128, 191, 255]);
    expect(Array.from(out.subarray(5))).toEqual([0, 0, 0]);
  });

  it('a constant image maps to 0 rather than dividing by zero', () => {
    expect(Array.from(stretchToUint8(new Uint16Array([513, 513, 513])))).toEqual([0, 0, 0]);
    expect(stretchToUint8(new Float32Array(0)).length).toBe(0);
  });
});
