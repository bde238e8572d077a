// The structured answer the teacher must give for one image, checked on the client whatever the server claims
// to support: JSON extraction from free text, a zod schema built from the taxonomy, and semantic checks
// (a size answer must use the calibration, or say the size is unknown when there is none).
import { z } from 'zod';
import type { TaxonomyClass, TeacherAnswer, TeacherQaKind } from './types.js';

export const QA_KINDS: readonly TeacherQaKind[] = ['identification', 'morphology', 'size', 'defects', 'process'];

const QA_GUIDANCE: Record<TeacherQaKind, string> = {
  identification: 'identification — what material, structure or device is shown',
  morphology: 'morphology — shape, texture, arrangement, uniformity of the features',
  size: 'size — a characteristic feature size or spacing, in physical units from the calibration (or "unknown" without one)',
  defects: 'defects — visible defects or irregularities, or that none are visible',
  process: 'process — what fabrication or preparation step the image suggests, or what to check next',
};

/** The kinds of the N pairs asked for, in order (cycling through the five kinds). */
export function qaPlan(n: number): TeacherQaKind[] {
  return Array.from({ length: n }, (_, i) => QA_KINDS[i % QA_KINDS.length]);
}

export function qaInstructions(n: number): string {
  return qaPlan(n)
    .map((k, i) => `  ${i + 1}. ${QA_GUIDANCE[k]} ("kind": "${k}")`)
    .join('\n');
}

export function taxonomyText(classes: TaxonomyClass[]): string {
  return classes.map((c) => `- ${c.name}: ${c.description || '(no definition)'}`).join('\n');
}

export interface Calibration {
  /** nm per pixel of the image as sent (after downscaling), or null when the image has no calibration. */
  sentPixelSizeNm: number | null;
  sourcePixelSizeNm: number | null;
  sentWidth: number;
  sentHeight: number;
}

function fmtNum(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

function fmtLength(nm: number): string {
  if (nm >= 1e6) return `${fmtNum(nm / 1e6)} mm`;
  if (nm >= 1e3) return `${fmtNum(nm / 1e3)} µm`;
  return `${fmtNum(nm)} nm`;
}

/** The calibration sentence the prompt carries (also what the test double reads). */
export function calibrationText(c: Calibration): string {
  if (c.sentPixelSizeNm === null) {
    return (
      `Calibration: none. This image has no calibrated pixel size, so physical sizes cannot be measured: ` +
      `size answers must say that the size is unknown (relative sizes in pixels are fine) and value_nm must be null. ` +
      `The attached image is ${c.sentWidth} x ${c.sentHeight} pixels.`
    );
  }
  const fovW = c.sentPixelSizeNm * c.sentWidth;
  const fovH = c.sentPixelSizeNm * c.sentHeight;
  const scaled =
    c.sourcePixelSizeNm !== null && Math.abs(c.sourcePixelSizeNm - c.sentPixelSizeNm) > 1e-9
      ? ` (the original was ${fmtNum(c.sourcePixelSizeNm)} nm per pixel and was downscaled)`
      : '';
  return (
    `Calibration: one pixel of the attached image is ${fmtNum(c.sentPixelSizeNm)} nm${scaled}. ` +
    `The image is ${c.sentWidth} x ${c.sentHeight} pixels, a field of view of ${fmtLength(fovW)} x ${fmtLength(fovH)}. ` +
    `Use this calibration for every size answer and give sizes in nm or µm.`
  );
}

/** The JSON shape, written out for servers without json_schema support. */
export function answerShapeText(classes: TaxonomyClass[], n: number): string {
  const names = classes.map((c) => c.name).join(' | ');
  return JSON.stringify(
    {
      class: { name: `<one of: ${names}>`, confidence: '<number 0..1>', rationale: '<one sentence>' },
      caption: '<one or two sentences>',
      qa: qaPlan(n).map((k) => ({ kind: k, question: '<question>', answer: '<answer>', value_nm: '<number or null>' })),
    },
    null,
    2,
  );
}

/** JSON schema for response_format json_schema (strict: every property required, nullable instead of optional). */
export function answerJsonSchema(classes: TaxonomyClass[], n: number): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['class', 'caption', 'qa'],
    properties: {
      class: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'confidence', 'rationale'],
        properties: {
          name: { type: 'string', enum: classes.map((c) => c.name) },
          confidence: { type: 'number' },
          rationale: { type: 'string' },
        },
      },
      caption: { type: 'string' },
      qa: {
        type: 'array',
        minItems: n,
        maxItems: n,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'question', 'answer', 'value_nm'],
          properties: {
            kind: { type: 'string', enum: [...QA_KINDS] },
            question: { type: 'string' },
            answer: { type: 'string' },
            value_nm: { type: ['number', 'null'] },
          },
        },
      },
    },
  };
}

