import { describe, expect, it } from 'vitest';
import { chooseScaleBar, formatLengthNm, formatNiceLength, MICRO, nmPerScreenPixel } from '../../../renderer/src/lib/scaleBar.js';

const NICE = new Set([1, 2, 5]);

function mantissaOf(lengthNm: number): number {
  const exp = Math.floor(Math.log10(lengthNm) + 1e-9);
  return Math.round(lengthNm / 10 ** exp);
}

describe('chooseScaleBar', () => {
  it('picks 2 µm for a 1024 px wide 7.344 nm/px image fitted into a 1000 px viewport', () => {
    // 7.344 nm/px, 1024 px wide image, preview at full size, fitted to 1000 CSS px.
    const nmPerPx = nmPerScreenPixel(7.344, 1, 1000 / 1024)!;
    const bar = chooseScaleBar(nmPerPx, 1000 * 0.2)!;
    expect(bar.label).toBe('2 µm');
    expect(bar.lengthNm).toBe(2000);
    expect(bar.px).toBeCloseTo(2000 / nmPerPx, 6);
  });

  it('scales with zoom: 4× zoom gives a shorter nice length', () => {
    const fit = chooseScaleBar(7.344, 200)!; // target 1468.8 nm
    const zoomed = chooseScaleBar(7.344 / 4, 200)!; // target 367.2 nm
    expect(fit.label).toBe('2 µm');
    expect(zoomed.label).toBe('500 nm');
  });

  it('always returns a 1/2/5 × 10^n length within a factor of ~1.6 of the target', () => {
    for (let e = -4; e <= 7; e += 0.037) {
      const nmPerPx = 10 ** e;
      const bar = chooseScaleBar(nmPerPx, 200)!;
      expect(NICE.has(mantissaOf(bar.lengthNm))).toBe(true);
      expect(bar.px).toBeGreaterThan(200 / 1.6);
      expect(bar.px).toBeLessThan(200 * 1.6);
    }
  });

  it('spans roughly 15-25 % of the viewport for the common case', () => {
    const width = 1200;
    let inBand = 0;
    let n = 0;
    for (let e = -1; e <= 3; e += 0.01, n++) {
      const bar = chooseScaleBar(10 ** e, width * 0.2)!;
      if (bar.px >= width * 0.125 && bar.px <= width * 0.32) inBand++;
    }
    expect(inBand).toBe(n);
  });

  it('labels in pm, nm, µm and mm with the micro sign and no float noise', () => {
    expect(chooseScaleBar(0.001, 200)!.label).toBe('200 pm');
    expect(chooseScaleBar(0.0015, 200)!.label).toBe('200 pm');
    expect(chooseScaleBar(0.1, 3)!.label).toBe('200 pm');
    expect(chooseScaleBar(0.0025, 200)!.label).toBe('500 pm');
    expect(chooseScaleBar(1, 200)!.label).toBe('200 nm');
    expect(chooseScaleBar(0.3, 200)!.label).toBe('50 nm');
    expect(chooseScaleBar(5, 200)!.label).toBe('1 \u00b5m');
    expect(chooseScaleBar(10, 200)!.label).toBe(`2 ${MICRO}m`);
    expect(chooseScaleBar(1500, 200)!.label).toBe(`200 ${MICRO}m`);
    expect(chooseScaleBar(100_000, 200)!.label).toBe('20 mm');
    expect(chooseScaleBar(1e-6, 200)!.label).toBe('0.2 pm');
    expect(MICRO).toBe('\u00b5');
    expect(MICRO).not.toBe('\u03bc');
  });

  it('formats exact nice lengths by exponent', () => {
    expect(formatNiceLength(5, -1)).toBe('500 pm');
    expect(formatNiceLength(1, 0)).toBe('1 nm');
    expect(formatNiceLength(2, 2)).toBe('200 nm');
    expect(formatNiceLength(5, 3)).toBe(`5 ${MICRO}m`);
    expect(formatNiceLength(1, 5)).toBe(`100 ${MICRO}m`);
    expect(formatNiceLength(2, 6)).toBe('2 mm');
    expect(formatLengthNm(0.25)).toBe('250 pm');
    expect(formatLengthNm(1234)).toBe(`1.23 ${MICRO}m`);
    expect(formatLengthNm(7.344)).toBe('7.34 nm');
  });

  it('gives null for a missing or nonsensical calibration', () => {
    expect(chooseScaleBar(0, 200)).toBeNull();
    expect(chooseScaleBar(-1, 200)).toBeNull();
    expect(chooseScaleBar(Number.NaN, 200)).toBeNull();
    expect(chooseScaleBar(1, 0)).toBeNull();
    expect(nmPerScreenPixel(null, 1, 1)).toBeNull();
    expect(nmPerScreenPixel(5, 0, 1)).toBeNull();
  });
});
