import { describe, expect, it } from 'vitest';
import {
  deleteParticle,
  discPixels,
  drawParticle,
  EditHistory,
  joinPatches,
  labelsFromBytes,
  labelsToBytes,
  mergeParticles,
  particleCount,
  polygonPixels,
  segmentPixels,
  setPixels,
  splitParticles,
  type LabelMask,
} from '../../../renderer/src/viewer/mask/maskOps.js';

const blank = (width: number, height: number, specimenRows = height): LabelMask => ({ width, height, specimenRows, data: new Uint16Array(width * height) });
const pixelsOf = (m: LabelMask, label: number) => [...m.data.keys()].filter((i) => m.data[i] === label);

describe('polygon rasterization', () => {
  it('fills an axis-aligned rectangle by pixel centres', () => {
    // Corners (2,1)-(6,4): pixels x 2..5, y 1..3 (12 pixels).
    const px = polygonPixels(
      [
        [2, 1],
        [6, 1],
        [6, 4],
        [2, 4],
      ],
      10,
      10,
    );
    expect(px.length).toBe(12);
    expect([...px]).toEqual([12, 13, 14, 15, 22, 23, 24, 25, 32, 33, 34, 35]);
  });

  it('approaches the area of a circle and does not depend on the winding direction', () => {
    const n = 64;
    const circle = Array.from({ length: n }, (_, k) => [50 + 30 * Math.cos((2 * Math.PI * k) / n), 50 + 30 * Math.sin((2 * Math.PI * k) / n)] as const);
    const a = polygonPixels(circle, 100, 100);
    const b = polygonPixels([...circle].reverse(), 100, 100);
    expect([...a]).toEqual([...b]);
    expect(Math.abs(a.length - Math.PI * 900) / (Math.PI * 900)).toBeLessThan(0.02);
  });

  it('leaves the hole of a self-crossing (bow-tie) outline to the even-odd rule and clips to the image', () => {
    const bow = polygonPixels(
      [
        [0, 0],
        [10, 10],
        [10, 0],
        [0, 10],
      ],
      10,
      10,
    );
    // Two triangles meeting at the centre (area 50); rows hold 2, 4, .. 10, 10, .. 2 pixels whose centres are
    // inside or on an edge: 60.
    expect(bow.length).toBe(60);
    expect(bow.includes(4 * 10 + 4) && bow.includes(4 * 10 + 5)).toBe(true);
    expect(bow.includes(0 * 10 + 5)).toBe(false);
    const clipped = polygonPixels(
      [
        [-5, -5],
        [20, -5],
        [20, 20],
        [-5, 20],
      ],
      10,
      10,
    );
    expect(clipped.length).toBe(100);
  });

  it('never writes the data-bar rows', () => {
    const m = blank(10, 10, 6);
    const p = drawParticle(m, [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ])!;
    expect(p.idx.length).toBe(60);
    expect(pixelsOf(m, 0).every((i) => i >= 60)).toBe(true);
    expect(discPixels(5, 9, 3, 10, 6).every((i) => i < 60)).toBe(true);
  });
});

