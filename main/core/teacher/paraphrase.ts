// Paraphrases of the chat's question wordings, asked of the teacher once per run (text only: no image, no file
// name, no image hash leaves the PC; only question wordings, intent names and the taxonomy's class names). The
// wordings are, per intent, the most frequent reviewed Q&A questions, then the teacher's proposed ones, then the
// built-in seeds (a class slot is sent as "{class}" and must come back). The answer is validated item by item
// (schema, length, letters, the slot kept, no duplicates, not another intent's wording), repaired once when it is
// unusable as a whole, and only its valid paraphrases are stored, cached by a hash of the request content so a
// later run with the same wordings does not ask (or pay) again. The intent model learns from them (chat/augment.ts)
// and each model version's intent file keeps them, so an offline PC fits the same model.
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { INTENTS, QA_KIND_INTENT, SEEDS, type Intent } from '../chat/seeds.js';
import { normalise } from '../chat/text.js';
import type { TaughtParaphrase } from '../chat/augment.js';
import { extractJson } from './answer.js';
import { TeacherCallError } from './client.js';
import { RunStopError, type SessionTotals, type TeacherSession } from './session.js';
import { audit } from './settings.js';
import type { TeacherParaphraseOutcome } from './types.js';
import { canonicalJson, sha256Hex } from './util.js';

/** Question wordings sent per intent. */
export const SOURCES_PER_INTENT = 8;
const SLOT = '{class}';
const MAX_CHARS = 200;

/** What each intent means, for the teacher (so a paraphrase keeps the meaning, not just the words). */
const INTENT_MEANING: Record<Intent, string> = {
  which: 'asks which class or defect type the image shows',
  yesno: 'asks whether a given class or defect is present (a yes/no question)',
  measure: 'asks for a size, width, spacing, distance or count measured in the image',
  calibration: 'asks about the pixel size, scale, field of view or image dimensions',
  describe: 'asks for a description or caption of what the image shows',
  process: 'asks about the process step, treatment or root cause behind what is seen',
  oos: 'cannot be answered from an electron micrograph (general knowledge, people, weather, prices, chit-chat, unrecorded instrument settings)',
};

export interface ParaphraseSource {
  readonly id: string;
  readonly intent: Intent;
  /** As sent: a class slot written "{class}". */
  readonly text: string;
}

/** The wordings to paraphrase: per intent the most frequent reviewed questions, then proposed ones, then seeds. */
export function paraphraseSources(db: Db, perIntent = SOURCES_PER_INTENT): ParaphraseSource[] {
  const rows = db
    .prepare(
      `SELECT question, qa_kind, max(status IN ('accepted', 'edited')) AS reviewed, count(*) AS n, min(id) AS first FROM annotations
        WHERE kind = 'qa' AND question IS NOT NULL AND length(trim(question)) > 0 AND qa_kind IS NOT NULL
          AND ((status IN ('accepted', 'edited') AND source IN ('teacher', 'human')) OR (status = 'proposed' AND source = 'teacher'))
        GROUP BY question, qa_kind ORDER BY reviewed DESC, n DESC, first`,
    )
    .all() as { question: string; qa_kind: string; reviewed: number; n: number; first: number }[];
  const byIntent = new Map<Intent, string[]>(INTENTS.map((i) => [i, []]));
  const seen = new Set<string>();
  const add = (intent: Intent, text: string) => {
    const list = byIntent.get(intent)!;
    const key = normalise(text.replace(SLOT, 'xclassx'));
    if (!key || list.length >= perIntent || seen.has(key)) return;
    seen.add(key);
    list.push(text.trim().replace(/\s+/g, ' ').slice(0, MAX_CHARS));
  };
  for (const r of rows) {
    const intent = QA_KIND_INTENT[r.qa_kind];
    if (intent) add(intent, r.question);
  }
  for (const intent of INTENTS) for (const s of SEEDS[intent]) add(intent, s.replace(/xclassx/g, SLOT));
  const out: ParaphraseSource[] = [];
  for (const intent of INTENTS) for (const text of byIntent.get(intent)!) out.push({ id: `q${out.length + 1}`, intent, text });
  return out;
}

export function paraphraseJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['paraphrases'],
    properties: {
      paraphrases: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'texts'],
          properties: { id: { type: 'string' }, texts: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  };
}

