// The proposal beside the image: class with confidence and rationale (with who proposed it), the student's view,
// the classes under number keys, and the caption and Q&A pairs, editable inline.
import { memo, useEffect, useRef, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { ReviewAnnotation, ReviewItem } from '../../../main/core/contract.js';
import { formatLength, formatMagnification, formatPixelSize } from '../lib/format.js';
import { decisionText, formatConfidence, typeAhead } from '../lib/review.js';

interface ProposalPanelProps {
  item: ReviewItem;
  classes: string[];
  picked: string | null;
  edits: ReadonlyMap<number, string>;
  editing: number | null;
  typeAheadText: string | null;
  onEditChange(id: number, text: string): void;
  onEditKey(id: number, key: 'next' | 'done' | 'cancel'): void;
  onStartEdit(id: number): void;
  onPick(cls: string): void;
  onTypeAhead(text: string | null): void;
  /** The hand-written Q&A form is open (key q). */
  writing: boolean;
  onWrite(qa: { question: string; answer: string } | null): void;
}

/** A question–answer pair written by hand: Enter in the answer saves, Esc closes. */
function QaForm({ onDone }: { onDone(qa: { question: string; answer: string } | null): void }) {
  const q = useRef<HTMLInputElement>(null);
  const a = useRef<HTMLTextAreaElement>(null);
  useEffect(() => q.current?.focus(), []);
  const save = () => {
    const question = q.current?.value.trim() ?? '';
    const answer = a.current?.value.trim() ?? '';
    if (question && answer) onDone({ question, answer });
  };
  const keys = (e: ReactKeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onDone(null);
    }
  };
  return (
    <div className="review-qa-form" data-testid="review-qa-form">
      <input
        ref={q}
        type="text"
        placeholder="Question"
        data-testid="review-qa-question"
        onKeyDown={(e) => {
          keys(e);
          if (e.key === 'Enter') {
            e.preventDefault();
            a.current?.focus();
          }
        }}
      />
      <textarea
        ref={a}
        rows={2}
        placeholder="Answer (Enter saves, Esc cancels)"
        data-testid="review-qa-answer"
        onKeyDown={(e) => {
          keys(e);
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            save();
          }
        }}
      />
    </div>
  );
}

function AnnotationRow({
  a,
  value,
  editing,
  onChange,
  onKey,
  onStart,
  pixelSizeNm,
}: {
  a: ReviewAnnotation;
  value: string;
  editing: boolean;
  onChange(text: string): void;
  onKey(key: 'next' | 'done' | 'cancel'): void;
  onStart(): void;
  pixelSizeNm: number | null;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (editing) {
      ref.current?.focus();
      ref.current?.select();
    }
  }, [editing]);
  const changed = value !== a.answer;
  return (
    <li className={`review-ann${changed ? ' changed' : ''}`} data-testid={`review-ann-${a.kind}`} data-annotation-id={a.id}>
      {a.kind === 'qa' ? (
        <div className="review-q">
          <span className="qa-tag" aria-label="Question">
            Q
          </span>
          {a.question}
        </div>
      ) : (
        <div className="review-q muted">Caption</div>
      )}
      {editing ? (
        <textarea
          ref={ref}
          className="review-edit"
          data-testid="review-edit"
          value={value}
          rows={Math.min(8, Math.max(2, Math.ceil(value.length / 48)))}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              onKey('cancel');
            } else if (e.key === 'Tab' && !e.shiftKey) {
              e.preventDefault();
              onKey('next');
            } else if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              onKey('done');
            }
          }}
        />
      ) : (
        <div className="review-a" onClick={onStart} title="Click or press e to edit">
          {a.kind === 'qa' && (
            <span className="qa-tag" aria-label="Answer">
              A
            </span>
          )}
          {value}
          {a.source === 'human' && a.supersedesId != null && <span className="review-badge">edited</span>}
          {a.source === 'human' && a.supersedesId == null && <span className="review-badge">by hand</span>}
          {changed && <span className="review-badge warn">unsaved edit</span>}
          {a.valueNm != null && <span className="review-badge">{formatLength(a.valueNm)}</span>}
          {a.valueNm != null && pixelSizeNm != null && a.valueNm < pixelSizeNm && (
            <span
              className="review-badge warn"
              data-testid="review-subpixel"
              title="A size smaller than one pixel cannot be read from this image: check or correct the answer"
            >
              smaller than one pixel ({formatLength(a.valueNm)} at {formatPixelSize(pixelSizeNm)})
            </span>
          )}
        </div>
      )}
    </li>
  );
}