/**
 * Finds the JSON object in a model's text: the whole text, a ```json fence, or the first balanced {...}.
 * Returns null when there is none that parses.
 */
export function extractJson(text: string): unknown {
  const attempts: string[] = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence) attempts.push(fence[1].trim());
  const start = text.indexOf('{');
  if (start >= 0) {
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        attempts.push(text.slice(start, i + 1));
        break;
      }
    }
  }
  for (const a of attempts) {
    try {
      const v = JSON.parse(a) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v;
    } catch {
      // next candidate
    }
  }
  return null;
}

const UNKNOWN_SIZE =
  /\b(unknown|not known|cannot be (determined|measured|estimated)|can't be (determined|measured)|no calibration|not calibrated|uncalibrated|without (a |any )?calibration|unavailable|not available)\b/i;
const PHYSICAL_LENGTH = /\d\s*(nm|µm|μm|um|mm|micro(n|met(er|re))s?|nanomet(er|re)s?|millimet(er|re)s?|Å|angstroms?)\b/i;

function normName(s: string): string {
  return s.toLowerCase().replace(/[\s_\-/.]+/g, '');
}

export interface AnswerContext {
  classes: TaxonomyClass[];
  qaCount: number;
  calibrated: boolean;
}

/** Builds the validator for one request's answer. */
export function answerSchema(ctx: AnswerContext) {
  const names = ctx.classes.map((c) => c.name);
  const byNorm = new Map(names.map((n) => [normName(n), n]));
  // Lenient on spelling the server cannot be forced to get exactly right without json_schema
  // ("Malformed vias" for malformed_vias), strict on meaning.
  const className = z
    .string()
    .transform((s) => byNorm.get(normName(s)) ?? s)
    .pipe(z.enum(names as [string, ...string[]], { error: (i) => `class ${JSON.stringify(i.input)} is not in the taxonomy` }));
  const text = (what: string) =>
    z
      .string({ error: `${what} must be text` })
      .trim()
      .min(1, `${what} is empty`);
  const qaItem = z.object({
    kind: z.enum(QA_KINDS as unknown as [TeacherQaKind, ...TeacherQaKind[]]),
    question: text('question'),
    answer: text('answer'),
    value_nm: z.number().positive().finite().nullable().optional().default(null),
  });
  const plan = qaPlan(ctx.qaCount);
  return z
    .object({
      class: z.object({
        name: className,
        confidence: z.coerce.number().min(0, 'confidence below 0').max(1, 'confidence above 1'),
        rationale: text('rationale'),
      }),
      caption: text('caption'),
      qa: z.array(qaItem).length(ctx.qaCount, `expected exactly ${ctx.qaCount} question–answer pairs`),
    })
    .superRefine((a, issue) => {
      const kinds = new Set(a.qa.map((q) => q.kind));
      for (const k of new Set(plan)) {
        if (!kinds.has(k)) issue.addIssue({ code: 'custom', path: ['qa'], message: `missing a "${k}" question–answer pair` });
      }
      a.qa.forEach((q, i) => {
        if (q.kind !== 'size') return;
        if (ctx.calibrated) {
          if (q.value_nm === null && !PHYSICAL_LENGTH.test(q.answer)) {
            issue.addIssue({ code: 'custom', path: ['qa', i], message: 'size answer ignores the calibration (no length in nm/µm and no value_nm)' });
          }
        } else {
          if (q.value_nm !== null) {
            issue.addIssue({ code: 'custom', path: ['qa', i, 'value_nm'], message: 'image has no calibration, but the size answer gives value_nm' });
          }
          if (PHYSICAL_LENGTH.test(q.answer) || !UNKNOWN_SIZE.test(q.answer)) {
            issue.addIssue({ code: 'custom', path: ['qa', i], message: 'image has no calibration, but the size answer does not say the size is unknown' });
          }
        }
      });
    });
}

export type ParseOutcome = { ok: true; answer: TeacherAnswer } | { ok: false; reason: string };

/** Extracts and validates one answer; the reason names what was wrong, in a line a reviewer can read. */
export function parseAnswer(content: string | null | undefined, ctx: AnswerContext): ParseOutcome {
  if (!content || !content.trim()) return { ok: false, reason: 'empty answer' };
  const json = extractJson(content);
  if (json === null) return { ok: false, reason: 'answer is not JSON' };
  const r = answerSchema(ctx).safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 4).map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    return { ok: false, reason: `answer does not match the schema: ${issues.join('; ')}` };
  }
  const a = r.data;
  return {
    ok: true,
    answer: {
      className: a.class.name,
      confidence: a.class.confidence,
      rationale: a.class.rationale,
      caption: a.caption,
      qa: a.qa.map((q) => ({ kind: q.kind, question: q.question, answer: q.answer, valueNm: q.value_nm ?? null })),
    },
  };
}

