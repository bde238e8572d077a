// Agreement from the review history: per class, how often operators kept the teacher's proposal and how often the
// student's current prediction matches the operators' class; Cohen's kappa between each pair of operators over
// the images both decided. Each (image, operator) counts once: that operator's newest label decision in effect.
import type { AgreementCount, ClassAgreement, OperatorKappa, ReviewStats } from '../contract.js';
import type { Db } from '../db/database.js';
import { queueCounts } from './queues.js';
import { LABEL_ACTIONS_SQL, NOT_UNDONE, studentFromRows } from './state.js';

interface Effective {
  image_id: number;
  reviewer: string;
  proposal_source: string | null;
  proposed_class: string | null;
  final_class: string | null;
}

const REJECTED = '(rejected)';

function count(n: number, agreed: number): AgreementCount {
  return { n, agreed, rate: n ? agreed / n : null };
}

/** Cohen's kappa of two raters' categories over the same items; null where it is undefined (no items). */
export function cohensKappa(a: string[], b: string[]): { observed: number; kappa: number | null } {
  const n = a.length;
  if (n === 0 || n !== b.length) return { observed: 0, kappa: null };
  let agree = 0;
  const ca = new Map<string, number>();
  const cb = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agree++;
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const [k, x] of ca) pe += (x / n) * ((cb.get(k) ?? 0) / n);
  // Both raters used one and the same category throughout: agreement is perfect but chance explains it all.
  if (pe >= 1) return { observed: po, kappa: po === 1 ? 1 : null };
  return { observed: po, kappa: (po - pe) / (1 - pe) };
}

/** Each operator's newest label decision in effect per image. */
export function effectiveDecisions(db: Db): Effective[] {
  const rows = db
    .prepare(
      `SELECT d.image_id, d.reviewer, d.proposal_source, d.proposed_class, d.final_class FROM review_decisions d
       WHERE d.action IN ${LABEL_ACTIONS_SQL} AND ${NOT_UNDONE('d')} ORDER BY d.id`,
    )
    .all() as Effective[];
  const last = new Map<string, Effective>();
  for (const r of rows) last.set(`${r.image_id}\u0000${r.reviewer}`, r);
  return [...last.values()];
}

/** The student's current top class per image (newest model version). */
function studentClasses(db: Db, imageIds: Set<number>): Map<number, string> {
  const out = new Map<number, string>();
  if (imageIds.size === 0) return out;
  const stmt = db.prepare(
    `SELECT c.name AS class_name, l.confidence, l.source_ref FROM labels l JOIN classes c ON c.id = l.class_id
     WHERE l.image_id = ? AND l.source = 'student' AND l.decision_id IS NULL ORDER BY l.id`,
  );
  for (const id of imageIds) {
    const rows = stmt.all(id) as { class_name: string; confidence: number | null; source_ref: string | null }[];
    if (!rows.length) continue;
    const version = rows[rows.length - 1].source_ref;
    const s = studentFromRows(rows.filter((r) => r.source_ref === version));
    if (s) out.set(id, s.className);
  }
  return out;
}

export function reviewStats(db: Db): ReviewStats {
  const eff = effectiveDecisions(db);
  const perClass = new Map<string, { t: [number, number]; s: [number, number] }>();
  const cls = (name: string) => {
    let c = perClass.get(name);
    if (!c) perClass.set(name, (c = { t: [0, 0], s: [0, 0] }));
    return c;
  };
  let tn = 0;
  let ta = 0;
  for (const e of eff) {
    if (e.proposal_source === 'teacher' && e.proposed_class != null) {
      const c = cls(e.proposed_class);
      c.t[0]++;
      tn++;
      if (e.final_class === e.proposed_class) {
        c.t[1]++;
        ta++;
      }
    }
  }
  const withClass = eff.filter((e) => e.final_class != null);
  const students = studentClasses(db, new Set(withClass.map((e) => e.image_id)));
  let sn = 0;
  let sa = 0;
  for (const e of withClass) {
    const s = students.get(e.image_id);
    if (s == null) continue;
    const c = cls(e.final_class!);
    c.s[0]++;
    sn++;
    if (s === e.final_class) {
      c.s[1]++;
      sa++;
    }
  }

  // Kappa per pair of operators over the images both decided.
  const byReviewer = new Map<string, Map<number, string>>();
  for (const e of eff) {
    let m = byReviewer.get(e.reviewer);
    if (!m) byReviewer.set(e.reviewer, (m = new Map()));
    m.set(e.image_id, e.final_class ?? REJECTED);
  }
  const names = [...byReviewer.keys()].sort();
  const kappa: OperatorKappa[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const A = byReviewer.get(names[i])!;
      const B = byReviewer.get(names[j])!;
      const a: string[] = [];
      const b: string[] = [];
      for (const [img, c] of A) {
        const other = B.get(img);
        if (other !== undefined) {
          a.push(c);
          b.push(other);
        }
      }
      if (a.length === 0) continue;
      const k = cohensKappa(a, b);
      kappa.push({ a: names[i], b: names[j], n: a.length, observed: k.observed, kappa: k.kappa });
    }
  }

  const reviewers = db
    .prepare(
      `SELECT d.reviewer, count(*) AS decisions, max(d.at) AS lastAt FROM review_decisions d
       WHERE d.action != 'undo' AND ${NOT_UNDONE('d')} GROUP BY d.reviewer ORDER BY decisions DESC`,
    )
    .all() as { reviewer: string; decisions: number; lastAt: string }[];
  const decisions = reviewers.reduce((s, r) => s + r.decisions, 0);
  const classes: ClassAgreement[] = [...perClass]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([className, c]) => ({ className, teacher: count(c.t[0], c.t[1]), student: count(c.s[0], c.s[1]) }));
  return {
    queues: queueCounts(db),
    decisions,
    reviewedImages: new Set(eff.map((e) => e.image_id)).size,
    reviewers,
    teacher: count(tn, ta),
    student: count(sn, sa),
    perClass: classes,
    kappa,
  };
}
