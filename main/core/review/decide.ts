// Decisions: accept / edit / reject / skip / flag a proposal, assign a class by hand, write a Q&A pair, undo.
// Each is one transaction that changes label and annotation rows and appends one history row holding the exact
// before/after state of every row it touched. Rows are never updated except for their status; an edit is a new
// operator row (decision_id = the decision, supersedes_id = the proposal it replaces). Undo restores the statuses
// of the decision's `before` and removes the rows it created (their content stays in the history).
import type {
  AddAnnotationRequest,
  AssignLabelsRequest,
  AssignLabelsResult,
  LabelStatus,
  ReviewAction,
  ReviewDecision,
  ReviewDecisionRequest,
  ReviewHistoryQuery,
  ReviewRowState,
  ReviewTextEdit,
  ReviewUndoRequest,
  ReviewUndoResult,
} from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import {
  DECISION_COLUMNS,
  LABEL_ACTIONS_SQL,
  NOT_UNDONE,
  ReviewError,
  STATE_ACTIONS_SQL,
  proposalAnnotations,
  proposalOf,
  studentOf,
  toDecision,
  type AnnotationRow,
  type DecisionRow,
  type LabelRowFull,
  type ProposalRow,
} from './state.js';

interface Change {
  before: ReviewRowState;
  after: ReviewRowState;
}

/** Collects the row changes of one decision, in order, each row once (first before, last after). */
class ChangeSet {
  private readonly changes = new Map<string, Change>();
  constructor(private readonly db: Db) {}

  setLabel(row: Pick<LabelRowFull, 'id' | 'status' | 'class_name'>, status: LabelStatus): void {
    if (row.status === status) return;
    this.db.prepare(`UPDATE labels SET status = ? WHERE id = ?`).run(status, row.id);
    this.record('labels', row.id, { status: row.status, className: row.class_name }, { status, className: row.class_name });
    row.status = status;
  }

  setAnnotation(row: Pick<AnnotationRow, 'id' | 'status' | 'question' | 'answer'>, status: LabelStatus): void {
    if (row.status === status) return;
    this.db.prepare(`UPDATE annotations SET status = ?, updated_at = ? WHERE id = ?`).run(status, nowIso(), row.id);
    const content = { question: row.question, answer: row.answer };
    this.record('annotations', row.id, { status: row.status, ...content }, { status, ...content });
    row.status = status;
  }

  created(table: 'labels' | 'annotations', id: number, content: Omit<ReviewRowState, 'table' | 'id' | 'status'>, status: LabelStatus): void {
    this.record(table, id, { status: null, ...content }, { status, ...content });
  }

  private record(table: 'labels' | 'annotations', id: number, before: Omit<ReviewRowState, 'table' | 'id'>, after: Omit<ReviewRowState, 'table' | 'id'>): void {
    const key = `${table}:${id}`;
    const existing = this.changes.get(key);
    if (existing) existing.after = { table, id, ...after };
    else this.changes.set(key, { before: { table, id, ...before }, after: { table, id, ...after } });
  }

  get size(): number {
    return [...this.changes.values()].filter((c) => c.before.status !== c.after.status).length;
  }

  sides(): { before: ReviewRowState[]; after: ReviewRowState[] } {
    const list = [...this.changes.values()].filter((c) => c.before.status !== c.after.status);
    return { before: list.map((c) => c.before), after: list.map((c) => c.after) };
  }
}

interface DecisionInsert {
  id: number;
  imageId: number;
  action: ReviewAction;
  reviewer: string;
  before: ReviewRowState[];
  after: ReviewRowState[];
  proposedClass: string | null;
  finalClass: string | null;
  proposal: ProposalRow | null;
  studentRef: string | null;
  studentClass: string | null;
  undoesId?: number | null;
  note?: string | null;
}

function nextDecisionId(db: Db): number {
  return (db.prepare(`SELECT coalesce(max(id), 0) + 1 AS n FROM review_decisions`).get() as { n: number }).n;
}

