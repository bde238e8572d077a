import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../renderer/src/lib/blockCache.js';

const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('BlockCache', () => {
  it('asks only for the blocks of the visible range, once', () => {
    const c = new BlockCache<number>(200);
    expect(c.missing(0, 0)).toEqual([0]);
    const g = c.request(0);
    expect(c.missing(0, 50)).toEqual([]); // in flight
    c.put(0, g, items(0, 200), 100_000);
    expect(c.total).toBe(100_000);
    expect(c.get(150)).toBe(150);
    expect(c.missing(150, 450)).toEqual([1, 2]);
    expect(c.missing(99_900, 100_500)).toEqual([499]); // nothing beyond the total
  });

  it('keeps stale items visible after invalidate and refetches them', () => {
    const c = new BlockCache<number>(10);
    c.put(0, c.request(0), items(0, 10), 10);
    c.invalidate();
    expect(c.get(3)).toBe(3);
    expect(c.missing(0, 9)).toEqual([0]);
    const g = c.request(0);
    c.put(0, g, items(100, 10), 12);
    expect(c.get(3)).toBe(103);
    expect(c.total).toBe(12);
  });

  it('never lets an old answer overwrite a newer one', () => {
    const c = new BlockCache<number>(10);
    const old = c.request(0);
    c.invalidate();
    const fresh = c.request(0);
    c.put(0, fresh, items(100, 10), 20);
    expect(c.put(0, old, items(0, 10), 10)).toBe(false);
    expect(c.get(0)).toBe(100);
    expect(c.total).toBe(20);
  });

  it('backs off after a failure', () => {
    const c = new BlockCache<number>(10, 100, 2000);
    c.fail(0, c.request(0), 1000);
    expect(c.missing(0, 5, 1500)).toEqual([]);
    expect(c.missing(0, 5, 3100)).toEqual([0]);
  });

  it('bounds memory by evicting the blocks farthest away', () => {
    const c = new BlockCache<number>(10, 5);
    for (let b = 0; b < 20; b++) c.put(b, c.request(b), items(b * 10, 10), 1000);
    expect(c.blockCount).toBe(5);
    expect(c.get(195)).toBe(195);
    expect(c.get(5)).toBeUndefined();
  });
});
