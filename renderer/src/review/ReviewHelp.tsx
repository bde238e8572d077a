import { useEffect, useRef } from 'react';

export const REVIEW_KEYS: [string, string][] = [
  ['a', 'Accept the proposal (with the class you picked and your edits)'],
  ['x', 'Reject the proposal'],
  ['Space', 'Skip (it comes back at the end of your queue)'],
  ['Backspace', 'Undo your last decision (also after a restart)'],
  ['1 – 9', 'Pick a class (then a accepts it as an edit)'],
  ['/ or c', 'Type a class name (type-ahead); Enter picks it'],
  ['e', 'Edit the caption and answers inline (Tab: next field, Enter: done, Esc: cancel)'],
  ['q', 'Write a question–answer pair by hand (Enter saves)'],
  ['f', 'Flag for an expert'],
  ['← / →', 'Previous / next image without deciding'],
  ['+ / −  or wheel', 'Zoom in / out; drag to pan'],
  ['0', 'Fit the image'],
  ['Esc', 'Drop the picked class and edits'],
  ['?', 'This help'],
];

export function ReviewHelp({ onClose }: { onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        ref={ref}
        className="modal help"
        role="dialog"
        aria-modal="true"
        aria-label="Review keys"
        tabIndex={-1}
        data-testid="review-help"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="modal-header">
          <h2>Review keys</h2>
          <button type="button" className="icon" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        <dl className="keys">
          {REVIEW_KEYS.map(([k, what]) => (
            <div key={k} className="key-row">
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}
