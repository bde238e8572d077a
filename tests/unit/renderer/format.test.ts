import { describe, expect, it } from 'vitest';
import {
  baseName,
  formatBytes,
  formatCount,
  formatKv,
  formatMagnification,
  formatMm,
  formatLength,
  formatPixelSize,
  shortHash,
} from '../../../renderer/src/lib/format.js';

describe('formatMagnification', () => {
  it('writes SEM magnifications the way the instruments do', () => {
    expect(formatMagnification(50_000)).toBe('50 kX');
    expect(formatMagnification(105)).toBe('105 X');
    expect(formatMagnification(1500)).toBe('1.5 kX');
    expect(formatMagnification(12_345)).toBe('12.3 kX');
    expect(formatMagnification(250_000)).toBe('250 kX');
    expect(formatMagnification(999_700)).toBe('1 MX');
    expect(formatMagnification(2_500_000)).toBe('2.5 MX');
    expect(formatMagnification(999.6)).toBe('1 kX');
    expect(formatMagnification(25.04)).toBe('25 X');
  });
  it('is empty when unknown', () => {
    expect(formatMagnification(null)).toBe('');
    expect(formatMagnification(undefined)).toBe('');
    expect(formatMagnification(0)).toBe('');
    expect(formatMagnification(Number.NaN)).toBe('');
  });
});

describe('metadata formatting', () => {
  it('pixel size with 4 significant digits', () => {
    expect(formatPixelSize(7.344)).toBe('7.344 nm/px');
    expect(formatPixelSize(7.34375)).toBe('7.344 nm/px');
    expect(formatPixelSize(0.5)).toBe('0.5 nm/px');
    expect(formatPixelSize(1234.56)).toBe('1.235 \u00b5m/px');
    expect(formatPixelSize(2615)).toBe('2.615 \u00b5m/px');
    expect(formatPixelSize(3372.4)).toBe('3.372 \u00b5m/px');
    expect(formatPixelSize(null)).toBe('');
  });
  it('voltage, working distance, bytes, counts', () => {
    expect(formatKv(20)).toBe('20 kV');
    expect(formatKv(0.5)).toBe('0.5 kV');
    expect(formatMm(2.8)).toBe('2.8 mm');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
    expect(formatCount(100_000)).toBe('100,000');
  });
  it('shortens hashes and paths', () => {
    const h = 'a'.repeat(60) + 'beef';
    expect(shortHash(h)).toBe(`${'a'.repeat(10)}\u2026beef`);
    expect(shortHash('abc')).toBe('abc');
    expect(baseName('/data/sem/x.tif')).toBe('x.tif');
    expect(baseName('C:\\data\\sem\\y.tif')).toBe('y.tif');
  });
});

describe('formatLength (unit by magnitude)', () => {
  it('keeps the number between 1 and 1000 in pm, nm, µm or mm', () => {
    expect(formatLength(7.344)).toBe('7.344 nm');
    expect(formatLength(2615)).toBe('2.615 \u00b5m');
    expect(formatLength(999.96)).toBe('1 \u00b5m');
    expect(formatLength(2.5e6)).toBe('2.5 mm');
    expect(formatLength(0.87)).toBe('0.87 nm');
    expect(formatLength(0.05)).toBe('50 pm');
    expect(formatLength(-1500)).toBe('-1.5 \u00b5m');
    expect(formatLength(0)).toBe('0 nm');
    expect(formatLength(null)).toBe('');
  });
});