/** A Q&A item left out of a partly valid answer, with why (shown to the reviewer; the rest of the answer is kept). */
export interface InvalidQaItem {
  index: number;
  kind: string | null;
  question: string | null;
  answer: string | null;
  reason: string;
}

export type SalvageOutcome = { ok: true; answer: TeacherAnswer; invalid: InvalidQaItem[] } | { ok: false; reason: string };

/**
 * The valid parts of an answer that failed the full check: class, confidence, rationale and caption must be valid;
 * each Q&A item is checked on its own (shape and the calibration rule), invalid ones are left out and reported.
 * Used after the repair attempt, so that one bad item no longer costs the image its class proposal and caption.
 */
export function salvageAnswer(content: string | null | undefined, ctx: AnswerContext): SalvageOutcome {
  if (!content || !content.trim()) return { ok: false, reason: 'empty answer' };
  const json = extractJson(content) as { qa?: unknown } | null;
  if (json === null) return { ok: false, reason: 'answer is not JSON' };
  const items = Array.isArray(json.qa) ? json.qa : [];
  const full = answerSchema({ ...ctx, qaCount: 0 });
  const head = full.safeParse({ ...json, qa: [] });
  if (!head.success) {
    const issues = head.error.issues.slice(0, 4).map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    return { ok: false, reason: `answer does not match the schema: ${issues.join('; ')}` };
  }
  // One item at a time through the same checks (a one-item plan of the item's own kind).
  const one = answerSchema({ ...ctx, qaCount: 1 });
  const valid: TeacherAnswer['qa'] = [];
  const invalid: InvalidQaItem[] = [];
  items.forEach((raw: unknown, index: number) => {
    const item = (raw ?? {}) as { kind?: unknown; question?: unknown; answer?: unknown };
    const kind = typeof item.kind === 'string' ? item.kind : null;
    const r = one.safeParse({ ...json, qa: [raw] });
    const issues = r.success ? [] : r.error.issues.filter((i) => i.path[0] === 'qa' && !/missing a "/.test(i.message));
    if (r.success || (issues.length === 0 && kind !== null)) {
      const q = r.success ? r.data.qa[0] : (raw as { kind: TeacherQaKind; question: string; answer: string; value_nm?: number | null });
      valid.push({ kind: q.kind, question: q.question.trim(), answer: q.answer.trim(), valueNm: q.value_nm ?? null });
    } else {
      invalid.push({
        index,
        kind,
        question: typeof item.question === 'string' ? item.question : null,
        answer: typeof item.answer === 'string' ? item.answer : null,
        reason:
          (issues.length ? issues : r.success ? [] : r.error.issues)
            .slice(0, 2)
            .map((i) => i.message)
            .join('; ') || 'invalid item',
      });
    }
  });
  if (items.length !== ctx.qaCount)
    invalid.push({ index: -1, kind: null, question: null, answer: null, reason: `expected exactly ${ctx.qaCount} question–answer pairs, got ${items.length}` });
  const a = head.data;
  return {
    ok: true,
    invalid,
    answer: { className: a.class.name, confidence: a.class.confidence, rationale: a.class.rationale, caption: a.caption, qa: valid },
  };
}
