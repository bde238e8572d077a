// Review queues: open teacher proposals, images with no label, images flagged for an expert, and the active
// learning order (student uncertainty and teacher–student disagreement; teacher confidence while no student
// exists). A diversity option interleaves proposed classes and acquisition series so that near-identical images
// do not come in a row. Queues are computed from the database on every call: nothing is held in memory, so a
// restart, a second window or the CLI see the same queue.
import type { ReviewQueueKind, ReviewQueuePage, ReviewQueueQuery, StudentPrediction } from '../contract.js';
import type { Db } from '../db/database.js';
import { hamming, NEAR_BITS } from './signature.js';
import { NOT_UNDONE, reviewItem, studentFromRows, studentUncertainty } from './state.js';

export interface Candidate {
  id: number;
  priority: number | null;
  reason: string | null;
}

interface Detail {
  id: number;
  cls: string | null;
  mag: number | null;
  px: number | null;
  name: string;
}

/** Images whose newest label-or-flag decision in effect is a flag. */
export function flaggedIds(db: Db): Set<number> {
  const rows = db
    .prepare(
      `SELECT d.image_id AS id, d.action FROM review_decisions d
       WHERE d.action IN ('accept', 'edit', 'reject', 'assign', 'flag') AND ${NOT_UNDONE('d')} ORDER BY d.id`,
    )
    .all() as { id: number; action: string }[];
  const last = new Map<number, string>();
  for (const r of rows) last.set(r.id, r.action);
  return new Set([...last].filter(([, a]) => a === 'flag').map(([id]) => id));
}

function skippedIds(db: Db, reviewer: string | undefined): Set<number> {
  if (!reviewer) return new Set();
  const rows = db
    .prepare(`SELECT DISTINCT d.image_id AS id FROM review_decisions d WHERE d.reviewer = ? AND d.action = 'skip' AND ${NOT_UNDONE('d')}`)
    .all(reviewer) as { id: number }[];
  return new Set(rows.map((r) => r.id));
}

const PROPOSED_TEACHER = `SELECT DISTINCT l.image_id AS id FROM labels l
  WHERE l.source = 'teacher' AND l.status = 'proposed' AND l.decision_id IS NULL`;

/** No label that counts: nothing accepted or edited, and no open teacher proposal (student guesses do not count). */
const UNLABELLED = `SELECT i.id FROM images i WHERE NOT EXISTS (
  SELECT 1 FROM labels l WHERE l.image_id = i.id AND (l.status IN ('accepted', 'edited') OR (l.source = 'teacher' AND l.status = 'proposed')))`;

function ids(db: Db, sql: string): number[] {
  return (db.prepare(sql).pluck().all() as number[]).sort((a, b) => a - b);
}

/** Import order, the reviewer's skips last. */
function importOrder(list: number[], skipped: Set<number>): Candidate[] {
  const first: Candidate[] = [];
  const later: Candidate[] = [];
  for (const id of list) (skipped.has(id) ? later : first).push({ id, priority: null, reason: skipped.has(id) ? 'skipped earlier' : null });
  return [...first, ...later];
}

interface Prediction {
  teacherClass: string | null;
  teacherConfidence: number | null;
  student: StudentPrediction | null;
}

