// Review: one decision per screen. The image large on the left, the proposal on the right, the last decisions
// along the bottom. Keys decide; the screen moves on at once (the next previews are decoded ahead) while the
// decision is stored in order behind it. Undo and the history come from the database, so they survive restarts.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReviewDecision, ReviewDecisionRequest, ReviewItem, ReviewQueueKind } from '../../../main/core/contract.js';
import { api, mediaUrl } from '../api/index.js';
import { formatCount } from '../lib/format.js';
import { actionWord, classForKey, decisionRequest, decisionText, expectedAction, mergeItems } from '../lib/review.js';
import { preview } from './imageCache.js';
import { ProposalPanel } from './ProposalPanel.js';
import { ReviewHelp } from './ReviewHelp.js';
import { ReviewStage, type ReviewStageHandle } from './ReviewStage.js';
import { ReviewStats } from './ReviewStats.js';
import './review.css';
import { messageOf } from '../lib/errors.js';

interface ReviewViewProps {
  onError(message: string): void;
}

interface HistoryEntry {
  key: number;
  imageId: number;
  text: string;
  action: ReviewDecision['action'];
  state: 'saving' | 'saved' | 'failed' | 'undone';
  decisionId: number | null;
}

const QUEUES: { id: ReviewQueueKind; title: string }[] = [
  { id: 'proposals', title: 'Teacher proposals' },
  { id: 'active', title: 'Active learning' },
  { id: 'unlabelled', title: 'No label' },
  { id: 'flagged', title: 'Flagged for an expert' },
];

/** What an empty queue means, and what to do next (calm: an empty queue is a normal state). */
const EMPTY_QUEUE: Record<ReviewQueueKind, { title: string; next: string }> = {
  proposals: {
    title: 'No proposals to review yet',
    next: 'Run the teacher on some images (Teacher view) and its proposals appear here; or choose "No label" above to label images yourself with the number keys.',
  },
  active: {
    title: 'Nothing for active learning yet',
    next: 'This queue ranks images by how unsure the student is. Train a first version (Train view) from reviewed labels, or review teacher proposals first.',
  },
  unlabelled: { title: 'Every image has a label', next: 'Import more images (Library view), or pick another queue above.' },
  flagged: { title: 'Nothing is flagged for an expert', next: 'Press f on an image in any queue to flag it for an expert; it waits here.' },
};

const PAGE = 20;
const PREFETCH_IMAGES = 4;
const REVIEWER_KEY = 'emma.reviewer';

function isEditable(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return !!e && (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA' || e.tagName === 'SELECT' || e.isContentEditable);
}

function storedReviewer(): string {
  try {
    return window.localStorage.getItem(REVIEWER_KEY) || 'operator';
  } catch {
    return 'operator';
  }
}

function fromDecision(d: ReviewDecision, key: number): HistoryEntry {
  return {
    key,
    imageId: d.imageId,
    text: decisionText(d),
    action: d.action,
    state: d.undoneBy != null ? 'undone' : 'saved',
    decisionId: d.id,
  };
}

/** The operator's name as recorded with each decision; applied on Enter or when the field loses focus. */
function ReviewerField({ value, onChange }: { value: string; onChange(name: string): void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const commit = () => {
    const name = text.trim();
    if (name && name !== value) onChange(name);
    else setText(value);
  };
  return (
    <label className="review-check" title="Recorded with each of your decisions">
      reviewer{' '}
      <input
        type="text"
        className="review-reviewer"
        data-testid="review-reviewer"
        value={text}
        maxLength={80}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === 'Escape') (e.target as HTMLInputElement).blur();
        }}
      />
    </label>
  );
}

