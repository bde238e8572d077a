// Reading an image's review state: the proposal being decided on (teacher, else student), its caption and
// Q&A pairs with the operators' edits in place, the student's prediction, and the decisions in effect.
import type {
  DataBarBox,
  ImageSummary,
  LabelSource,
  LabelStatus,
  ReviewAction,
  ReviewAnnotation,
  ReviewDecision,
  ReviewItem,
  ReviewProposal,
  ReviewRowState,
  StudentPrediction,
} from '../contract.js';
import type { Db } from '../db/database.js';
import { CoreError } from '../errors.js';
import type { ErrorCode } from '../contract.js';

/** Actions that change what an image's label is (skip, flag and undo do not). */
export const LABEL_ACTIONS: readonly ReviewAction[] = ['accept', 'edit', 'reject', 'assign'];
export const LABEL_ACTIONS_SQL = `('accept', 'edit', 'reject', 'assign')`;
/** Actions that change rows (and so can only be undone newest first on one image). */
export const STATE_ACTIONS_SQL = `('accept', 'edit', 'reject', 'assign', 'annotate')`;

/** SQL condition: decision `d` has not been undone. */
export const NOT_UNDONE = (d: string) => `NOT EXISTS (SELECT 1 FROM review_decisions u WHERE u.undoes_id = ${d}.id)`;

export class ReviewError extends CoreError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export interface DecisionRow {
  id: number;
  image_id: number;
  action: ReviewAction;
  reviewer: string;
  at: string;
  before_json: string;
  after_json: string;
  proposed_class: string | null;
  final_class: string | null;
  proposal_label_id: number | null;
  proposal_source: LabelSource | null;
  proposal_ref: string | null;
  teacher_run_id: number | null;
  teacher_output_id: number | null;
  template_ref: string | null;
  student_ref: string | null;
  student_class: string | null;
  undoes_id: number | null;
  note: string | null;
  undone_by?: number | null;
}

export const DECISION_COLUMNS = `d.*, (SELECT u.id FROM review_decisions u WHERE u.undoes_id = d.id) AS undone_by`;

export function toDecision(r: DecisionRow): ReviewDecision {
  return {
    id: r.id,
    imageId: r.image_id,
    action: r.action,
    reviewer: r.reviewer,
    at: r.at,
    proposedClass: r.proposed_class,
    finalClass: r.final_class,
    proposalLabelId: r.proposal_label_id,
    proposalSource: r.proposal_source,
    proposalRef: r.proposal_ref,
    teacherRunId: r.teacher_run_id,
    templateRef: r.template_ref,
    studentRef: r.student_ref,
    studentClass: r.student_class,
    before: JSON.parse(r.before_json) as ReviewRowState[],
    after: JSON.parse(r.after_json) as ReviewRowState[],
    undoesId: r.undoes_id,
    undoneBy: r.undone_by ?? null,
    note: r.note,
  };
}

export interface LabelRowFull {
  id: number;
  image_id: number;
  class_name: string;
  source: LabelSource;
  source_ref: string | null;
  status: LabelStatus;
  confidence: number | null;
  decision_id: number | null;
  supersedes_id: number | null;
  created_at: string;
}

export interface AnnotationRow {
  id: number;
  image_id: number;
  kind: 'caption' | 'qa';
  qa_kind: string | null;
  question: string | null;
  answer: string;
  value_nm: number | null;
  source: LabelSource;
  source_ref: string | null;
  status: LabelStatus;
  teacher_output_id: number | null;
  decision_id: number | null;
  supersedes_id: number | null;
}

export interface ProposalRow extends LabelRowFull {
  output_id: number | null;
  run_id: number | null;
  parsed_json: string | null;
  template_name: string | null;
  template_version: number | null;
}

const LABEL_SQL = `SELECT l.id, l.image_id, c.name AS class_name, l.source, l.source_ref, l.status, l.confidence, l.decision_id, l.supersedes_id, l.created_at
  FROM labels l JOIN classes c ON c.id = l.class_id`;

