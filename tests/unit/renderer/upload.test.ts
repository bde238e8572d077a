import { describe, expect, it } from 'vitest';
import { asImportReport, mergeReports, progressFraction } from '../../../renderer/src/lib/jobs.js';
import { isImportableName, isJunkName, planChunks, UPLOAD_MAX_BYTES, UPLOAD_MAX_FILES } from '../../../renderer/src/lib/upload.js';
import { clampPan, fitView, zoomAt } from '../../../renderer/src/lib/viewport.js';

const MB = 1024 * 1024;

describe('planChunks', () => {
  it('splits by count (≤ 50) and by bytes (≤ 200 MB), keeping order', () => {
    expect(UPLOAD_MAX_FILES).toBe(50);
    expect(UPLOAD_MAX_BYTES).toBe(200 * MB);
    const chunks = planChunks(Array(120).fill(MB));
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 20]);
    expect(chunks.flat()).toEqual([...Array(120).keys()]);
    expect(planChunks([150 * MB, 60 * MB, 10 * MB]).map((c) => c.length)).toEqual([1, 2]);
  });
  it('sends a file larger than the limit alone', () => {
    expect(planChunks([MB, 300 * MB, MB])).toEqual([[0], [1], [2]]);
    expect(planChunks([])).toEqual([]);
  });
  it('knows image names and OS droppings', () => {
    expect(isImportableName('a.TIF')).toBe(true);
    expect(isImportableName('a.tiff')).toBe(true);
    expect(isImportableName('b.jpeg')).toBe(true);
    expect(isImportableName('c.png')).toBe(true);
    expect(isImportableName('notes.txt')).toBe(false);
    expect(isJunkName('.DS_Store')).toBe(true);
    expect(isJunkName('dir/Thumbs.db')).toBe(true);
    expect(isJunkName('._x.tif')).toBe(true);
    expect(isJunkName('x.tif')).toBe(false);
  });
});

describe('job results', () => {
  it('reads an import report defensively and merges several', () => {
    expect(asImportReport(null)).toBeNull();
    expect(asImportReport({ imported: 'x' })).toBeNull();
    const a = asImportReport({ imported: 3, duplicates: 1, failed: [{ path: '/a.tif', error: 'truncated' }] })!;
    expect(a.notes).toEqual([]);
    expect(a.skipped).toEqual([]); // a report stored before `skipped` existed
    const b = asImportReport({
      imported: 2,
      duplicates: 0,
      failed: [],
      notes: [{ path: 'm.tif', note: '2 pages' }],
      cancelled: true,
      skipped: [{ path: '/d/.x.png', reason: 'hidden file' }, null],
    })!;
    const m = mergeReports([a, b]);
    expect(m).toEqual({
      imported: 5,
      duplicates: 1,
      failed: [{ path: '/a.tif', error: 'truncated' }],
      notes: [{ path: 'm.tif', note: '2 pages' }],
      cancelled: true,
      skipped: [{ path: '/d/.x.png', reason: 'hidden file' }],
    });
  });
  it('progress fraction is null when the total is unknown', () => {
    expect(progressFraction({ done: 5, total: null, message: '' })).toBeNull();
    expect(progressFraction({ done: 5, total: 10, message: '' })).toBe(0.5);
    expect(progressFraction({ done: 12, total: 10, message: '' })).toBe(1);
  });
});

describe('viewport', () => {
  it('fits and centres', () => {
    expect(fitView({ width: 2048, height: 1536 }, { width: 1024, height: 1024 })).toEqual({ scale: 0.5, x: 0, y: 128 });
  });
  it('zooms about the cursor', () => {
    const v = zoomAt({ scale: 1, x: 0, y: 0 }, 2, 100, 50);
    expect(v).toEqual({ scale: 2, x: -100, y: -50 });
    // The image point under the cursor stays put: (100 - x) / scale is unchanged.
    expect((100 - v.x) / v.scale).toBe(100);
  });
  it('cannot pan the image out of reach', () => {
    const v = clampPan({ scale: 1, x: -5000, y: 5000 }, { width: 1000, height: 800 }, { width: 800, height: 600 });
    expect(v.x).toBe(48 - 1000);
    expect(v.y).toBe(600 - 48);
  });
});
