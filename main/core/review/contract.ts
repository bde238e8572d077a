// The review domain's slice of the contract: queues, decisions with undo, history, bulk labels, annotations,
// statistics and exports (main/core/review). Every decision is an append-only history row; an undo is one too.
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { DataBarBox, ImageSummary, LabelSource, LabelStatus } from '../library/contract.js';

export type ReviewQueueKind = 'proposals' | 'unlabelled' | 'active' | 'flagged';

export type ReviewAction = 'accept' | 'edit' | 'reject' | 'skip' | 'flag' | 'assign' | 'annotate' | 'undo';

export interface ReviewQueueQuery {
  queue: ReviewQueueKind;
  limit: number;
  /** Image ids the caller already holds or has just decided: not returned again. */
  exclude?: number[];
  /** Spread the order over proposed classes and acquisition series, so near-identical images do not come in a row. */
  diversity?: boolean;
  /** Whose skips go to the end of the queue. */
  reviewer?: string;
}

export interface ReviewAnnotation {
  id: number;
  kind: 'caption' | 'qa';
  qaKind: string | null;
  question: string | null;
  answer: string;
  valueNm: number | null;
  source: LabelSource;
  sourceRef: string | null;
  status: LabelStatus;
  /** The proposal this row replaces (an operator's edit of it); null for proposals and hand-written pairs. */
  supersedesId: number | null;
}

/** What is being decided on: the newest teacher label of the image, else the newest student label. */
export interface ReviewProposal {
  labelId: number;
  className: string;
  confidence: number | null;
  source: LabelSource;
  sourceRef: string | null;
  status: LabelStatus;
  rationale: string | null;
  teacherRunId: number | null;
  teacherOutputId: number | null;
  /** Prompt template as name@version. */
  templateRef: string | null;
}

export interface StudentPrediction {
  className: string;
  confidence: number | null;
  /** The model version that predicted it (labels.source_ref). */
  sourceRef: string | null;
  /** Top-1 minus top-2 probability, where the student stored more than one class; null otherwise. */
  margin: number | null;
  /** Normalised entropy 0..1 of the stored class probabilities; null with a single class. */
  entropy: number | null;
}

export interface ReviewRowState {
  table: 'labels' | 'annotations';
  id: number;
  /** null: the row did not exist on this side (created by the decision, or removed by its undo). */
  status: LabelStatus | null;
  className?: string;
  question?: string | null;
  answer?: string;
}

export interface ReviewDecision {
  id: number;
  imageId: number;
  action: ReviewAction;
  reviewer: string;
  at: string;
  proposedClass: string | null;
  /** The class the operator settled on; null for a reject (or a skip / flag / note). */
  finalClass: string | null;
  proposalLabelId: number | null;
  proposalSource: LabelSource | null;
  proposalRef: string | null;
  teacherRunId: number | null;
  templateRef: string | null;
  studentRef: string | null;
  studentClass: string | null;
  before: ReviewRowState[];
  after: ReviewRowState[];
  undoesId: number | null;
  /** The undo that reverted this decision, if any. */
  undoneBy: number | null;
  note: string | null;
}

export interface ReviewItem {
  image: ImageSummary & { dataBar: DataBarBox | null };
  proposal: ReviewProposal | null;
  /** Caption and Q&A pairs as they stand: an operator's edit shown in place of the proposal it replaces. */
  annotations: ReviewAnnotation[];
  student: StudentPrediction | null;
  /** The newest decision on this image still in effect (any reviewer). */
  lastDecision: ReviewDecision | null;
  /** Why the image is at this place in the queue (active learning), in words. */
  reason: string | null;
  priority: number | null;
}

export interface ReviewQueuePage {
  queue: ReviewQueueKind;
  /** Images in the queue, those excluded included. */
  total: number;
  items: ReviewItem[];
}

export interface ReviewTextEdit {
  /** The annotation shown (a proposal, or an earlier edit of it). */
  annotationId: number;
  answer: string;
  question?: string;
}

export interface ReviewDecisionRequest {
  imageId: number;
  action: 'accept' | 'reject' | 'skip' | 'flag';
  /** Accept with this class instead of the proposed one (an edit); required where there is no proposal. */
  className?: string;
  /** Edited caption / answers, accepted with the decision. */
  edits?: ReviewTextEdit[];
  reviewer: string;
  note?: string;
}

/**
 * decideReview's answer: the decision and everything the review screen shows after it, in one round trip: the
 * decided image's state now (its label, texts and last decision) for the history strip and going back to it.
 */
export interface ReviewDecisionResult extends ReviewDecision {
  item: ReviewItem;
}

export interface ReviewUndoRequest {
  reviewer: string;
  /** Default: the reviewer's newest decision still in effect. */
  decisionId?: number;
  /**
   * Only the reviewer's own decisions may be undone (set by the lab server for operators: a colleague's decision is
   * undone by that colleague or a lead). Single-user modes leave it unset.
   */
  ownOnly?: boolean;
}