/** The proposal of an image: its newest teacher label, else its newest student label. */
export function proposalOf(db: Db, imageId: number): ProposalRow | null {
  const row = db
    .prepare(
      `SELECT l.id, l.image_id, c.name AS class_name, l.source, l.source_ref, l.status, l.confidence, l.decision_id, l.supersedes_id,
         l.created_at, o.id AS output_id, o.run_id, o.parsed_json, t.name AS template_name, t.version AS template_version
       FROM labels l JOIN classes c ON c.id = l.class_id
       LEFT JOIN teacher_outputs o ON o.label_id = l.id
       LEFT JOIN teacher_templates t ON t.id = o.template_id
       WHERE l.image_id = ? AND l.source IN ('teacher', 'student') AND l.decision_id IS NULL
       ORDER BY (l.source = 'teacher') DESC, l.id DESC LIMIT 1`,
    )
    .get(imageId) as ProposalRow | undefined;
  return row ?? null;
}

export function toProposal(p: ProposalRow): ReviewProposal {
  let rationale: string | null = null;
  if (p.parsed_json) {
    try {
      rationale = (JSON.parse(p.parsed_json) as { rationale?: string }).rationale ?? null;
    } catch {
      rationale = null;
    }
  }
  return {
    labelId: p.id,
    className: p.class_name,
    confidence: p.confidence,
    source: p.source,
    sourceRef: p.source_ref,
    status: p.status,
    rationale,
    teacherRunId: p.run_id,
    teacherOutputId: p.output_id,
    templateRef: p.template_name != null ? `${p.template_name}@${p.template_version}` : null,
  };
}

/** The student's newest prediction set for an image: every student label of its newest model version. */
export function studentOf(db: Db, imageId: number): StudentPrediction | null {
  const rows = db
    .prepare(
      `${LABEL_SQL} WHERE l.image_id = ? AND l.source = 'student' AND l.decision_id IS NULL
       AND coalesce(l.source_ref, '') = coalesce((SELECT source_ref FROM labels WHERE image_id = ? AND source = 'student' ORDER BY id DESC LIMIT 1), '')
       ORDER BY l.id`,
    )
    .all(imageId, imageId) as LabelRowFull[];
  return studentFromRows(rows);
}

/** Top class, margin and entropy from one model version's label rows of one image (one row: top-1 only). */
export function studentFromRows(rows: { class_name: string; confidence: number | null; source_ref: string | null }[]): StudentPrediction | null {
  if (rows.length === 0) return null;
  const sorted = [...rows].sort((a, b) => (b.confidence ?? -1) - (a.confidence ?? -1));
  const top = sorted[0];
  let margin: number | null = null;
  let entropy: number | null = null;
  if (sorted.length >= 2 && sorted.every((r) => r.confidence != null)) {
    const p = sorted.map((r) => Math.max(0, r.confidence!));
    margin = p[0] - p[1];
    const rest = Math.max(0, 1 - p.reduce((s, x) => s + x, 0));
    const all = rest > 1e-9 ? [...p, rest] : p;
    const sum = all.reduce((s, x) => s + x, 0) || 1;
    const h = -all.reduce((s, x) => (x > 0 ? s + (x / sum) * Math.log(x / sum) : s), 0);
    entropy = all.length > 1 ? h / Math.log(all.length) : 0;
  }
  return { className: top.class_name, confidence: top.confidence, sourceRef: top.source_ref, margin, entropy };
}

/** Uncertainty 0..1 of a student prediction: 1 - margin where known, else 1 - top-1 confidence. */
export function studentUncertainty(s: StudentPrediction): number {
  if (s.margin != null) return Math.min(1, Math.max(0, 1 - s.margin));
  if (s.confidence != null) return Math.min(1, Math.max(0, 1 - s.confidence));
  return 0.5;
}

function toAnnotation(a: AnnotationRow): ReviewAnnotation {
  return {
    id: a.id,
    kind: a.kind,
    qaKind: a.qa_kind,
    question: a.question,
    answer: a.answer,
    valueNm: a.value_nm,
    source: a.source,
    sourceRef: a.source_ref,
    status: a.status,
    supersedesId: a.supersedes_id,
  };
}

