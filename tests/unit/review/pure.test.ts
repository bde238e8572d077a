import { describe, expect, it } from 'vitest';
import { cohensKappa } from '../../../main/core/review/agreement.js';
import { csvField, folderName } from '../../../main/core/review/export.js';
import { activePriority, diversify, seriesKey } from '../../../main/core/review/queues.js';
import { studentFromRows, studentUncertainty } from '../../../main/core/review/state.js';
import { dHash, hamming } from '../../../main/core/review/signature.js';

describe('review helpers', () => {
  it("Cohen's kappa matches the textbook example and its edge cases", () => {
    // 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> po 0.7, pe 0.5, kappa 0.4.
    const a = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const b = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    const k = cohensKappa(a, b);
    expect(k.observed).toBeCloseTo(0.7, 10);
    expect(k.kappa).toBeCloseTo(0.4, 10);
    expect(cohensKappa(['x', 'y'], ['x', 'y']).kappa).toBe(1);
    expect(cohensKappa(['x', 'x'], ['x', 'x']).kappa).toBe(1);
    expect(cohensKappa([], []).kappa).toBeNull();
    expect(cohensKappa(['x', 'y'], ['y', 'x']).kappa).toBeCloseTo(-1, 10);
  });

  it('student margin, entropy and uncertainty from stored class probabilities', () => {
    const s = studentFromRows([
      { class_name: 'a', confidence: 0.5, source_ref: 'v1' },
      { class_name: 'b', confidence: 0.4, source_ref: 'v1' },
    ])!;
    expect(s.className).toBe('a');
    expect(s.margin).toBeCloseTo(0.1, 10);
    expect(s.entropy).toBeGreaterThan(0.8);
    expect(studentUncertainty(s)).toBeCloseTo(0.9, 10);
    const top1 = studentFromRows([{ class_name: 'a', confidence: 0.8, source_ref: 'v1' }])!;
    expect(top1.margin).toBeNull();
    expect(studentUncertainty(top1)).toBeCloseTo(0.2, 10);
    expect(studentFromRows([])).toBeNull();
  });

  it('active priority: disagreement first, then student uncertainty; teacher confidence without a student', () => {
    const sure = { className: 'a', confidence: 0.95, sourceRef: 'v1', margin: null, entropy: null };
    const unsure = { ...sure, confidence: 0.4 };
    const disagree = activePriority({ teacherClass: 'b', teacherConfidence: 0.9, student: sure });
    const uncertain = activePriority({ teacherClass: 'a', teacherConfidence: 0.9, student: unsure });
    const calm = activePriority({ teacherClass: 'a', teacherConfidence: 0.9, student: sure });
    expect(disagree.priority).toBeGreaterThan(uncertain.priority);
    expect(uncertain.priority).toBeGreaterThan(calm.priority);
    expect(disagree.reason).toMatch(/teacher says b, student says a/);
    const noStudent = activePriority({ teacherClass: 'a', teacherConfidence: 0.3, student: null });
    expect(noStudent.priority).toBeCloseTo(0.35, 10);
    expect(noStudent.reason).toMatch(/no student/);
    expect(activePriority(undefined)).toEqual({ priority: 0, reason: 'no prediction yet' });
  });

  it('diversity interleaves classes and series without losing or repeating images', () => {
    const items = [
      ...Array.from({ length: 6 }, (_, i) => ({ id: i, cls: 'a', series: i < 4 ? 's1' : 's2' })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: 10 + i, cls: 'b', series: 's3' })),
    ];
    const out = diversify(items, 100);
    expect(out.map((x) => x.id).sort((p, q) => p - q)).toEqual(items.map((x) => x.id).sort((p, q) => p - q));
    expect(out.slice(0, 6).map((x) => x.cls)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    // Within class a, series alternate while both have images left.
    const aSeries = out.filter((x) => x.cls === 'a').map((x) => x.series);
    expect(aSeries.slice(0, 4)).toEqual(['s1', 's2', 's1', 's2']);
    expect(diversify(items, 3)).toHaveLength(3);
    expect(seriesKey({ mag: 5000, px: 12.5, name: 'wafer_0012.tif' })).toBe(seriesKey({ mag: 5000, px: 12.5, name: 'wafer_0013.tif' }));
    expect(seriesKey({ mag: 5000, px: 12.5, name: 'wafer_0012.tif' })).not.toBe(seriesKey({ mag: 10000, px: 6.25, name: 'wafer_0012.tif' }));
  });

  it('dHash and Hamming distance; diversity keeps near-identical thumbnails apart within a class', () => {
    const ramp = Uint8Array.from({ length: 72 }, (_, i) => 255 - (i % 9) * 20); // falls left to right: all bits set
    expect(dHash(ramp)).toBe((1n << 64n) - 1n);
    expect(dHash(new Uint8Array(72))).toBe(0n);
    expect(hamming(0b1011n, 0b0001n)).toBe(2);
    expect(hamming((1n << 64n) - 1n, 0n)).toBe(64);
    const a = 0n;
    const near = 0b111n; // 3 bits from a
    const far = (1n << 40n) - 1n;
    const items = [
      { id: 1, cls: 'x', series: 's1', sig: a },
      { id: 2, cls: 'x', series: 's2', sig: near },
      { id: 3, cls: 'x', series: 's3', sig: near },
      { id: 4, cls: 'x', series: 's4', sig: far },
    ];
    // Without signatures every series differs, so the order stays; with them the far image comes second.
    expect(
      diversify(
        items.map((i) => ({ ...i, sig: null })),
        4,
      ).map((i) => i.id),
    ).toEqual([1, 2, 3, 4]);
    expect(diversify(items, 4).map((i) => i.id)).toEqual([1, 4, 2, 3]);
  });

  it('CSV fields and class folder names are safe', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(null)).toBe('');
    expect(folderName('../etc/passwd')).not.toMatch(/[/\\]|^\./);
    expect(folderName('malformed vias')).toBe('malformed vias');
  });
});
