// The small parts the pipeline trusts: JSON extraction, answer validation (semantic size checks), secret scrubbing,
// Retry-After parsing, prices, backoff bounds, template placeholders, taxonomy sets.
import { describe, expect, it } from 'vitest';
import { answerJsonSchema, extractJson, parseAnswer, qaPlan, salvageAnswer } from '../../../main/core/teacher/answer.js';
import { parseRetryAfter } from '../../../main/core/teacher/client.js';
import { redactSecrets } from '../../../main/core/teacher/keys.js';
import { costUsd, DEFAULT_PRICES, priceFor } from '../../../main/core/teacher/pricing.js';
import { BUILTIN_TAXONOMIES } from '../../../main/core/teacher/taxonomy.js';
import { checkTemplateText } from '../../../main/core/teacher/templates.js';
import { backoffMs } from '../../../main/core/teacher/util.js';

const classes = BUILTIN_TAXONOMIES.find((s) => s.id === 'semi-defects')!.classes;

function answer(size: { answer: string; value_nm: number | null }, cls = 'bridges') {
  return JSON.stringify({
    class: { name: cls, confidence: 0.8, rationale: 'thin links between lines' },
    caption: 'Lines with a bridge.',
    qa: qaPlan(5).map((kind) => (kind === 'size' ? { kind, question: 'How wide?', ...size } : { kind, question: 'q?', answer: 'a.', value_nm: null })),
  });
}