/** The proposal's caption and Q&A rows (teacher output), in order. */
export function proposalAnnotations(db: Db, outputId: number | null): AnnotationRow[] {
  if (outputId == null) return [];
  return db
    .prepare(`SELECT * FROM annotations WHERE teacher_output_id = ? AND decision_id IS NULL ORDER BY (kind = 'qa'), id`)
    .all(outputId) as AnnotationRow[];
}

/** Live (accepted) operator rows of an image made by decisions: edits of proposals and hand-written pairs. */
export function operatorAnnotations(db: Db, imageId: number): AnnotationRow[] {
  return db
    .prepare(`SELECT * FROM annotations WHERE image_id = ? AND decision_id IS NOT NULL AND status = 'accepted' ORDER BY id`)
    .all(imageId) as AnnotationRow[];
}

/** Annotations as they stand: each proposal row replaced by its newest live edit; then hand-written rows. */
export function currentAnnotations(db: Db, imageId: number, outputId: number | null): ReviewAnnotation[] {
  const base = proposalAnnotations(db, outputId);
  const ops = operatorAnnotations(db, imageId);
  const editOf = new Map<number, AnnotationRow>();
  for (const o of ops) if (o.supersedes_id != null) editOf.set(o.supersedes_id, o);
  const out = base.map((b) => toAnnotation(editOf.get(b.id) ?? b));
  for (const o of ops) if (o.supersedes_id == null) out.push(toAnnotation(o));
  return out;
}

/** The newest decision on the image still in effect (skips and flags included; undo rows not). */
export function lastDecisionOf(db: Db, imageId: number): ReviewDecision | null {
  const row = db
    .prepare(
      `SELECT ${DECISION_COLUMNS} FROM review_decisions d
       WHERE d.image_id = ? AND d.action != 'undo' AND ${NOT_UNDONE('d')} ORDER BY d.id DESC LIMIT 1`,
    )
    .get(imageId) as DecisionRow | undefined;
  return row ? toDecision(row) : null;
}

interface ImageRowLite {
  id: number;
  sha256: string;
  file_name: string;
  width: number;
  height: number;
  bit_depth: number;
  pixel_size_nm: number | null;
  magnification: number | null;
  imported_at: string;
  databar_y: number | null;
  databar_height: number | null;
}

export function imageSummaryOf(db: Db, imageId: number): ImageSummary & { dataBar: DataBarBox | null } {
  const r = db
    .prepare(
      `SELECT id, sha256, file_name, width, height, bit_depth, pixel_size_nm, magnification, imported_at, databar_y, databar_height
       FROM images WHERE id = ?`,
    )
    .get(imageId) as ImageRowLite | undefined;
  if (!r) throw new ReviewError('not_found', `No image with id ${imageId}.`);
  const label = db.prepare(`${LABEL_SQL} WHERE l.image_id = ? AND l.status != 'rejected' ORDER BY (l.status = 'proposed'), l.id DESC LIMIT 1`).get(imageId) as
    LabelRowFull | undefined;
  return {
    id: r.id,
    sha256: r.sha256,
    fileName: r.file_name,
    width: r.width,
    height: r.height,
    bitDepth: r.bit_depth,
    pixelSizeNm: r.pixel_size_nm,
    magnification: r.magnification,
    importedAt: r.imported_at,
    label: label
      ? {
          id: label.id,
          className: label.class_name,
          source: label.source,
          sourceRef: label.source_ref,
          status: label.status,
          confidence: label.confidence,
          createdAt: label.created_at,
        }
      : null,
    dataBar: r.databar_y != null && r.databar_height != null ? { y: r.databar_y, height: r.databar_height } : null,
  };
}

export function reviewItem(db: Db, imageId: number, extra?: { reason: string | null; priority: number | null }): ReviewItem {
  const image = imageSummaryOf(db, imageId);
  const p = proposalOf(db, imageId);
  return {
    image,
    proposal: p ? toProposal(p) : null,
    annotations: currentAnnotations(db, imageId, p?.output_id ?? null),
    student: studentOf(db, imageId),
    lastDecision: lastDecisionOf(db, imageId),
    reason: extra?.reason ?? null,
    priority: extra?.priority ?? null,
  };
}