function insertDecision(db: Db, d: DecisionInsert): ReviewDecision {
  const p = d.proposal;
  db.prepare(
    `INSERT INTO review_decisions (id, image_id, action, reviewer, at, before_json, after_json, proposed_class, final_class,
       proposal_label_id, proposal_source, proposal_ref, teacher_run_id, teacher_output_id, template_ref, student_ref, student_class,
       undoes_id, note)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    d.id,
    d.imageId,
    d.action,
    d.reviewer,
    nowIso(),
    JSON.stringify(d.before),
    JSON.stringify(d.after),
    d.proposedClass,
    d.finalClass,
    p?.id ?? null,
    p?.source ?? null,
    p?.source_ref ?? null,
    p?.run_id ?? null,
    p?.output_id ?? null,
    p?.template_name != null ? `${p.template_name}@${p.template_version}` : null,
    d.studentRef,
    d.studentClass,
    d.undoesId ?? null,
    d.note ?? null,
  );
  return getDecision(db, d.id);
}

export function getDecision(db: Db, id: number): ReviewDecision {
  const row = db.prepare(`SELECT ${DECISION_COLUMNS} FROM review_decisions d WHERE d.id = ?`).get(id) as DecisionRow | undefined;
  if (!row) throw new ReviewError('not_found', `No review decision ${id}.`);
  return toDecision(row);
}

function requireImage(db: Db, imageId: number): void {
  if (!db.prepare(`SELECT 1 FROM images WHERE id = ?`).get(imageId)) throw new ReviewError('not_found', `No image with id ${imageId}.`);
}

function classId(db: Db, name: string): number {
  const row = db.prepare(`SELECT id FROM classes WHERE name = ?`).get(name) as { id: number } | undefined;
  if (!row) throw new ReviewError('unknown_class', `No class named "${name}" in the taxonomy.`);
  return row.id;
}

/** Live label rows made by earlier label decisions on the image (any reviewer): the newest decision wins. */
function liveDecisionLabels(db: Db, imageId: number): LabelRowFull[] {
  return db
    .prepare(
      `SELECT l.id, l.image_id, c.name AS class_name, l.source, l.source_ref, l.status, l.confidence, l.decision_id, l.supersedes_id, l.created_at
       FROM labels l JOIN classes c ON c.id = l.class_id JOIN review_decisions d ON d.id = l.decision_id
       WHERE l.image_id = ? AND l.status = 'accepted' AND d.action IN ${LABEL_ACTIONS_SQL}`,
    )
    .all(imageId) as LabelRowFull[];
}

/** Live operator edits of proposal annotations (made by label decisions). */
function liveDecisionEdits(db: Db, imageId: number): AnnotationRow[] {
  return db
    .prepare(
      `SELECT a.* FROM annotations a JOIN review_decisions d ON d.id = a.decision_id
       WHERE a.image_id = ? AND a.status = 'accepted' AND a.supersedes_id IS NOT NULL AND d.action IN ${LABEL_ACTIONS_SQL}`,
    )
    .all(imageId) as AnnotationRow[];
}

interface LabelDecision {
  imageId: number;
  reviewer: string;
  /** null: reject. */
  className: string | null;
  edits: ReviewTextEdit[];
  /** false (manual assignment): the caption and Q&A rows are left as they are. */
  touchAnnotations: boolean;
  manual: boolean;
  note?: string;
}

function applyLabelDecision(db: Db, req: LabelDecision): ReviewDecision {
  requireImage(db, req.imageId);
  db.pragma('defer_foreign_keys = ON');
  const id = nextDecisionId(db);
  const p = proposalOf(db, req.imageId);
  const student = studentOf(db, req.imageId);
  const changes = new ChangeSet(db);
  const now = nowIso();

  // What earlier decisions made is superseded by this one (their rows stay, as 'rejected', and come back on undo).
  for (const l of liveDecisionLabels(db, req.imageId)) changes.setLabel(l, 'rejected');
  const earlierEdits = new Map<number, AnnotationRow>();
  if (req.touchAnnotations) {
    for (const a of liveDecisionEdits(db, req.imageId)) {
      earlierEdits.set(a.supersedes_id!, a);
      changes.setAnnotation(a, 'rejected');
    }
  }

  let edited = false;
  if (req.className === null) {
    if (!p) throw new ReviewError('nothing_to_reject', 'This image has no proposal to reject; pick a class (1–9) and accept instead.');
    changes.setLabel(p, 'rejected');
  } else {
    const cid = classId(db, req.className);
    if (p && p.class_name === req.className) changes.setLabel(p, 'accepted');
    else {
      if (p) changes.setLabel(p, 'edited');
      edited = true;
      const labelId = Number(
        db
          .prepare(
            `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at, decision_id, supersedes_id)
             VALUES (?, ?, 'human', ?, 'accepted', NULL, ?, ?, ?)`,
          )
          .run(req.imageId, cid, req.reviewer, now, id, p?.id ?? null).lastInsertRowid,
      );
      changes.created('labels', labelId, { className: req.className }, 'accepted');
    }
  }

  if (req.touchAnnotations) {
    const base = p ? proposalAnnotations(db, p.output_id) : [];
    const baseIds = new Set(base.map((a) => a.id));
    // An edit may name the proposal row or an earlier edit of it.
    const editsByBase = new Map<number, ReviewTextEdit>();
    for (const e of req.edits) {
      let target = e.annotationId;
      if (!baseIds.has(target)) {
        const row = db.prepare(`SELECT supersedes_id FROM annotations WHERE id = ? AND image_id = ?`).get(target, req.imageId) as
          { supersedes_id: number | null } | undefined;
        if (row?.supersedes_id != null && baseIds.has(row.supersedes_id)) target = row.supersedes_id;
        else throw new ReviewError('bad_edit', `Annotation ${e.annotationId} is not part of this image's proposal.`);
      }
      editsByBase.set(target, e);
    }
    const insert = db.prepare(
      `INSERT INTO annotations (image_id, kind, qa_kind, question, answer, value_nm, source, source_ref, status, teacher_output_id,
         created_at, updated_at, decision_id, supersedes_id)
       VALUES (?, ?, ?, ?, ?, ?, 'human', ?, 'accepted', ?, ?, ?, ?, ?)`,
    );
    for (const a of base) {
      if (req.className === null) {
        changes.setAnnotation(a, 'rejected');
        continue;
      }
      const e = editsByBase.get(a.id);
      const prior = earlierEdits.get(a.id);
      const question = e?.question ?? prior?.question ?? a.question;
      const answer = e?.answer ?? prior?.answer ?? a.answer;
      if (question === a.question && answer === a.answer) {
        changes.setAnnotation(a, 'accepted');
        continue;
      }
      edited = true;
      changes.setAnnotation(a, 'edited');
      const newId = Number(
        insert.run(req.imageId, a.kind, a.qa_kind, question, answer, a.value_nm, req.reviewer, a.teacher_output_id, now, now, id, a.id).lastInsertRowid,
      );
      changes.created('annotations', newId, { question, answer }, 'accepted');
    }
  }

  const action: ReviewAction = req.manual ? 'assign' : req.className === null ? 'reject' : edited ? 'edit' : 'accept';
  const sides = changes.sides();
  return insertDecision(db, {
    id,
    imageId: req.imageId,
    action,
    reviewer: req.reviewer,
    ...sides,
    proposedClass: p?.class_name ?? null,
    finalClass: req.className,
    proposal: p,
    studentRef: student?.sourceRef ?? null,
    studentClass: student?.className ?? null,
    note: req.note,
  });
}

