// The file a model version keeps for the chat's question layer: the reviewed questions its intent model learns
// from (the model is fitted from them deterministically when the version is loaded).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/database.js';
import type { ReviewedQuestion } from './augment.js';

export const INTENT_FILE = 'intent.json';

export interface IntentFile {
  readonly format: 'emma-intent';
  readonly version: 1;
  readonly classes: readonly string[];
  readonly reviewed: readonly ReviewedQuestion[];
}

/** Reviewed questions of the library (teacher Q&A the operator accepted or edited, the operator's own). */
export function reviewedQuestions(db: Db): ReviewedQuestion[] {
  return (db.prepare(
    `SELECT question, qa_kind FROM annotations WHERE kind = 'qa' AND status IN ('accepted', 'edited') AND source IN ('teacher', 'human')
        AND question IS NOT NULL AND length(trim(question)) > 0 ORDER BY id`,
  ).all() as { question: string; qa_kind: string | null }[]).map((r) => ({ question: r.question, qaKind: r.qa_kind }));
}

/** Written with a version: the reviewed questions its intent model learns from (fitted deterministically on load). */
export function saveIntents(dir: string, db: Db, classes: readonly string[]): void {
  const f: IntentFile = { format: 'emma-intent', version: 1, classes: [...classes], reviewed: reviewedQuestions(db) };
  writeFileSync(join(dir, INTENT_FILE), `${JSON.stringify(f)}\n`);
}