export interface ParaphraseRequest {
  readonly messages: ChatCompletionMessageParam[];
  readonly jsonSchema: { name: string; schema: Record<string, unknown> };
  readonly maxTokens: number;
  /** A hash of everything that decides the answer: endpoint, model, messages, schema. */
  readonly cacheKey: string;
}

export function paraphraseRequest(
  sources: readonly ParaphraseSource[],
  classes: readonly string[],
  count: number,
  endpoint: string,
  model: string,
): ParaphraseRequest {
  const intents = INTENTS.filter((i) => sources.some((s) => s.intent === i));
  const system =
    'You write paraphrases of questions that operators of an electron microscope ask about a micrograph, to train a ' +
    'question classifier. This is a text-only request: no image is attached and none is needed. Each paraphrase must ' +
    'mean exactly the same as its question (same intent, same quantity, same class), be worded the way a person would ' +
    'type it, and differ from the question and from the other paraphrases in words or word order, not only in ' +
    'punctuation. Keep the placeholder {class} exactly where a question has it (it stands for any class name); never ' +
    'add a placeholder, a number or a class name that the question does not have. Reply with JSON only.';
  const user = [
    `Write ${count} paraphrases for each question below.`,
    `Intents: ${intents.map((i) => `${i}: ${INTENT_MEANING[i]}`).join('; ')}.`,
    classes.length ? `Class names of the taxonomy (for context only): ${classes.join(', ')}.` : '',
    'Questions (JSON):',
    JSON.stringify(sources.map((s) => ({ id: s.id, intent: s.intent, question: s.text }))),
    `Answer shape: {"paraphrases": [{"id": "<question id>", "texts": ["<paraphrase>", ...]}, ...]} with one entry per question id and ${count} texts each.`,
  ]
    .filter(Boolean)
    .join('\n');
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
  const jsonSchema = { name: 'question_paraphrases', schema: paraphraseJsonSchema() };
  const maxTokens = Math.min(16_000, Math.max(600, sources.length * count * 25 + 300));
  const cacheKey = sha256Hex(canonicalJson({ endpoint, model, messages, schema: jsonSchema, maxTokens }));
  return { messages, jsonSchema, maxTokens, cacheKey };
}

export type ParsedParaphrases = { ok: true; items: TaughtParaphrase[]; dropped: number; notes: string[] } | { ok: false; reason: string };

/** Validates an answer: the usable paraphrases (slot form, `xclassx`), how many were left out and why. */
export function parseParaphrases(content: string, sources: readonly ParaphraseSource[], count: number): ParsedParaphrases {
  if (!content.trim()) return { ok: false, reason: 'empty answer' };
  const v = extractJson(content) as { paraphrases?: unknown } | null;
  if (!v) return { ok: false, reason: 'answer is not JSON' };
  if (!Array.isArray(v.paraphrases)) return { ok: false, reason: 'answer has no "paraphrases" list' };
  const byId = new Map(sources.map((s) => [s.id, s]));
  const slotted = (t: string) => normalise(t.split(SLOT).join(' xclassx '));
  const taken = new Set(sources.map((s) => `${s.intent}\u0000${slotted(s.text)}`));
  const elsewhere = new Map(sources.map((s) => [slotted(s.text), s.intent]));
  const items: TaughtParaphrase[] = [];
  const reasons = new Map<string, number>();
  let dropped = 0;
  const drop = (why: string) => {
    dropped++;
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  };
  const done = new Set<string>();
  for (const entry of v.paraphrases as unknown[]) {
    const e = entry as { id?: unknown; texts?: unknown };
    const src = typeof e?.id === 'string' ? byId.get(e.id) : undefined;
    if (!src || done.has(src.id) || !Array.isArray(e.texts)) {
      drop(!src ? 'unknown question id' : done.has(src.id) ? 'question answered twice' : 'texts is not a list');
      continue;
    }
    done.add(src.id);
    const hasSlot = src.text.includes(SLOT);
    let kept = 0;
    for (const raw of e.texts as unknown[]) {
      if (typeof raw !== 'string') {
        drop('not a string');
        continue;
      }
      const t = raw.trim().replace(/\s+/g, ' ');
      if (t.length < 3) {
        drop('empty or too short');
        continue;
      }
      if (t.length > MAX_CHARS) {
        drop('too long');
        continue;
      }
      if (!/\p{L}{2,}/u.test(t.replace(SLOT, ''))) {
        drop('digits or symbols only');
        continue;
      }
      const braces = t.split(SLOT).join('');
      if (/[{}]/.test(braces)) {
        drop('unknown placeholder');
        continue;
      }
      if (hasSlot && !t.includes(SLOT)) {
        drop('lost the {class} slot');
        continue;
      }
      if (!hasSlot && t.includes(SLOT)) {
        drop('added a {class} slot');
        continue;
      }
      const key = slotted(t);
      const other = elsewhere.get(key);
      if (other !== undefined && other !== src.intent) {
        drop("another intent's question");
        continue;
      }
      if (taken.has(`${src.intent}\u0000${key}`)) {
        drop('duplicate');
        continue;
      }
      if (kept >= count) {
        drop('more than asked');
        continue;
      }
      taken.add(`${src.intent}\u0000${key}`);
      kept++;
      items.push({ intent: src.intent, source: src.text.split(SLOT).join('xclassx'), text: t.split(SLOT).join('xclassx') });
    }
  }
  if (!items.length) {
    const why = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).join(', ');
    return { ok: false, reason: `no usable paraphrase${why ? ` (${why})` : ''}` };
  }
  return { ok: true, items, dropped, notes: [...reasons.entries()].map(([r, n]) => `${n} dropped: ${r}`) };
}