export function decide(db: Db, req: ReviewDecisionRequest): ReviewDecision {
  return db.transaction(() => {
    requireImage(db, req.imageId);
    if (req.action === 'skip' || req.action === 'flag') {
      const p = proposalOf(db, req.imageId);
      const student = studentOf(db, req.imageId);
      return insertDecision(db, {
        id: nextDecisionId(db),
        imageId: req.imageId,
        action: req.action,
        reviewer: req.reviewer,
        before: [],
        after: [],
        proposedClass: p?.class_name ?? null,
        finalClass: null,
        proposal: p,
        studentRef: student?.sourceRef ?? null,
        studentClass: student?.className ?? null,
        note: req.note,
      });
    }
    return applyLabelDecision(db, {
      imageId: req.imageId,
      reviewer: req.reviewer,
      className: req.action === 'reject' ? null : (req.className ?? proposalOf(db, req.imageId)?.class_name ?? missingClass()),
      edits: req.edits ?? [],
      touchAnnotations: true,
      manual: false,
      note: req.note,
    });
  })();
}

function missingClass(): never {
  throw new ReviewError('no_class', 'This image has no proposal: pick a class (1–9 or type its name) before accepting.');
}

/** The class an image has from review right now, by the newest label decision in effect. */
function currentDecidedClass(db: Db, imageId: number): { reviewer: string; finalClass: string | null } | null {
  return (
    (db
      .prepare(
        `SELECT d.reviewer, d.final_class AS finalClass FROM review_decisions d
         WHERE d.image_id = ? AND d.action IN ${LABEL_ACTIONS_SQL} AND ${NOT_UNDONE('d')} ORDER BY d.id DESC LIMIT 1`,
      )
      .get(imageId) as { reviewer: string; finalClass: string | null } | undefined) ?? null
  );
}