export function ReviewView({ onError }: ReviewViewProps) {
  const [reviewer, setReviewer] = useState(storedReviewer);
  const [queue, setQueue] = useState<ReviewQueueKind>('proposals');
  const [diversity, setDiversity] = useState(false);
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [pos, setPos] = useState(0);
  const [total, setTotal] = useState<number | null>(null);
  const [exhausted, setExhausted] = useState(false);
  const [loading, setLoading] = useState(false);
  const [classes, setClasses] = useState<string[]>([]);
  const [picked, setPicked] = useState<string | null>(null);
  const [edits, setEdits] = useState<Map<number, string>>(() => new Map());
  const [editing, setEditing] = useState<number | null>(null);
  const [typeAheadText, setTypeAheadText] = useState<string | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [helpOpen, setHelpOpen] = useState(false);
  const [writing, setWriting] = useState(false);
  const [statsOpen, setStatsOpen] = useState(false);
  // Decisions stored in this session that take an image out of the queue, and how many of them the last
  // queue page already counted: "left" is that page's total minus the decisions stored since.
  const [decidedCount, setDecidedCount] = useState(0);
  const [countedAtPage, setCountedAtPage] = useState(0);
  /** Decisions sent but not yet stored (they count in "left" at once). */
  const [pending, setPending] = useState(0);
  const decidedRef = useRef(0);
  const stageRef = useRef<ReviewStageHandle>(null);
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const keyCounter = useRef(0);
  const session = useRef(0);

  const item = items[pos] ?? null;

  useEffect(() => {
    try {
      window.localStorage.setItem(REVIEWER_KEY, reviewer);
    } catch {
      // private mode: the name lasts for this page only
    }
  }, [reviewer]);

  useEffect(() => {
    api.listClasses().then(
      (c) => setClasses(c.map((x) => x.className)),
      (e: unknown) => onError(`Could not load the classes: ${messageOf(e)}`),
    );
  }, [onError]);

  // The reviewer's last decisions, from the database (they survive a restart).
  useEffect(() => {
    let live = true;
    api.listReviewHistory({ reviewer, limit: 12 }).then(
      (ds) => live && setHistory(ds.filter((d) => d.action !== 'undo').map((d) => fromDecision(d, ++keyCounter.current))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [reviewer]);

  // A new queue (or reviewer, or diversity) starts a new session. A page still on its way belongs to the old one and
  // will not clear `loading` when it lands (its session is stale), so the new session clears it here: otherwise a
  // queue picked while the first page loads would never load.
  useEffect(() => {
    session.current++;
    setLoading(false);
    setItems([]);
    setPos(0);
    setTotal(null);
    setExhausted(false);
    decidedRef.current = 0;
    setDecidedCount(0);
    setCountedAtPage(0);
  }, [queue, diversity, reviewer]);

  const loadMore = useCallback(
    (have: ReviewItem[]) => {
      const s = session.current;
      setLoading(true);
      api
        .getReviewQueue({ queue, limit: PAGE, exclude: have.map((i) => i.image.id), diversity, reviewer })
        .then(
          (page) => {
            if (s !== session.current) return;
            setTotal(page.total);
            setCountedAtPage(decidedRef.current);
            if (page.items.length === 0) setExhausted(true);
            setItems((cur) => mergeItems(cur, page.items));
          },
          (e: unknown) => s === session.current && onError(`Could not load the review queue: ${messageOf(e)}`),
        )
        .finally(() => s === session.current && setLoading(false));
    },
    [queue, diversity, reviewer, onError],
  );

  // Keep a page ahead; decode the next previews.
  useEffect(() => {
    if (!loading && !exhausted && items.length - pos < PAGE / 2) loadMore(items);
    for (let k = pos; k < Math.min(items.length, pos + PREFETCH_IMAGES); k++) preview(items[k].image.id);
  }, [pos, items, loading, exhausted, loadMore]);

  const resetScreen = useCallback(() => {
    setPicked(null);
    setEdits(new Map());
    setEditing(null);
    setTypeAheadText(null);
    setWriting(false);
  }, []);

  const refreshItem = useCallback((imageId: number) => {
    api.getReviewItem(imageId).then(
      (fresh) => setItems((cur) => cur.map((i) => (i.image.id === imageId ? { ...fresh, reason: i.reason, priority: i.priority } : i))),
      () => undefined,
    );
  }, []);

  const goTo = useCallback(
    (imageId: number) => {
      const index = items.findIndex((i) => i.image.id === imageId);
      resetScreen();
      if (index >= 0) {
        setPos(index);
        refreshItem(imageId);
      } else {
        api.getReviewItem(imageId).then(
          (fresh) => {
            setItems((cur) => [...cur.slice(0, pos), fresh, ...cur.slice(pos)]);
          },
          (e: unknown) => onError(messageOf(e)),
        );
      }
    },
    [items, pos, resetScreen, refreshItem, onError],
  );

  const decide = useCallback(
    (action: ReviewDecisionRequest['action'], withClass?: string) => {
      if (!item) return;
      const req = decisionRequest(item, action, reviewer, withClass ?? picked, edits);
      if (action === 'accept' && !req.className) {
        onError("No proposal here: press a class's number (1–9) to label it, or / to type a class name and then a.");
        return;
      }
      const key = ++keyCounter.current;
      const entry: HistoryEntry = {
        key,
        imageId: item.image.id,
        text: decisionText({ action: expectedAction(item, req), proposedClass: item.proposal?.className ?? null, finalClass: req.className ?? null }),
        action: expectedAction(item, req),
        state: 'saving',
        decisionId: null,
      };
      setHistory((h) => [entry, ...h].slice(0, 30));
      resetScreen();
      setPos((p) => p + 1);
      // "left" counts the decision at once; the stored count takes over when the core has it.
      const counts = req.action !== 'skip';
      if (counts) setPending((n) => n + 1);
      const update = (patch: Partial<HistoryEntry>) => setHistory((h) => h.map((e) => (e.key === key ? { ...e, ...patch } : e)));
      chain.current = chain.current.then(() =>
        api.decideReview(req).then(
          (d) => {
            if (counts) setPending((n) => n - 1);
            if (d.action !== 'skip') setDecidedCount((decidedRef.current += 1));
            update({ state: 'saved', decisionId: d.id, text: decisionText(d), action: d.action });
            // The decision comes back with the image's item as stored: one round trip per key press.
            const fresh = d.item;
            setItems((cur) => cur.map((i) => (i.image.id === d.imageId ? { ...fresh, reason: i.reason, priority: i.priority } : i)));
          },
          (e: unknown) => {
            if (counts) setPending((n) => n - 1);
            update({ state: 'failed' });
            onError(`Not saved (${item.image.fileName}): ${messageOf(e)}`);
          },
        ),
      );
    },
    [item, reviewer, picked, edits, resetScreen, onError],
  );

  const undo = useCallback(() => {
    // Show the image being undone at once; the core decides which decision that is (the newest in effect).
    const last = history.find((h) => h.state === 'saving' || h.state === 'saved');
    if (last) {
      const index = items.findIndex((i) => i.image.id === last.imageId);
      if (index >= 0) setPos(index);
    }
    resetScreen();
    chain.current = chain.current.then(() =>
      api.undoReview({ reviewer }).then(
        (r) => {
          setHistory((h) => h.map((e) => (e.decisionId === r.undone.id ? { ...e, state: 'undone' } : e)));
          if (r.undone.action !== 'skip' && r.undone.action !== 'annotate') setDecidedCount((decidedRef.current -= 1));
          goTo(r.undone.imageId);
        },
        (e: unknown) => onError(messageOf(e)),
      ),
    );
  }, [history, items, reviewer, resetScreen, goTo, onError]);

  const startEdit = useCallback(
    (id?: number) => {
      if (!item || item.annotations.length === 0) return;
      setEditing(id ?? item.annotations[0].id);
    },
    [item],
  );

  const onEditKey = useCallback(
    (id: number, key: 'next' | 'done' | 'cancel') => {
      if (!item) return;
      if (key === 'cancel') {
        setEdits((m) => {
          const n = new Map(m);
          n.delete(id);
          return n;
        });
        setEditing(null);
      } else if (key === 'done') setEditing(null);
      else {
        const k = item.annotations.findIndex((a) => a.id === id);
        setEditing(item.annotations[k + 1]?.id ?? null);
      }
    },
    [item],
  );

  const onEditChange = useCallback((id: number, text: string) => {
    setEdits((m) => new Map(m).set(id, text));
  }, []);

  const onPick = useCallback((c: string) => setPicked(c), []);

  const onWrite = useCallback(
    (qa: { question: string; answer: string } | null) => {
      setWriting(false);
      if (!qa || !item) return;
      const imageId = item.image.id;
      chain.current = chain.current.then(() =>
        api.addAnnotation({ imageId, kind: 'qa', question: qa.question, answer: qa.answer, reviewer }).then(
          (d) => {
            setHistory((h) => [fromDecision(d, ++keyCounter.current), ...h].slice(0, 30));
            refreshItem(imageId);
          },
          (e: unknown) => onError(`The question–answer pair was not saved: ${messageOf(e)}`),
        ),
      );
    },
    [item, reviewer, refreshItem, onError],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (statsOpen || document.querySelector('[data-testid="help-overlay"]')) return; // a dialog has the keys
      if (e.key === '?' && !isEditable(e.target)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        setHelpOpen((o) => !o);
        return;
      }
      if (helpOpen) {
        if (e.key === 'Escape') setHelpOpen(false);
        e.stopImmediatePropagation();
        return;
      }
      if (isEditable(e.target) || e.defaultPrevented) return;
      let handled = true;
      switch (e.key) {
        case 'a':
          decide('accept');
          break;
        case 'x':
          decide('reject');
          break;
        case ' ':
          decide('skip');
          break;
        case 'f':
          decide('flag');
          break;
        case 'Backspace':
          undo();
          break;
        case 'e':
          startEdit();
          break;
        case 'q':
          if (item) setWriting(true);
          break;
        case '/':
        case 'c':
          setTypeAheadText('');
          break;
        case 'ArrowRight':
          if (pos < items.length) {
            resetScreen();
            setPos(pos + 1);
          }
          break;
        case 'ArrowLeft':
          if (pos > 0) {
            resetScreen();
            setPos(pos - 1);
          }
          break;
        case '+':
        case '=':
          stageRef.current?.zoomBy(1.25);
          break;
        case '-':
        case '_':
          stageRef.current?.zoomBy(1 / 1.25);
          break;
        case '0':
          stageRef.current?.fit();
          break;
        case 'Escape':
          resetScreen();
          break;
        default: {
          // One key: a digit accepts with that class (an edit when it differs from the proposal); Backspace undoes.
          const c = classForKey(classes, e.key);
          if (c) decide('accept', c);
          else handled = false;
        }
      }
      if (handled) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    };
    // Capture phase: the review's keys (and its own ?) are handled before the shell's.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [decide, undo, startEdit, resetScreen, pos, items.length, classes, helpOpen, statsOpen, item]);

  const left = total == null ? null : Math.max(0, total - (decidedCount - countedAtPage) - pending);
  const strip = useMemo(() => history.slice(0, 12), [history]);
  const canUndo = history.some((h) => h.state === 'saving' || h.state === 'saved');

  return (
    <section className="review" aria-label="Review" data-testid="review-view">
      <div className="review-toolbar">
        <h1>Review</h1>
        <select value={queue} onChange={(e) => setQueue(e.target.value as ReviewQueueKind)} data-testid="review-queue" aria-label="Queue">
          {QUEUES.map((q) => (
            <option key={q.id} value={q.id}>
              {q.title}
            </option>
          ))}
        </select>
        <label className="review-check" title="Interleave classes and acquisition series so near-identical images do not come in a row">
          <input type="checkbox" checked={diversity} onChange={(e) => setDiversity(e.target.checked)} /> diverse order
        </label>
        <ReviewerField value={reviewer} onChange={setReviewer} />
        <span className="review-left muted" data-testid="review-left" aria-live="polite">
          {left == null ? 'Loading…' : `${formatCount(left)} left`}
        </span>
        <button type="button" className="link" onClick={() => setStatsOpen(true)} data-testid="review-stats-open">
          Agreement &amp; export
        </button>
        <button type="button" className="link" onClick={() => setHelpOpen(true)}>
          Keys <kbd>?</kbd>
        </button>
      </div>
      <div className="review-body">
        <ReviewStage ref={stageRef} item={item} />
        {item ? (
          <ProposalPanel
            item={item}
            classes={classes}
            picked={picked}
            edits={edits}
            editing={editing}
            typeAheadText={typeAheadText}
            onEditChange={onEditChange}
            onEditKey={onEditKey}
            onStartEdit={startEdit}
            onPick={onPick}
            onTypeAhead={setTypeAheadText}
            writing={writing}
            onWrite={onWrite}
          />
        ) : (
          <aside className="review-panel review-empty" data-testid="review-empty">
            {exhausted || total === 0 ? (
              <>
                <p className="empty-title">{canUndo ? 'Nothing left in this queue' : EMPTY_QUEUE[queue].title}</p>
                <p className="muted" data-testid="review-empty-next">
                  {canUndo ? 'Done here. Backspace undoes your last decision; ← goes back; or pick another queue above.' : EMPTY_QUEUE[queue].next}
                </p>
              </>
            ) : (
              <p className="muted">Loading…</p>
            )}
          </aside>
        )}
      </div>
      <div className="review-actions" onMouseDown={(e) => e.target instanceof HTMLElement && e.target.closest('button') && e.preventDefault()}>
        <button type="button" onClick={() => decide('accept')} disabled={!item}>
          <kbd>a</kbd> accept
        </button>
        <button type="button" onClick={() => decide('reject')} disabled={!item?.proposal}>
          <kbd>x</kbd> reject
        </button>
        <button type="button" onClick={() => decide('skip')} disabled={!item}>
          <kbd>space</kbd> skip
        </button>
        <button type="button" onClick={() => decide('flag')} disabled={!item}>
          <kbd>f</kbd> flag
        </button>
        <button
          type="button"
          onClick={undo}
          disabled={!canUndo}
          data-testid="review-undo"
          title={canUndo ? 'Undo your last decision (Backspace)' : 'Nothing to undo yet'}
        >
          <kbd>⌫</kbd> undo
        </button>
        <ol className="review-history" data-testid="review-history" aria-label="Last decisions">
          {strip.map((h) => (
            <li key={h.key}>
              <button
                type="button"
                tabIndex={-1}
                className={`review-hist review-hist-${h.state} review-act-${h.action}`}
                data-testid="review-history-item"
                data-action={h.action}
                data-state={h.state}
                data-image-id={h.imageId}
                title={`${h.text} (${h.state}) — click to review it again`}
                onClick={() => goTo(h.imageId)}
              >
                <img src={mediaUrl(h.imageId, 'thumb')} alt="" loading="lazy" />
                <span>{h.state === 'undone' ? `${actionWord('undo')}: ${h.text}` : h.text}</span>
              </button>
            </li>
          ))}
        </ol>
      </div>
      {helpOpen && <ReviewHelp onClose={() => setHelpOpen(false)} />}
      {statsOpen && <ReviewStats onClose={() => setStatsOpen(false)} onError={onError} />}
    </section>
  );
}
