import { describe, expect, it } from 'vitest';
import { gridLayout, moveSelection } from '../../../renderer/src/lib/grid.js';

describe('gridLayout', () => {
  it('fits as many tiles of the minimum width as the width allows', () => {
    expect(gridLayout(1000, 176, 10, 46).columns).toBe(5);
    expect(gridLayout(175, 176, 10, 46).columns).toBe(1);
    expect(gridLayout(0, 176, 10, 46).columns).toBe(1);
    const l = gridLayout(1000, 176, 10, 46);
    expect(l.tileWidth * l.columns + 10 * (l.columns - 1)).toBeLessThanOrEqual(1000);
    expect(l.rowHeight).toBe(l.tileWidth + 46 + 10);
  });
});

describe('moveSelection', () => {
  // 5 columns, 23 items: the last row holds 20, 21, 22.
  const m = (i: number, key: Parameters<typeof moveSelection>[1], pageRows = 2) => moveSelection(i, key, 5, 23, pageRows);

  it('moves by one and by a row, stopping at the edges', () => {
    expect(m(0, 'ArrowLeft')).toBe(0);
    expect(m(0, 'ArrowRight')).toBe(1);
    expect(m(4, 'ArrowRight')).toBe(5);
    expect(m(22, 'ArrowRight')).toBe(22);
    expect(m(7, 'ArrowUp')).toBe(2);
    expect(m(2, 'ArrowUp')).toBe(2);
    expect(m(7, 'ArrowDown')).toBe(12);
    expect(m(21, 'ArrowDown')).toBe(21);
  });
  it('goes from above a short last row onto its last tile', () => {
    expect(m(19, 'ArrowDown')).toBe(22);
    expect(m(17, 'ArrowDown')).toBe(22);
    expect(m(16, 'ArrowDown')).toBe(21);
  });
  it('Home, End, PageUp and PageDown', () => {
    expect(m(13, 'Home')).toBe(0);
    expect(m(3, 'End')).toBe(22);
    expect(m(1, 'PageDown')).toBe(11);
    expect(m(11, 'PageDown')).toBe(21);
    expect(m(14, 'PageDown')).toBe(22);
    expect(m(21, 'PageDown')).toBe(21);
    expect(m(21, 'PageUp')).toBe(11);
    expect(m(8, 'PageUp')).toBe(3);
  });
  it('has no selection in an empty grid and starts at the top without one', () => {
    expect(moveSelection(0, 'ArrowDown', 5, 0, 2)).toBe(-1);
    expect(moveSelection(-1, 'ArrowDown', 5, 23, 2)).toBe(0);
    expect(moveSelection(-1, 'End', 5, 23, 2)).toBe(22);
  });
});