export const ProposalPanel = memo(function ProposalPanel(props: ProposalPanelProps) {
  const { item, classes, picked, edits, editing, typeAheadText } = props;
  const p = item.proposal;
  const s = item.student;
  const current = picked ?? p?.className ?? null;
  const shownClasses = typeAheadText != null ? typeAhead(classes, typeAheadText) : classes;
  const taRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (typeAheadText != null) taRef.current?.focus();
  }, [typeAheadText != null]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <aside className="review-panel" data-testid="review-panel">
      <div className="review-file" title={item.image.fileName}>
        {item.image.fileName}
      </div>
      <div className="muted small">
        {[
          item.image.magnification != null ? formatMagnification(item.image.magnification) : null,
          item.image.pixelSizeNm != null ? formatPixelSize(item.image.pixelSizeNm) : 'no calibration',
          `${item.image.width}×${item.image.height}`,
        ]
          .filter(Boolean)
          .join(' · ')}
      </div>
      {item.lastDecision && (
        <div className="review-decided" data-testid="review-decided">
          {decisionText(item.lastDecision)} by {item.lastDecision.reviewer}
        </div>
      )}
      <section className="review-proposal">
        {p ? (
          <>
            <div className="review-label-line">
              <span className={`review-class source-${p.source}`} data-testid="review-proposed-class">
                {p.className}
              </span>
              <span className="review-conf" title="The proposer's confidence">
                {formatConfidence(p.confidence)}
              </span>
              {p.status !== 'proposed' && <span className="review-badge">{p.status}</span>}
            </div>
            {p.rationale && <p className="review-rationale">{p.rationale}</p>}
            <div className="muted small" title={p.sourceRef ?? ''}>
              {p.source === 'teacher' ? `teacher run ${p.teacherRunId ?? '?'} · ${p.templateRef ?? ''}` : (p.sourceRef ?? p.source)}
            </div>
          </>
        ) : (
          <div className="muted">No proposal: press a class's number to label it (or / to type a name, then a).</div>
        )}
        {s && (
          <div className="review-student small" data-testid="review-student">
            student: <strong>{s.className}</strong> {formatConfidence(s.confidence)}
            {s.margin != null && ` · margin ${s.margin.toFixed(2)}`} {s.sourceRef && <span className="muted">({s.sourceRef})</span>}
          </div>
        )}
        {item.reason && <div className="review-reason small">{item.reason}</div>}
      </section>
      {picked && picked !== p?.className && (
        <div className="review-picked" data-testid="review-picked">
          a accepts as <strong>{picked}</strong>
        </div>
      )}
      <section>
        {typeAheadText != null && (
          <input
            ref={taRef}
            type="text"
            className="review-typeahead"
            data-testid="review-typeahead"
            placeholder="Type a class name, Enter picks"
            value={typeAheadText}
            onChange={(e) => props.onTypeAhead(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                const first = typeAhead(classes, typeAheadText)[0];
                if (first) props.onPick(first);
                props.onTypeAhead(null);
              } else if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                props.onTypeAhead(null);
              }
            }}
          />
        )}
        <ol className="review-classes" data-testid="review-classes">
          {shownClasses.map((c) => {
            const n = classes.indexOf(c);
            return (
              <li key={c}>
                <button
                  type="button"
                  tabIndex={-1}
                  className={`review-class-btn${c === current ? ' active' : ''}${c === p?.className ? ' proposed' : ''}`}
                  onClick={() => props.onPick(c)}
                >
                  {n < 9 && typeAheadText == null ? <kbd>{n + 1}</kbd> : null} {c}
                </button>
              </li>
            );
          })}
        </ol>
      </section>
      {props.writing && <QaForm onDone={props.onWrite} />}
      {item.annotations.length > 0 && (
        <ul className="review-anns">
          {item.annotations.map((a) => (
            <AnnotationRow
              key={a.id}
              a={a}
              value={edits.get(a.id) ?? a.answer}
              editing={editing === a.id}
              onChange={(t) => props.onEditChange(a.id, t)}
              onKey={(k) => props.onEditKey(a.id, k)}
              onStart={() => props.onStartEdit(a.id)}
              pixelSizeNm={item.image.pixelSizeNm}
            />
          ))}
        </ul>
      )}
    </aside>
  );
});
