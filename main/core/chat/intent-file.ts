// The file a model version keeps for the chat's question layer: the reviewed questions and the teacher's
// paraphrases its intent model learns from (the model is fitted from them deterministically when the version is
// loaded, so an offline PC with the version folder fits the same model).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/database.js';
import type { ReviewedQuestion, TaughtParaphrase } from './augment.js';
import { INTENTS } from './seeds.js';

export const INTENT_FILE = 'intent.json';

export interface IntentFile {
  readonly format: 'emma-intent';
  readonly version: 1;
  readonly classes: readonly string[];
  readonly reviewed: readonly ReviewedQuestion[];
  /** The teacher's paraphrases of question wordings (absent in files written before them: none). */
  readonly paraphrases?: readonly TaughtParaphrase[];
}

/** Reviewed questions of the library (teacher Q&A the operator accepted or edited, the operator's own). */
export function reviewedQuestions(db: Db): ReviewedQuestion[] {
  return (
    db
      .prepare(
        `SELECT question, qa_kind FROM annotations WHERE kind = 'qa' AND status IN ('accepted', 'edited') AND source IN ('teacher', 'human')
        AND question IS NOT NULL AND length(trim(question)) > 0 ORDER BY id`,
      )
      .all() as { question: string; qa_kind: string | null }[]
  ).map((r) => ({ question: r.question, qaKind: r.qa_kind }));
}

/** The valid paraphrases the teacher wrote for this library (every stored set, oldest first, deduplicated). */
export function libraryParaphrases(db: Db): TaughtParaphrase[] {
  const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'teacher_paraphrases'`).get();
  if (!has) return [];
  const rows = db.prepare(`SELECT paraphrases_json FROM teacher_paraphrases WHERE status = 'valid' ORDER BY id`).pluck().all() as string[];
  const seen = new Set<string>();
  const out: TaughtParaphrase[] = [];
  for (const json of rows) {
    for (const p of JSON.parse(json) as TaughtParaphrase[]) {
      const key = `${p.intent}\u0000${p.text}`;
      if (!INTENTS.includes(p.intent) || typeof p.text !== 'string' || seen.has(key)) continue;
      seen.add(key);
      out.push({ intent: p.intent, source: p.source, text: p.text });
    }
  }
  return out;
}

/** Written with a version: the reviewed questions and paraphrases its intent model learns from (fitted deterministically on load). */
export function saveIntents(dir: string, db: Db, classes: readonly string[]): void {
  const f: IntentFile = { format: 'emma-intent', version: 1, classes: [...classes], reviewed: reviewedQuestions(db), paraphrases: libraryParaphrases(db) };
  writeFileSync(join(dir, INTENT_FILE), `${JSON.stringify(f)}\n`);
}
