// The review service that the API (and the CLI) drives. Every write is one SQLite transaction; nothing about a
// review lives only in memory, so undo, queues and history survive a restart.
import type {
  AddAnnotationRequest,
  AssignLabelsRequest,
  AssignLabelsResult,
  ReviewDecision,
  ReviewDecisionRequest,
  ReviewDecisionResult,
  ReviewExportInfo,
  ReviewExportRequest,
  ReviewHistoryQuery,
  ReviewItem,
  ReviewQueuePage,
  ReviewQueueQuery,
  ReviewStats,
  ReviewUndoRequest,
  ReviewUndoResult,
} from '../contract.js';
import type { Db } from '../db/database.js';
import type { EventHub } from '../util/events.js';
import { reviewStats } from './agreement.js';
import { addAnnotation, assignLabels, decide, listHistory, undo } from './decide.js';
import { exportReviewed, listExports } from './export.js';
import { getQueue } from './queues.js';
import { SignatureCache } from './signature.js';
import { reviewItem } from './state.js';

export { ReviewError } from './state.js';

export class ReviewService {
  private readonly signatures: SignatureCache | null;

  constructor(
    private readonly db: Db,
    private readonly events: EventHub | null,
    /** Who exports when the request does not say ('app', 'cli'). */
    private readonly actor: string,
    /** The data folder (thumbnail cache) for image signatures in the diversity order; without it, series only. */
    dataDir?: string,
  ) {
    this.signatures = dataDir ? new SignatureCache(db, dataDir) : null;
  }

  /** Review writes change labels and texts only, never which images exist. */
  private changed(): void {
    this.events?.emit({ type: 'library-changed', scope: 'labels' });
  }

  queue(q: ReviewQueueQuery): Promise<ReviewQueuePage> {
    const sigs = this.signatures;
    return getQueue(this.db, q, sigs ? (ids) => sigs.forIds(ids) : undefined);
  }

  item(imageId: number): ReviewItem {
    return reviewItem(this.db, imageId);
  }

  /** One decision, answered with the image as it now stands (the screen needs no second call). */
  decide(req: ReviewDecisionRequest): ReviewDecisionResult {
    const d = decide(this.db, req);
    if (d.action !== 'skip' && d.action !== 'flag') this.changed();
    return { ...d, item: reviewItem(this.db, d.imageId) };
  }

  undo(req: ReviewUndoRequest): ReviewUndoResult {
    const r = undo(this.db, req);
    if (r.undo.before.length) this.changed();
    return r;
  }

  history(q: ReviewHistoryQuery): ReviewDecision[] {
    return listHistory(this.db, q);
  }

  assign(req: AssignLabelsRequest): AssignLabelsResult {
    const r = assignLabels(this.db, req);
    if (r.decisions) this.changed();
    return r;
  }

  annotate(req: AddAnnotationRequest): ReviewDecision {
    return addAnnotation(this.db, req);
  }

  stats(): ReviewStats {
    return reviewStats(this.db);
  }

  export(req: ReviewExportRequest): Promise<ReviewExportInfo> {
    return exportReviewed(this.db, req, this.actor);
  }

  exports(limit: number): ReviewExportInfo[] {
    return listExports(this.db, limit);
  }
}