describe('teacher parts', () => {
  it('built-in taxonomies: the 10 NFFA categories and the 8 semiconductor defect classes, all defined', () => {
    expect(BUILTIN_TAXONOMIES.map((s) => s.classes.length)).toEqual([10, 8]);
    for (const s of BUILTIN_TAXONOMIES) for (const c of s.classes) expect(c.description.length).toBeGreaterThan(20);
    expect(classes.map((c) => c.name)).toEqual(['bridges', 'clean', 'cracks', 'malformed_vias', 'open', 'other', 'scratches', 'short']);
  });

  it('extracts JSON from prose, fences and trailing text; null when there is none', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('Sure:\n```json\n{"a":"}"}\n```\nbye')).toEqual({ a: '}' });
    expect(extractJson('prefix {"a":{"b":[1,2]}} suffix {"c":2}')).toEqual({ a: { b: [1, 2] } });
    expect(extractJson('{class: particles')).toBeNull();
    expect(extractJson('[1,2]')).toBeNull();
  });

  it('accepts a calibrated size answer with a length, and a near-miss class spelling', () => {
    const ctx = { classes, qaCount: 5, calibrated: true };
    const ok = parseAnswer(answer({ answer: 'About 45 nm wide.', value_nm: 45 }, 'Malformed vias'), ctx);
    expect(ok).toMatchObject({ ok: true, answer: { className: 'malformed_vias' } });
    expect(parseAnswer(answer({ answer: 'About 0.2 µm.', value_nm: null }), ctx).ok).toBe(true);
  });

  it('rejects a size answer that ignores the calibration, or invents one when there is none', () => {
    const cal = parseAnswer(answer({ answer: 'Quite large.', value_nm: null }), { classes, qaCount: 5, calibrated: true });
    expect(cal).toMatchObject({ ok: false, reason: expect.stringMatching(/ignores the calibration/) });
    const none = { classes, qaCount: 5, calibrated: false };
    expect(parseAnswer(answer({ answer: 'About 40 nm.', value_nm: 40 }), none)).toMatchObject({ ok: false, reason: expect.stringMatching(/no calibration/) });
    expect(parseAnswer(answer({ answer: 'Unknown: the image has no calibration (about 30 px).', value_nm: null }), none).ok).toBe(true);
  });

  it('salvages a partly valid answer: one bad Q&A item is left out and reported, the class and caption are kept', () => {
    const ctx = { classes, qaCount: 5, calibrated: true };
    const text = answer({ answer: 'Quite large.', value_nm: null });
    expect(parseAnswer(text, ctx).ok).toBe(false);
    const s = salvageAnswer(text, ctx);
    expect(s).toMatchObject({ ok: true, answer: { className: 'bridges', caption: 'Lines with a bridge.' } });
    if (!s.ok) return;
    expect(s.answer.qa.map((q) => q.kind)).toEqual(['identification', 'morphology', 'defects', 'process']);
    expect(s.invalid).toEqual([
      expect.objectContaining({ index: 2, kind: 'size', question: 'How wide?', reason: expect.stringMatching(/ignores the calibration/) }),
    ]);
    // An item of the wrong shape is reported too; a bad class still fails the whole answer.
    const bad = JSON.parse(text);
    bad.qa[0] = { kind: 'identification', question: '', answer: 'x', value_nm: null };
    expect((salvageAnswer(JSON.stringify(bad), ctx) as { invalid: unknown[] }).invalid).toHaveLength(2);
    expect(salvageAnswer(answer({ answer: 'About 45 nm.', value_nm: 45 }, 'particles'), ctx)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not in the taxonomy/),
    });
  });

  it('rejects classes outside the taxonomy, wrong pair counts and out-of-range confidence', () => {
    const ctx = { classes, qaCount: 5, calibrated: false };
    expect(parseAnswer(answer({ answer: 'unknown', value_nm: null }, 'particles'), ctx)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not in the taxonomy/),
    });
    expect(parseAnswer(answer({ answer: 'unknown', value_nm: null }), { ...ctx, qaCount: 6 }).ok).toBe(false);
    const bad = JSON.parse(answer({ answer: 'unknown', value_nm: null }));
    bad.class.confidence = 1.5;
    expect(parseAnswer(JSON.stringify(bad), ctx)).toMatchObject({ ok: false, reason: expect.stringMatching(/confidence above 1/) });
    expect(parseAnswer('', ctx)).toEqual({ ok: false, reason: 'empty answer' });
  });

  it('the strict JSON schema requires every property and uses null instead of optional', () => {
    const s = answerJsonSchema(classes, 3) as {
      required: string[];
      properties: { qa: { items: { required: string[]; properties: { value_nm: { type: string[] } } } } };
    };
    expect(s.required).toEqual(['class', 'caption', 'qa']);
    expect(s.properties.qa.items.required).toEqual(['kind', 'question', 'answer', 'value_nm']);
    expect(s.properties.qa.items.properties.value_nm.type).toEqual(['number', 'null']);
    const walk = (o: unknown): void => {
      if (o && typeof o === 'object') {
        const x = o as { type?: unknown; properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown };
        if (x.type === 'object') {
          expect(x.additionalProperties).toBe(false);
          expect([...(x.required ?? [])].sort()).toEqual(Object.keys(x.properties ?? {}).sort());
        }
        Object.values(o).forEach(walk);
      }
    };
    walk(s);
  });

  it('scrubs keys, truncated keys, bearer tokens and api-key headers', () => {
    const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    const text = `bad key ${key}; echo sk-proj-ABCD***2345; Authorization: Bearer abcdefghijklmnop; {"api-key":"zzzzzzzzzz"}; ${key.slice(0, 12)}…`;
    const out = redactSecrets(text, key);
    expect(out).not.toContain(key);
    expect(out).not.toContain(key.slice(0, 12));
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).not.toContain('zzzzzzzzzz');
  });

  it('parses Retry-After as seconds, HTTP date and retry-after-ms', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }))).toBe(150);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({}))).toBeNull();
  });

  it('prices by model name or its longest prefix; unknown models have none', () => {
    expect(priceFor(DEFAULT_PRICES, 'gpt-4o-2024-08-06')).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceFor(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor(DEFAULT_PRICES, 'llava:13b')).toBeNull();
    expect(costUsd({ inputPerMTok: 2.5, outputPerMTok: 10 }, 1_000_000, 100_000)).toBeCloseTo(3.5, 9);
  });

  it('backoff grows exponentially with full jitter and a cap', () => {
    expect(backoffMs(1, () => 0)).toBe(500);
    expect(backoffMs(3, () => 1)).toBe(2000);
    expect(backoffMs(20, () => 1)).toBe(30_000);
    expect(backoffMs(4, () => 0.5)).toBeGreaterThan(500);
  });

  it('templates refuse unknown placeholders', () => {
    expect(() => checkTemplateText('{{taxonomy}} {{calibration}}')).not.toThrow();
    expect(() => checkTemplateText('{{api_key}}')).toThrow(/unknown placeholder/);
  });
});
