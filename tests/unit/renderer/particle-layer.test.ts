// The image view's particle table export and histogram binning (pure functions of ParticleLayer).
import { describe, expect, it } from 'vitest';
import { histogram, particlesCsv } from '../../../renderer/src/viewer/ParticleLayer.js';
import type { MeasureResult } from '../../../main/core/contract.js';

describe('particle layer helpers', () => {
  it('histogram counts every value once, the maximum in the last bin', () => {
    const v = [1, 2, 2, 3, 4, 5, 6, 7, 8, 10];
    const h = histogram(v);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(v.length);
    expect(h.lo).toBe(1);
    expect(h.counts[h.counts.length - 1]).toBeGreaterThan(0);
    expect(histogram([]).counts).toEqual([]);
  });

  it('CSV: units in the header follow the calibration, edge-cut particles flagged, method named', () => {
    const p = {
      label: 1,
      areaPx: 10,
      area: 539.3,
      ecd: 26.2,
      feretMax: 30,
      feretMin: 20,
      aspectRatio: 1.5,
      cx: 5,
      cy: 6,
      bbox: [0, 0, 3, 3] as [number, number, number, number],
      touchesEdge: true,
      outline: [],
    };
    const r = {
      fileName: 'a.tif',
      method: 'classical default (no training)',
      pixelSizeNm: 7.344,
      calibrated: true,
      particles: { items: [p] },
    } as unknown as MeasureResult;
    const csv = particlesCsv(r).trim().split('\n');
    expect(csv[0]).toMatch(/a\.tif; classical default \(no training\); pixel size 7\.344 nm/);
    expect(csv[1]).toBe('label,area_nm2,ecd_nm,feret_max_nm,feret_min_nm,aspect_ratio,cx_px,cy_px,cut_by_edge');
    expect(csv[2]).toBe('1,539.30,26.20,30.00,20.00,1.500,5.0,6.0,1');
    const px = particlesCsv({ ...r, calibrated: false, pixelSizeNm: null } as MeasureResult).split('\n');
    expect(px[1]).toMatch(/ecd_px/);
    expect(px[0]).toMatch(/pixel size unknown/);
  });
});