/** Teacher proposals and student predictions of every image that has either, in two queries. */
function predictions(db: Db): Map<number, Prediction> {
  const out = new Map<number, Prediction>();
  const get = (id: number) => {
    let p = out.get(id);
    if (!p) out.set(id, (p = { teacherClass: null, teacherConfidence: null, student: null }));
    return p;
  };
  const teacher = db
    .prepare(
      `SELECT l.image_id AS id, c.name AS cls, l.confidence AS conf FROM labels l JOIN classes c ON c.id = l.class_id
       WHERE l.source = 'teacher' AND l.status = 'proposed' AND l.decision_id IS NULL ORDER BY l.id`,
    )
    .all() as { id: number; cls: string; conf: number | null }[];
  for (const t of teacher) {
    const p = get(t.id);
    p.teacherClass = t.cls;
    p.teacherConfidence = t.conf;
  }
  const student = db
    .prepare(
      `SELECT l.image_id AS id, c.name AS class_name, l.confidence, l.source_ref FROM labels l JOIN classes c ON c.id = l.class_id
       WHERE l.source = 'student' AND l.status = 'proposed' AND l.decision_id IS NULL ORDER BY l.image_id, l.id`,
    )
    .all() as { id: number; class_name: string; confidence: number | null; source_ref: string | null }[];
  // Per image, the rows of its newest model version (the version of its newest row).
  for (let k = 0; k < student.length;) {
    let j = k;
    while (j < student.length && student[j].id === student[k].id) j++;
    const rows = student.slice(k, j);
    const version = rows[rows.length - 1].source_ref;
    get(student[k].id).student = studentFromRows(rows.filter((r) => r.source_ref === version));
    k = j;
  }
  return out;
}

/** Active-learning priority of one image and why, in words. Higher first. */
export function activePriority(p: Prediction | undefined): { priority: number; reason: string } {
  if (p?.student) {
    const u = studentUncertainty(p.student);
    const disagree = p.teacherClass != null && p.teacherClass !== p.student.className;
    const parts = [
      p.student.margin != null
        ? `student margin ${p.student.margin.toFixed(2)}`
        : `student confidence ${p.student.confidence != null ? p.student.confidence.toFixed(2) : '?'}`,
    ];
    if (disagree) parts.unshift(`teacher says ${p.teacherClass}, student says ${p.student.className}`);
    return { priority: (disagree ? 1 : 0) + u, reason: parts.join(' · ') };
  }
  if (p?.teacherClass != null) {
    const c = p.teacherConfidence ?? 0.5;
    return { priority: 0.5 * (1 - c), reason: `no student prediction; teacher confidence ${c.toFixed(2)}` };
  }
  return { priority: 0, reason: 'no prediction yet' };
}

function activeOrder(db: Db, flagged: Set<number>): Candidate[] {
  const pending = new Set([...ids(db, PROPOSED_TEACHER), ...ids(db, UNLABELLED)]);
  const preds = predictions(db);
  const out: Candidate[] = [];
  for (const id of pending) {
    if (flagged.has(id)) continue;
    out.push({ id, ...activePriority(preds.get(id)) });
  }
  return out.sort((a, b) => b.priority! - a.priority! || a.id - b.id);
}

/** A cheap "same acquisition series" key: magnification, pixel size and the file name without its numbers. */
export function seriesKey(d: Pick<Detail, 'mag' | 'px' | 'name'>): string {
  const stem = d.name.replace(/\.[^.]+$/, '').replace(/\d+/g, '#');
  return `${d.mag ?? ''}|${d.px ?? ''}|${stem}`;
}

/**
 * Round-robin over classes (in order of each class's first, i.e. most urgent, image); within a class the next
 * image from another series than the one just shown where one is near (lookahead), else the next in order.
 */
/** Two queue items look alike: the same acquisition series, or thumbnails within NEAR_BITS of each other. */
function alike(a: { series: string; sig?: bigint | null }, b: { series: string; sig?: bigint | null } | null): boolean {
  if (!b) return false;
  if (a.series === b.series) return true;
  return a.sig != null && b.sig != null && hamming(a.sig, b.sig) <= NEAR_BITS;
}

/**
 * Round-robin over classes (in order of each class's first, i.e. most urgent, image); within a class the next
 * image that does not look like the one just shown (overall, and in its class) where one is near (lookahead),
 * else the next in order.
 */