export interface ReviewUndoResult {
  undo: ReviewDecision;
  undone: ReviewDecision;
}

export interface ReviewHistoryQuery {
  imageId?: number;
  reviewer?: string;
  /** Older than this decision id (paging back). */
  beforeId?: number;
  limit: number;
}

export interface AssignLabelsRequest {
  imageIds: number[];
  className: string;
  reviewer: string;
}

export interface AssignLabelsResult {
  decisions: number;
  /** Images that already had exactly this class from this reviewer. */
  unchanged: number;
}

export interface AddAnnotationRequest {
  imageId: number;
  kind: 'caption' | 'qa';
  question?: string;
  answer: string;
  reviewer: string;
}

export interface AgreementCount {
  n: number;
  agreed: number;
  /** agreed / n; null when n = 0. */
  rate: number | null;
}

export interface ClassAgreement {
  className: string;
  /** Reviewed teacher proposals of this class, and how many the operator kept. */
  teacher: AgreementCount;
  /** Operator-labelled images of this class with a student prediction, and how many the student got. */
  student: AgreementCount;
}

export interface OperatorKappa {
  a: string;
  b: string;
  /** Images both reviewed. */
  n: number;
  observed: number;
  /** Cohen's kappa over the final classes (a reject counts as its own category); null when undefined. */
  kappa: number | null;
}

export interface ReviewStats {
  queues: Record<ReviewQueueKind, number>;
  /** Decisions in effect (not undone), all actions. */
  decisions: number;
  reviewedImages: number;
  reviewers: { reviewer: string; decisions: number; lastAt: string }[];
  teacher: AgreementCount;
  student: AgreementCount;
  perClass: ClassAgreement[];
  kappa: OperatorKappa[];
}

export type ReviewExportFormat = 'llava' | 'jsonl' | 'csv' | 'imagefolder';

export interface ReviewExportFilter {
  classNames?: string[];
  /** Only images whose class an operator of these decided (folder-import labels have none). */
  reviewers?: string[];
  /** Only images with a review decision (leaves out accepted labels that came with an import). */
  reviewedOnly?: boolean;
}

export interface ReviewExportRequest {
  format: ReviewExportFormat;
  /** A file (llava, jsonl, csv) or a folder (imagefolder), on the machine that runs the core. */
  outPath: string;
  filter?: ReviewExportFilter;
  /** imagefolder (and llava's images/ folder): copy the originals (default), hard-link or symlink them. */
  imageMode?: 'copy' | 'hardlink' | 'symlink';
  /** Write PNG copies of the specimen area, data bar cropped, instead of the original files. */
  cropDataBar?: boolean;
  /** llava: copy the images into an images/ folder beside the JSON and refer to them relatively. */
  copyImages?: boolean;
  actor?: string;
}

export interface ReviewExportInfo {
  id: number;
  format: ReviewExportFormat;
  outPath: string;
  filter: ReviewExportFilter;
  images: number;
  files: number;
  /** Images per class in the export. */
  classes: Record<string, number>;
  createdBy: string;
  createdAt: string;
}

/** The review methods of EmmaApi (contract.ts merges every domain's). */
export interface ReviewContract {
  /** The next images of a queue, each with its proposal, caption and Q&A pairs, student prediction and last decision. */
  getReviewQueue(query: ReviewQueueQuery): Promise<ReviewQueuePage>;
  getReviewItem(imageId: number): Promise<ReviewItem>;
  /** Accept (with an edited class or texts: an edit), reject, skip or flag for an expert; answers with the image as it now stands. */
  decideReview(request: ReviewDecisionRequest): Promise<ReviewDecisionResult>;
  /** Reverts a decision (default: the reviewer's newest in effect); on one image, newest first. */
  undoReview(request: ReviewUndoRequest): Promise<ReviewUndoResult>;
  /** Decisions, newest first. */
  listReviewHistory(query: ReviewHistoryQuery): Promise<ReviewDecision[]>;
  /** One class for many images (manual labeling); one decision per image. */
  assignLabels(request: AssignLabelsRequest): Promise<AssignLabelsResult>;
  /** A caption or question–answer pair written by hand. */
  addAnnotation(request: AddAnnotationRequest): Promise<ReviewDecision>;
  getReviewStats(): Promise<ReviewStats>;
  /** Writes the reviewed set (llava, jsonl, csv, imagefolder) on the core's machine and records it. */
  exportReview(request: ReviewExportRequest): Promise<ReviewExportInfo>;
  listReviewExports(limit: number): Promise<ReviewExportInfo[]>;
}

/** Method names of ReviewContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const REVIEW_METHODS = [
  'getReviewQueue',
  'getReviewItem',
  'decideReview',
  'undoReview',
  'listReviewHistory',
  'assignLabels',
  'addAnnotation',
  'getReviewStats',
  'exportReview',
  'listReviewExports',
] as const satisfies readonly (keyof ReviewContract)[];