export interface ParaphraseRun {
  readonly runId: number;
  readonly sources: readonly ParaphraseSource[];
  readonly classes: readonly string[];
  readonly count: number;
  /** A reason when the run's budget cannot take a request of this many tokens at most (null: go). */
  readonly budgetRefuses: (maxPromptTokens: number, maxCompletionTokens: number) => string | null;
  readonly softSignal: AbortSignal;
  readonly hardSignal: AbortSignal;
  readonly actor: string;
}

/** What the audit entry of every paraphrase request says about what was sent. */
export const TEXT_ONLY_AUDIT = {
  textOnly: true,
  imagesSent: 0,
  sent: 'question wordings, intent names and class names only; no image, file name or image hash',
};

/**
 * The run's paraphrase request: answered from the cache when the same request was answered before; else one
 * request (and at most one repair), within the budget. Throws RunStopError('failed') when the run must stop
 * (egress switched off, key refused).
 */
export async function askParaphrases(db: Db, session: TeacherSession, o: ParaphraseRun): Promise<TeacherParaphraseOutcome> {
  const out: TeacherParaphraseOutcome = { status: 'off', sources: o.sources.length, paraphrases: 0, dropped: 0, requests: 0, reason: null };
  if (o.count <= 0 || !o.sources.length) return { ...out, reason: o.count <= 0 ? 'paraphraseCount is 0' : 'no question wordings' };
  // A database that reached a later schema version without migration 011 (numbers are assigned per branch) has
  // neither the cache nor the request purpose: the images of the run must not fail for it.
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'teacher_paraphrases'`).get()) {
    return { ...out, reason: 'this database has no paraphrase cache (schema migration 011 missing)' };
  }
  const req = paraphraseRequest(o.sources, o.classes, o.count, session.endpoint, session.config.model);
  const cached = db.prepare(`SELECT paraphrase_count FROM teacher_paraphrases WHERE cache_key = ? AND status = 'valid'`).get(req.cacheKey) as
    { paraphrase_count: number } | undefined;
  const finish = (r: TeacherParaphraseOutcome): TeacherParaphraseOutcome => {
    audit(db, o.actor, 'teacher.paraphrases', {
      runId: o.runId,
      cacheKey: req.cacheKey,
      status: r.status,
      sources: r.sources,
      paraphrases: r.paraphrases,
      dropped: r.dropped,
      requests: r.requests,
      reason: r.reason,
      ...TEXT_ONLY_AUDIT,
    });
    return r;
  };
  if (cached) return finish({ ...out, status: 'cached', paraphrases: cached.paraphrase_count, reason: 'the same request was answered before; not sent again' });
  if (o.softSignal.aborted) return { ...out, status: 'cancelled', reason: 'cancelled before it was sent' };

  const promptChars = req.messages.reduce((n, m) => n + String(m.content).length, 0) + JSON.stringify(req.jsonSchema).length;
  const estPrompt = Math.ceil(promptChars / 3);
  const spent: SessionTotals = { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
  const ctx = {
    purpose: 'paraphrase' as const,
    runId: o.runId,
    image: null,
    softSignal: o.softSignal,
    hardSignal: o.hardSignal,
    usage: spent,
    audit: TEXT_ONLY_AUDIT,
  };
  const store = (status: 'valid' | 'invalid', reason: string | null, items: TaughtParaphrase[] | null, requestId: number | null) => {
    const now = nowIso();
    db.prepare(
      `INSERT INTO teacher_paraphrases (cache_key, run_id, request_id, endpoint_host, model, status, reason, sources_json, paraphrases_json,
         paraphrase_count, prompt_tokens, completion_tokens, cost_usd, created_at, updated_at)
       VALUES (@key, @run, @req, @endpoint, @model, @status, @reason, @sources, @items, @n, @p, @c, @usd, @now, @now)
       ON CONFLICT (cache_key) DO UPDATE SET run_id = @run, request_id = @req, status = @status, reason = @reason, paraphrases_json = @items,
         paraphrase_count = @n, prompt_tokens = prompt_tokens + @p, completion_tokens = completion_tokens + @c, cost_usd = cost_usd + @usd,
         updated_at = @now
       WHERE teacher_paraphrases.status = 'invalid'`,
    ).run({
      key: req.cacheKey,
      run: o.runId,
      req: requestId,
      endpoint: session.endpoint,
      model: session.config.model,
      status,
      reason,
      sources: JSON.stringify(o.sources),
      items: items ? JSON.stringify(items) : null,
      n: items?.length ?? 0,
      p: spent.promptTokens,
      c: spent.completionTokens,
      usd: spent.costUsd,
      now,
    });
  };
  const refused = (extraPrompt: number) => o.budgetRefuses(estPrompt + extraPrompt, req.maxTokens);
  const why = refused(0);
  if (why) return finish({ ...out, status: 'budget', reason: `not sent: ${why}` });
  try {
    const first = await session.request(req.messages, ctx, { jsonSchema: req.jsonSchema, structured: true, maxTokens: req.maxTokens });
    let parsed = parseParaphrases(first.content, o.sources, o.count);
    let requestId = first.requestId;
    if (!parsed.ok) {
      const firstReason = parsed.reason;
      const whyNot = refused(Math.ceil(first.content.length / 3) + 100);
      if (whyNot) {
        store('invalid', `${firstReason}; no repair: ${whyNot}`, null, requestId);
        return finish({ ...out, status: 'invalid', requests: spent.requests, reason: `${firstReason}; not repaired: ${whyNot}` });
      }
      const repair = await session.request(
        [
          ...req.messages,
          { role: 'assistant', content: first.content || '(empty)' },
          { role: 'user', content: `That answer is not usable: ${firstReason}. Reply again with only the JSON object of the required shape.` },
        ],
        { ...ctx, audit: { ...TEXT_ONLY_AUDIT, repair: true } },
        { jsonSchema: req.jsonSchema, structured: true, maxTokens: req.maxTokens },
      );
      requestId = repair.requestId;
      parsed = parseParaphrases(repair.content, o.sources, o.count);
      if (!parsed.ok) {
        const reason = `${parsed.reason} (after one repair; first answer: ${firstReason})`;
        store('invalid', reason, null, requestId);
        return finish({ ...out, status: 'invalid', requests: spent.requests, reason });
      }
    }
    store('valid', parsed.notes.length ? parsed.notes.join('; ') : null, parsed.items, requestId);
    return finish({
      ...out,
      status: 'valid',
      requests: spent.requests,
      paraphrases: parsed.items.length,
      dropped: parsed.dropped,
      reason: parsed.notes.join('; ') || null,
    });
  } catch (e) {
    if (e instanceof RunStopError) {
      if (e.stop === 'failed') throw e;
      return finish({ ...out, status: 'cancelled', requests: spent.requests, reason: 'cancelled' });
    }
    const msg = e instanceof TeacherCallError ? e.message : session.scrub(String((e as Error)?.message ?? e));
    return finish({ ...out, status: 'failed', requests: spent.requests, reason: `request failed: ${msg}` });
  }
}