export function diversify<T extends { cls: string | null; series: string; sig?: bigint | null }>(ordered: T[], limit: number, lookahead = 8): T[] {
  const buckets = new Map<string, T[]>();
  for (const c of ordered) {
    const key = c.cls ?? '';
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = []));
    b.push(c);
  }
  const out: T[] = [];
  let last: T | null = null;
  const lastOfClass = new Map<string, T>();
  const keys = [...buckets.keys()];
  while (out.length < limit && keys.length) {
    for (let k = 0; k < keys.length && out.length < limit;) {
      const b = buckets.get(keys[k])!;
      const mine = lastOfClass.get(keys[k]) ?? null;
      const span = Math.min(b.length, lookahead);
      let pick = -1;
      for (let j = 0; j < span && pick < 0; j++) if (!alike(b[j], last) && !alike(b[j], mine)) pick = j;
      for (let j = 0; j < span && pick < 0; j++) if (!alike(b[j], mine)) pick = j;
      if (pick < 0) pick = 0;
      const [c] = b.splice(pick, 1);
      out.push(c);
      last = c;
      lastOfClass.set(keys[k], c);
      if (b.length === 0) keys.splice(k, 1);
      else k++;
    }
  }
  return out;
}

function details(db: Db, list: number[]): Map<number, Detail> {
  const out = new Map<number, Detail>();
  const stmt = db.prepare(
    `SELECT i.id, i.magnification AS mag, i.pixel_size_nm AS px, i.file_name AS name,
       (SELECT c.name FROM labels l JOIN classes c ON c.id = l.class_id
        WHERE l.image_id = i.id AND l.source IN ('teacher', 'student') AND l.decision_id IS NULL
        ORDER BY (l.source = 'teacher') DESC, l.id DESC LIMIT 1) AS cls
     FROM images i WHERE i.id = ?`,
  );
  for (const id of list) {
    const d = stmt.get(id) as Detail | undefined;
    if (d) out.set(id, d);
  }
  return out;
}

export function queueOrder(db: Db, kind: ReviewQueueKind, reviewer?: string): Candidate[] {
  const flagged = flaggedIds(db);
  switch (kind) {
    case 'proposals':
      return importOrder(
        ids(db, PROPOSED_TEACHER).filter((id) => !flagged.has(id)),
        skippedIds(db, reviewer),
      );
    case 'unlabelled':
      return importOrder(
        ids(db, UNLABELLED).filter((id) => !flagged.has(id)),
        skippedIds(db, reviewer),
      );
    case 'flagged':
      return [...flagged].sort((a, b) => a - b).map((id) => ({ id, priority: null, reason: 'flagged for an expert' }));
    case 'active':
      return activeOrder(db, flagged);
  }
}

export function queueCounts(db: Db): Record<ReviewQueueKind, number> {
  const flagged = flaggedIds(db);
  const proposals = ids(db, PROPOSED_TEACHER).filter((id) => !flagged.has(id)).length;
  const unlabelled = ids(db, UNLABELLED).filter((id) => !flagged.has(id));
  const active = new Set([...ids(db, PROPOSED_TEACHER), ...unlabelled].filter((id) => !flagged.has(id))).size;
  return { proposals, unlabelled: unlabelled.length, active, flagged: flagged.size };
}

/** Signatures of images by id (see signature.ts); absent ones are compared by series only. */
export type Signer = (imageIds: number[]) => Promise<Map<number, bigint>>;

export async function getQueue(db: Db, q: ReviewQueueQuery, sign?: Signer): Promise<ReviewQueuePage> {
  const order = queueOrder(db, q.queue, q.reviewer);
  const exclude = new Set(q.exclude ?? []);
  let chosen = order.filter((c) => !exclude.has(c.id));
  if (q.diversity && chosen.length > 1) {
    const window = chosen.slice(0, Math.max(q.limit * 10, 100));
    const ids = window.map((c) => c.id);
    const info = details(db, ids);
    const sigs = sign ? await sign(ids) : new Map<number, bigint>();
    const tagged = window.map((c) => {
      const d = info.get(c.id);
      return { ...c, cls: d?.cls ?? null, series: d ? seriesKey(d) : String(c.id), sig: sigs.get(c.id) ?? null };
    });
    chosen = diversify(tagged, q.limit);
  } else chosen = chosen.slice(0, q.limit);
  return {
    queue: q.queue,
    total: order.length,
    items: chosen.map((c) => reviewItem(db, c.id, { reason: c.reason, priority: c.priority })),
  };
}