export function assignLabels(db: Db, req: AssignLabelsRequest): AssignLabelsResult {
  return db.transaction(() => {
    classId(db, req.className);
    let decisions = 0;
    let unchanged = 0;
    for (const imageId of new Set(req.imageIds)) {
      const cur = currentDecidedClass(db, imageId);
      if (cur && cur.finalClass === req.className && cur.reviewer === req.reviewer) {
        unchanged++;
        continue;
      }
      applyLabelDecision(db, {
        imageId,
        reviewer: req.reviewer,
        className: req.className,
        edits: [],
        touchAnnotations: false,
        manual: true,
      });
      decisions++;
    }
    return { decisions, unchanged };
  })();
}

export function addAnnotation(db: Db, req: AddAnnotationRequest): ReviewDecision {
  return db.transaction(() => {
    requireImage(db, req.imageId);
    if (req.kind === 'qa' && !req.question?.trim()) throw new ReviewError('bad_annotation', 'A question–answer pair needs a question.');
    db.pragma('defer_foreign_keys = ON');
    const id = nextDecisionId(db);
    const now = nowIso();
    const question = req.kind === 'qa' ? req.question!.trim() : null;
    const annId = Number(
      db
        .prepare(
          `INSERT INTO annotations (image_id, kind, qa_kind, question, answer, value_nm, source, source_ref, status, teacher_output_id,
             created_at, updated_at, decision_id, supersedes_id)
           VALUES (?, ?, NULL, ?, ?, NULL, 'human', ?, 'accepted', NULL, ?, ?, ?, NULL)`,
        )
        .run(req.imageId, req.kind, question, req.answer, req.reviewer, now, now, id).lastInsertRowid,
    );
    const state = { table: 'annotations' as const, id: annId, question, answer: req.answer };
    return insertDecision(db, {
      id,
      imageId: req.imageId,
      action: 'annotate',
      reviewer: req.reviewer,
      before: [{ ...state, status: null }],
      after: [{ ...state, status: 'accepted' }],
      proposedClass: null,
      finalClass: null,
      proposal: null,
      studentRef: null,
      studentClass: null,
    });
  })();
}

