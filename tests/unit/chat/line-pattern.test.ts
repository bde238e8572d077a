// A line/space pattern's count and size answers come from line metrology, never "0 particles counted".
import { describe, expect, it } from 'vitest';
import { isLinePattern, measurementSentence, type ImageMeasurement } from '../../../main/core/chat/measure.js';

const lines: ImageMeasurement = {
  method: 'classical default (no training)',
  pixelSizeNm: 2,
  unit: 'nm',
  // Stripes across the frame: every segmented object is cut by the edge.
  particles: { count: 0, excludedAtEdge: 9, ecd: null },
  lines: { pitch: 90, cd: 40, space: 50 },
};

describe('line patterns in measurement answers', () => {
  it('answers a count or size question on a line pattern with the lines', () => {
    expect(isLinePattern(lines)).toBe(true);
    const count = measurementSentence(lines, 'count')!;
    expect(count).toMatch(/line\/space pattern.*no particles are counted: pitch 90 nm, line width \(CD\) 40 nm, space 50 nm/);
    expect(count).not.toMatch(/0 particles counted/);
    expect(measurementSentence(lines, 'size')).toMatch(/^Line width \(CD\) 40 nm at a pitch of 90 nm/);
    expect(measurementSentence(lines, 'spacing')).toMatch(/^Pitch 90 nm/);
  });

  it('keeps particle answers where particles were found, and a periodic-less image is no line pattern', () => {
    const particles: ImageMeasurement = { ...lines, particles: { count: 41, excludedAtEdge: 3, ecd: { median: 52, p10: 30, p90: 80, mean: 54, sd: 12 } } };
    expect(isLinePattern(particles)).toBe(false);
    expect(measurementSentence(particles, 'count')).toMatch(/^41 particles counted/);
    expect(isLinePattern({ ...lines, lines: null })).toBe(false);
    expect(measurementSentence({ ...lines, lines: null }, 'count')).toMatch(/^0 particles counted/);
  });
});
