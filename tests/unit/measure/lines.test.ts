// Line/space metrology on synthetic gratings with known pitch, CD and edge roughness.
import { describe, expect, it } from 'vitest';
import { measureLines } from '../../../main/core/measure/lines.js';
import { rng } from './synthetic.js';

/** Bright lines (200) on dark spaces (50) along direction θ, area-sampled edges; edge jitter per row of σ px. */
function grating(w: number, h: number, pitch: number, cd: number, thetaDeg: number, jitter = 0, seed = 1): Uint8Array {
  const th = (thetaDeg * Math.PI) / 180;
  // Normal to the lines.
  const nx = -Math.sin(th);
  const ny = Math.cos(th);
  const rand = rng(seed);
  const g = new Uint8Array(w * h);
  const shifts = new Float64Array(4096).map(() => (jitter ? jitter * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand()) : 0));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // 4x4 supersampling gives sub-pixel edges.
      let s = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const px = x + (sx + 0.5) / 4;
          const py = y + (sy + 0.5) / 4;
          const t = px * nx + py * ny;
          const u = px * ny - py * nx;
          const k = Math.floor(t / pitch);
          const along = Math.floor(u / 4) & 4095; // jitter changes every 4 px along the line
          const e = shifts[(along * 31 + (k & 63) * 7) & 4095];
          const ph = t - k * pitch;
          s += ph >= e && ph < cd + e ? 1 : 0;
        }
      g[y * w + x] = Math.round(50 + (150 * s) / 16);
    }
  }
  return g;
}

describe('line/space metrology', () => {
  it('vertical lines: pitch 16 px, CD 6 px, space 10 px; in nm at 2 nm/px', () => {
    const g = grating(256, 200, 16, 6, 90);
    const r = measureLines(g, 256, 200, 2);
    expect(r.reason).toBeNull();
    const l = r.lines!;
    expect(l.unit).toBe('nm');
    expect(l.pitch).toBeCloseTo(32, 0);
    expect(Math.abs(l.cd - 12)).toBeLessThan(0.6);
    expect(Math.abs(l.space - 20)).toBeLessThan(0.6);
    expect(Math.abs(l.orientationDeg - 90)).toBeLessThan(1);
    expect(l.ler3sigma!).toBeLessThan(0.5);
  });

  it('tilted lines (30°), uncalibrated: pitch and CD in px', () => {
    const g = grating(240, 240, 20, 9, 30);
    const r = measureLines(g, 240, 240, null);
    const l = r.lines!;
    expect(l.unit).toBe('px');
    expect(Math.abs(l.pitch - 20)).toBeLessThan(0.3);
    expect(Math.abs(l.cd - 9)).toBeLessThan(0.6);
    expect(Math.abs(l.orientationDeg - 30)).toBeLessThan(1.5);
  });

  it('edge jitter of σ = 1 px reads as LER 3σ ≈ 3 px; a smooth grating reads far less', () => {
    const rough = measureLines(grating(256, 256, 24, 10, 0, 1, 3), 256, 256, null).lines!;
    const smooth = measureLines(grating(256, 256, 24, 10, 0, 0), 256, 256, null).lines!;
    expect(rough.ler3sigma!).toBeGreaterThan(2);
    expect(rough.ler3sigma!).toBeLessThan(4);
    expect(smooth.ler3sigma!).toBeLessThan(0.5);
    expect(Math.abs(rough.pitch - 24)).toBeLessThan(0.5);
  });

  it('no periodic pattern: null with the reason', () => {
    const flat = new Uint8Array(128 * 128).fill(120);
    expect(measureLines(flat, 128, 128, null)).toMatchObject({ lines: null, reason: expect.stringMatching(/flat|contrast/) });
    const rand = rng(9);
    const noise = Uint8Array.from({ length: 128 * 128 }, () => Math.floor(rand() * 256));
    expect(measureLines(noise, 128, 128, null)).toMatchObject({ lines: null, reason: expect.stringMatching(/direction|periodic/) });
  });
});