export function undo(db: Db, req: ReviewUndoRequest): ReviewUndoResult {
  return db.transaction(() => {
    const row = (
      req.decisionId != null
        ? db.prepare(`SELECT ${DECISION_COLUMNS} FROM review_decisions d WHERE d.id = ?`).get(req.decisionId)
        : db
            .prepare(
              `SELECT ${DECISION_COLUMNS} FROM review_decisions d
               WHERE d.reviewer = ? AND d.action != 'undo' AND ${NOT_UNDONE('d')} ORDER BY d.id DESC LIMIT 1`,
            )
            .get(req.reviewer)
    ) as DecisionRow | undefined;
    if (!row) {
      throw new ReviewError(
        req.decisionId != null ? 'not_found' : 'nothing_to_undo',
        req.decisionId != null ? `No review decision ${req.decisionId}.` : `${req.reviewer} has no decision left to undo.`,
      );
    }
    const target = toDecision(row);
    if (req.ownOnly && target.reviewer !== req.reviewer) {
      throw new ReviewError('forbidden', `Decision ${target.id} was made by ${target.reviewer}; only ${target.reviewer} or a lead can undo it.`);
    }
    if (target.action === 'undo') throw new ReviewError('bad_undo', 'An undo is not undone; decide again instead.');
    if (target.undoneBy != null) throw new ReviewError('bad_undo', `Decision ${target.id} was already undone (by ${target.undoneBy}).`);
    const later = db
      .prepare(
        `SELECT d.id, d.action, d.reviewer FROM review_decisions d
         WHERE d.image_id = ? AND d.id > ? AND d.action IN ${STATE_ACTIONS_SQL} AND ${NOT_UNDONE('d')} ORDER BY d.id LIMIT 1`,
      )
      .get(target.imageId, target.id) as { id: number; action: string; reviewer: string } | undefined;
    if (later && target.before.length > 0) {
      throw new ReviewError('undo_order', `A later decision on this image (${later.action} by ${later.reviewer}, #${later.id}) must be undone first.`);
    }
    // The rows must still be as the decision left them.
    for (const s of target.after) {
      const cur = db.prepare(`SELECT status FROM ${s.table} WHERE id = ?`).get(s.id) as { status: LabelStatus } | undefined;
      if ((cur?.status ?? null) !== s.status) {
        throw new ReviewError('conflict', `Row ${s.table}#${s.id} changed since decision ${target.id}; it cannot be undone safely.`);
      }
    }
    for (const s of target.before) {
      if (s.status === null) db.prepare(`DELETE FROM ${s.table} WHERE id = ?`).run(s.id);
      else if (s.table === 'labels') db.prepare(`UPDATE labels SET status = ? WHERE id = ?`).run(s.status, s.id);
      else db.prepare(`UPDATE annotations SET status = ?, updated_at = ? WHERE id = ?`).run(s.status, nowIso(), s.id);
    }
    const p = target.proposalLabelId != null ? proposalOf(db, target.imageId) : null;
    const undoRow = insertDecision(db, {
      id: nextDecisionId(db),
      imageId: target.imageId,
      action: 'undo',
      reviewer: req.reviewer,
      before: target.after,
      after: target.before,
      proposedClass: target.proposedClass,
      finalClass: null,
      proposal: p && p.id === target.proposalLabelId ? p : null,
      studentRef: target.studentRef,
      studentClass: target.studentClass,
      undoesId: target.id,
    });
    return { undo: undoRow, undone: getDecision(db, target.id) };
  })();
}

export function listHistory(db: Db, q: ReviewHistoryQuery): ReviewDecision[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.imageId != null) {
    where.push('d.image_id = ?');
    params.push(q.imageId);
  }
  if (q.reviewer != null) {
    where.push('d.reviewer = ?');
    params.push(q.reviewer);
  }
  if (q.beforeId != null) {
    where.push('d.id < ?');
    params.push(q.beforeId);
  }
  const rows = db
    .prepare(`SELECT ${DECISION_COLUMNS} FROM review_decisions d ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT ?`)
    .all(...params, q.limit) as DecisionRow[];
  return rows.map(toDecision);
}