describe('edit operations', () => {
  it('draws a new particle with an unused label, deletes it by a click, merges two', () => {
    const m = blank(20, 20);
    drawParticle(m, [
      [1, 1],
      [6, 1],
      [6, 6],
      [1, 6],
    ]);
    drawParticle(m, [
      [10, 10],
      [15, 10],
      [15, 15],
      [10, 15],
    ]);
    expect(particleCount(m)).toBe(2);
    expect(new Set(m.data)).toEqual(new Set([0, 1, 2]));
    expect(deleteParticle(m, 0.5, 0.5)).toBeNull(); // background
    const merged = mergeParticles(m, [3, 3], [12, 12])!;
    expect(merged.idx.length).toBe(25);
    expect(particleCount(m)).toBe(1);
    const del = deleteParticle(m, 12.2, 12.7)!;
    expect(del.idx.length).toBe(50);
    expect(particleCount(m)).toBe(0);
  });

  it('splits touching particles along a cut line into 4-connected pieces, undoably', () => {
    const m = blank(30, 20);
    // Two discs drawn as one particle (the classical default's usual merge).
    drawParticle(
      m,
      Array.from({ length: 32 }, (_, k) => [10 + 6 * Math.cos((k * Math.PI) / 16), 10 + 6 * Math.sin((k * Math.PI) / 16)] as const),
    );
    const before = m.data.slice();
    setPixels(m, discPixels(19, 10, 6, 30, 20), 1, (cur) => cur === 0);
    const merged = m.data.slice();
    expect(particleCount(m)).toBe(1);
    // A slanted cut between them: a 4-connected line, so no piece leaks through a diagonal.
    const p = splitParticles(m, [14.2, 1], [15.7, 19])!;
    expect(particleCount(m)).toBe(2);
    const left = m.data[10 * 30 + 8];
    const right = m.data[10 * 30 + 21];
    expect(left).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(0);
    expect(left).not.toBe(right);
    const line = segmentPixels([14.2, 1], [15.7, 19], 30, 20);
    for (let k = 1; k < line.length; k++) {
      const [x0, y0, x1, y1] = [line[k - 1] % 30, Math.floor(line[k - 1] / 30), line[k] % 30, Math.floor(line[k] / 30)];
      expect(Math.abs(x1 - x0) + Math.abs(y1 - y0)).toBe(1);
    }
    expect(splitParticles(m, [0, 0], [0, 19])).toBeNull(); // crosses no particle
    const h = new EditHistory();
    h.push(p);
    h.undo(m);
    expect(m.data).toEqual(merged);
    expect(before).not.toEqual(merged);
  });

  it('joins brush dabs into one step that restores the first state', () => {
    const m = blank(20, 20);
    const before = m.data.slice();
    const a = setPixels(m, discPixels(5, 5, 3, 20, 20), 7);
    const b = setPixels(m, discPixels(7, 5, 3, 20, 20), 7);
    const c = setPixels(m, discPixels(6, 5, 2, 20, 20), 0, (cur) => cur === 7);
    const j = joinPatches([a, b, c])!;
    const h = new EditHistory();
    h.push(j);
    h.undo(m);
    expect(m.data).toEqual(before);
  });

  it('round-trips labels through the API bytes', () => {
    const l = Uint16Array.from([0, 1, 255, 256, 65535]);
    expect(labelsFromBytes(labelsToBytes(l), 5)).toEqual(l);
    expect(() => labelsFromBytes(new Uint8Array(3), 2)).toThrow();
  });
});

describe('undo history', () => {
  it('undoes and redoes, and knows when the mask differs from the saved one', () => {
    const m = blank(20, 20);
    const h = new EditHistory();
    expect(h.dirty).toBe(false);
    const p1 = drawParticle(m, [
      [1, 1],
      [6, 1],
      [6, 6],
      [1, 6],
    ])!;
    h.push(p1);
    const s1 = m.data.slice();
    h.push(
      drawParticle(m, [
        [10, 10],
        [15, 10],
        [15, 15],
        [10, 15],
      ])!,
    );
    expect(h.dirty).toBe(true);
    h.markSaved();
    expect(h.dirty).toBe(false);
    expect(h.undo(m)).toBe(true);
    expect(m.data).toEqual(s1);
    expect(h.dirty).toBe(true);
    expect(h.redo(m)).toBe(true);
    expect(h.dirty).toBe(false);
    // Undo, then a new edit: the saved state is gone from the redo branch, so the mask stays unsaved.
    h.undo(m);
    h.push(
      drawParticle(m, [
        [10, 1],
        [15, 1],
        [15, 6],
        [10, 6],
      ])!,
    );
    expect(h.canRedo).toBe(false);
    h.undo(m);
    expect(h.dirty).toBe(true);
    h.undo(m);
    expect(h.undo(m)).toBe(false);
    expect(particleCount(m)).toBe(0);
  });

  it('forgets the oldest steps beyond its limit', () => {
    const m = blank(10, 10);
    const h = new EditHistory(2);
    for (let k = 0; k < 3; k++) h.push(setPixels(m, Uint32Array.of(k), k + 1));
    expect(h.undo(m) && h.undo(m)).toBe(true);
    expect(h.undo(m)).toBe(false);
    expect(m.data[0]).toBe(1);
    expect(h.dirty).toBe(true);
  });
});
