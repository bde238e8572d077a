// Find images by text, grounded in the classifier: the text is mapped to the taxonomy (a class named in it, else
// subword similarity to each class's name and definition), and images are ranked by the probability that they
// show the class the text means, Σ_c q(c | text) · p(c | image), from the class probabilities the active version
// stored when it classified the library (no image is encoded per query). A text that matches no class well
// (similarity below a threshold learnt from partial class descriptions against texts that cannot be about an
// image) gets "no good match".
import type { Db } from '../db/database.js';
import { SEEDS } from './seeds.js';
import { classMentions, displayName, dot, features, type SparseVec } from './text.js';

export interface ClassText {
  readonly className: string;
  readonly v: SparseVec;
}

export function classTexts(db: Db, classes: readonly string[]): ClassText[] {
  const defs = new Map(
    (db.prepare(`SELECT name, description FROM classes`).all() as { name: string; description: string }[]).map((r) => [r.name, r.description]),
  );
  return classes.map((c) => ({ className: c, v: features(`${displayName(c)} ${displayName(c)} ${defs.get(c) ?? ''}`) }));
}

export interface TextClasses {
  /** q(c | text), in the order of `classes`. */
  readonly q: Float64Array;
  /** Best similarity of the text to a class text (1 when a class is named). */
  readonly match: number;
}

/** Sharpness of q over similarities (similarities of hashed subword vectors are small numbers). */
const BETA = 12;

export function textToClasses(text: string, ct: readonly ClassText[]): TextClasses {
  const names = ct.map((c) => c.className);
  const named = classMentions(text, names).map((m) => m.className);
  const q = new Float64Array(ct.length);
  if (named.length > 0) {
    for (const n of named) q[names.indexOf(n)] = 1 / named.length;
    return { q, match: 1 };
  }
  const v = features(text);
  const s = ct.map((c) => dot(v, c.v));
  const m = Math.max(...s);
  let z = 0;
  s.forEach((x, j) => {
    q[j] = Math.exp(BETA * (x - m));
    z += q[j];
  });
  for (let j = 0; j < q.length; j++) q[j] /= z;
  return { q, match: m };
}

/**
 * The match threshold: the similarity that best separates (balanced accuracy) partial descriptions of a class
 * (every other word of its definition, both halves: a user rarely types the whole definition) from the seed texts
 * no image can answer. Falls back to a fixed value when no class has a definition.
 */
export function learnMatchThreshold(db: Db, ct: readonly ClassText[]): number {
  const defs = new Map(
    (db.prepare(`SELECT name, description FROM classes`).all() as { name: string; description: string }[]).map((r) => [r.name, r.description]),
  );
  const pos: number[] = [];
  for (const c of ct) {
    const ws = (defs.get(c.className) ?? '').split(/\s+/).filter(Boolean);
    if (ws.length < 4) continue;
    for (const half of [0, 1]) pos.push(Math.max(...ct.map((d) => dot(features(ws.filter((_, i) => i % 2 === half).join(' ')), d.v))));
  }
  if (pos.length === 0) return FALLBACK_MATCH;
  const neg = SEEDS.oos.map((t) => Math.max(...ct.map((c) => dot(features(t), c.v))));
  let best = { acc: -1, t: FALLBACK_MATCH };
  for (const t of [...pos, ...neg]) {
    const acc = pos.filter((s) => s >= t).length / pos.length + neg.filter((s) => s < t).length / neg.length;
    if (acc > best.acc) best = { acc, t };
  }
  return best.t;
}

const FALLBACK_MATCH = 0.3;

/** Class-probability rows of images, as the active version stored them (newest prediction per image). */
export interface PredictionIndex {
  readonly version: number;
  readonly ids: Int32Array;
  /** ids.length × classes, row-major. */
  readonly probs: Float32Array;
  readonly classes: readonly string[];
  readonly rows: number;
}

export function buildPredictionIndex(db: Db, version: number, classes: readonly string[]): PredictionIndex {
  const rows = db
    .prepare(
      `SELECT l.image_id, c.name, l.confidence, l.created_at FROM labels l JOIN classes c ON c.id = l.class_id
      WHERE l.source = 'student' AND l.source_ref = ? AND l.decision_id IS NULL ORDER BY l.image_id, l.created_at DESC, l.id`,
    )
    .all(`student v${version}`) as { image_id: number; name: string; confidence: number | null; created_at: string }[];
  const col = new Map(classes.map((c, j) => [c, j]));
  const byImage = new Map<number, { at: string; p: Float32Array }>();
  for (const r of rows) {
    let e = byImage.get(r.image_id);
    if (!e) {
      e = { at: r.created_at, p: new Float32Array(classes.length) };
      byImage.set(r.image_id, e);
    }
    if (r.created_at !== e.at) continue; // an older classification run of the same version
    const j = col.get(r.name);
    if (j !== undefined) e.p[j] = r.confidence ?? 0;
  }
  const ids = Int32Array.from(byImage.keys());
  const probs = new Float32Array(ids.length * classes.length);
  ids.forEach((id, i) => probs.set(byImage.get(id)!.p, i * classes.length));
  return { version, ids, probs, classes, rows: rows.length };
}

/** Top k rows of Σ_c q(c) p(c | image); `only` restricts to some image ids. */
export function rankIndex(ix: PredictionIndex, q: Float64Array, k: number, only?: ReadonlySet<number>): { imageId: number; score: number }[] {
  const C = ix.classes.length;
  const top: { imageId: number; score: number }[] = [];
  let floor = -Infinity;
  for (let i = 0; i < ix.ids.length; i++) {
    if (only && !only.has(ix.ids[i])) continue;
    let s = 0;
    const o = i * C;
    for (let j = 0; j < C; j++) s += q[j] * ix.probs[o + j];
    if (top.length < k || s > floor) {
      top.push({ imageId: ix.ids[i], score: s });
      if (top.length > k) {
        top.sort((a, b) => b.score - a.score || a.imageId - b.imageId);
        top.length = k;
      }
      floor = top.length === k ? Math.min(...top.map((t) => t.score)) : -Infinity;
    }
  }
  return top.sort((a, b) => b.score - a.score || a.imageId - b.imageId);
}
