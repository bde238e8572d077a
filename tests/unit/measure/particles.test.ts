// Particle geometry on synthetic discs of known size: ECD, Feret, aspect ratio, edge exclusion, units.
import { describe, expect, it } from 'vitest';
import { convexHull, distribution, feret, measureParticles, percentile } from '../../../main/core/measure/particles.js';
import { paintDisc } from './synthetic.js';

describe('particle geometry', () => {
  it('a disc of diameter 40 px has ECD ≈ 40 px and Feret ≈ 40 px; at 2.5 nm/px, ≈ 100 nm', () => {
    const w = 120;
    const h = 100;
    const lab = new Int32Array(w * h);
    paintDisc(lab, w, h, 60, 50, 20, 1);
    const [px] = measureParticles(lab, w, h, h, null);
    expect(px.ecd).toBeGreaterThan(39.5);
    expect(px.ecd).toBeLessThan(40.5);
    expect(px.feretMax).toBeGreaterThan(39.5);
    expect(px.feretMax).toBeLessThan(41.5);
    expect(px.feretMin).toBeGreaterThan(39);
    expect(px.aspectRatio).toBeLessThan(1.06);
    expect(px.touchesEdge).toBe(false);
    expect(px.cx).toBeCloseTo(60, 1);
    expect(px.cy).toBeCloseTo(50, 1);
    const [nm] = measureParticles(lab, w, h, h, 2.5);
    expect(nm.ecd).toBeCloseTo(px.ecd * 2.5, 6);
    expect(nm.area).toBeCloseTo(px.areaPx * 6.25, 6);
  });

  it('an axis-aligned 30 x 10 rectangle: Feret 10 and √(30²+10²), aspect ratio from them', () => {
    const w = 50;
    const h = 30;
    const lab = new Int32Array(w * h);
    for (let y = 5; y < 15; y++) for (let x = 10; x < 40; x++) lab[y * w + x] = 1;
    const [p] = measureParticles(lab, w, h, h, null);
    expect(p.areaPx).toBe(300);
    expect(p.feretMin).toBeCloseTo(10, 6);
    expect(p.feretMax).toBeCloseTo(Math.hypot(30, 10), 6);
    expect(p.aspectRatio).toBeCloseTo(Math.hypot(30, 10) / 10, 6);
    expect(p.bbox).toEqual([10, 5, 39, 14]);
  });

  it('particles cut by the border or the data bar are marked; rows of the bar are ignored', () => {
    const w = 100;
    const h = 100;
    const lab = new Int32Array(w * h);
    paintDisc(lab, w, h, 3, 50, 8, 1); // cut by the left border
    paintDisc(lab, w, h, 50, 78, 6, 2); // reaches row 79, the last specimen row when the bar starts at 80
    paintDisc(lab, w, h, 50, 30, 6, 3); // whole
    paintDisc(lab, w, h, 50, 92, 4, 4); // inside the data bar: not specimen
    const ps = measureParticles(lab, w, h, 80, null);
    const by = new Map(ps.map((p) => [p.label, p]));
    expect(by.get(1)!.touchesEdge).toBe(true);
    expect(by.get(2)!.touchesEdge).toBe(true);
    expect(by.get(3)!.touchesEdge).toBe(false);
    expect(by.has(4)).toBe(false);
  });

  it('distribution: median, p10/p90 (linear interpolation), mean and sample sd', () => {
    const d = distribution([5, 1, 4, 2, 3]);
    expect(d).toMatchObject({ n: 5, median: 3, mean: 3 });
    expect(d.p10).toBeCloseTo(1.4, 9);
    expect(d.p90).toBeCloseTo(4.6, 9);
    expect(d.sd).toBeCloseTo(Math.sqrt(2.5), 9);
    expect(distribution([])).toMatchObject({ n: 0, median: null, sd: null });
    expect(distribution([7]).sd).toBeNull();
    expect(percentile([0, 10], 0.25)).toBeCloseTo(2.5, 9);
  });

  it('convex hull and Feret of a unit square', () => {
    const hull = convexHull([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5]);
    expect(hull.length).toBe(8);
    const f = feret(hull);
    expect(f.max).toBeCloseTo(Math.SQRT2, 9);
    expect(f.min).toBeCloseTo(1, 9);
  });
});
