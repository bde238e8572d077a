// Pure helpers of the review view: number keys and type-ahead for classes, the decision request for what is on
// screen, the words for a decision, and merging queue pages. No DOM, no API.
import type { ReviewDecision, ReviewDecisionRequest, ReviewItem } from '../../../main/core/contract.js';

/** The class a number key picks: '1' is the first class shown, up to '9'. */
export function classForKey(classes: readonly string[], key: string): string | null {
  if (!/^[1-9]$/.test(key)) return null;
  return classes[Number(key) - 1] ?? null;
}

/** Classes matching what was typed: prefix matches first, then word-prefix, then substring; case-insensitive. */
export function typeAhead(classes: readonly string[], query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...classes];
  const prefix: string[] = [];
  const word: string[] = [];
  const sub: string[] = [];
  for (const c of classes) {
    const l = c.toLowerCase();
    if (l.startsWith(q)) prefix.push(c);
    else if (l.split(/[\s_\-/]+/).some((w) => w.startsWith(q))) word.push(c);
    else if (l.includes(q)) sub.push(c);
  }
  return [...prefix, ...word, ...sub];
}

/** What accepting the screen means: the picked class (if any) and the edited texts that differ from what is shown. */
export function decisionRequest(
  item: ReviewItem,
  action: ReviewDecisionRequest['action'],
  reviewer: string,
  pickedClass: string | null,
  edits: ReadonlyMap<number, string>,
): ReviewDecisionRequest {
  const req: ReviewDecisionRequest = { imageId: item.image.id, action, reviewer };
  if (action !== 'accept') return req;
  const cls = pickedClass ?? item.proposal?.className ?? null;
  if (cls) req.className = cls;
  const changed = item.annotations
    .filter((a) => edits.has(a.id) && edits.get(a.id) !== a.answer)
    .map((a) => ({ annotationId: a.id, answer: edits.get(a.id)! }));
  if (changed.length) req.edits = changed;
  return req;
}

/** The action a request will be recorded as, before the core says so (for the history strip). */
export function expectedAction(item: ReviewItem, req: ReviewDecisionRequest): ReviewDecision['action'] {
  if (req.action !== 'accept') return req.action;
  return req.edits?.length || (item.proposal ? req.className !== item.proposal.className : true) ? 'edit' : 'accept';
}

const WORDS: Record<ReviewDecision['action'], string> = {
  accept: 'accepted',
  edit: 'edited',
  reject: 'rejected',
  skip: 'skipped',
  flag: 'flagged',
  assign: 'labelled',
  annotate: 'noted',
  undo: 'undone',
};

export function actionWord(action: ReviewDecision['action']): string {
  return WORDS[action];
}

/** One line about a decision: "accepted · bridges", "edited · short → open", "rejected · cracks". */
export function decisionText(d: Pick<ReviewDecision, 'action' | 'proposedClass' | 'finalClass'>): string {
  const w = actionWord(d.action);
  if (d.action === 'edit' && d.proposedClass && d.finalClass && d.proposedClass !== d.finalClass) return `${w} · ${d.proposedClass} → ${d.finalClass}`;
  const cls = d.finalClass ?? d.proposedClass;
  return cls ? `${w} · ${cls}` : w;
}

/** Appends queue items the session does not hold yet. */
export function mergeItems(items: readonly ReviewItem[], incoming: readonly ReviewItem[]): ReviewItem[] {
  const have = new Set(items.map((i) => i.image.id));
  return [...items, ...incoming.filter((i) => !have.has(i.image.id))];
}

export function formatConfidence(c: number | null): string {
  return c == null ? '—' : `${Math.round(c * 100)} %`;
}
