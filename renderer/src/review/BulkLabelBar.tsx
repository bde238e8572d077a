// Manual labeling from the library grid: ctrl/shift-click images, pick a class, assign. One review decision per
// image (action 'assign'), recorded with the operator's name like any other decision, and undoable from Review.
import { useEffect, useState } from 'react';
import type { ClassCount } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { formatCount } from '../lib/format.js';
import './review.css';
import { messageOf } from '../lib/errors.js';

function reviewerName(): string {
  try {
    return window.localStorage.getItem('emma.reviewer') || 'operator';
  } catch {
    return 'operator';
  }
}

interface BulkLabelBarProps {
  imageIds: number[];
  classes: ClassCount[];
  onClear(): void;
  onError(message: string): void;
}

export function BulkLabelBar({ imageIds, classes, onClear, onError }: BulkLabelBarProps) {
  const [className, setClassName] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  // A new selection replaces the last result line.
  useEffect(() => {
    if (imageIds.length > 0) setDone(null);
  }, [imageIds.length]);
  const assign = () => {
    if (!className) return;
    setBusy(true);
    const reviewer = reviewerName();
    api
      .assignLabels({ imageIds, className, reviewer })
      .then(
        (r) => {
          setDone(`${formatCount(r.decisions)} labelled ${className} by ${reviewer}${r.unchanged ? `, ${formatCount(r.unchanged)} already were` : ''}`);
          onClear();
        },
        (e: unknown) => onError(`Could not assign ${className}: ${messageOf(e)}`),
      )
      .finally(() => setBusy(false));
  };
  if (imageIds.length === 0) {
    return done ? (
      <div className="bulk-bar muted" data-testid="bulk-done">
        {done}
      </div>
    ) : null;
  }
  return (
    <div className="bulk-bar" data-testid="bulk-bar" role="region" aria-label="Label the selected images">
      <strong data-testid="bulk-count">{formatCount(imageIds.length)} selected</strong>
      <select value={className} onChange={(e) => setClassName(e.target.value)} data-testid="bulk-class" aria-label="Class">
        <option value="">Class…</option>
        {classes.map((c) => (
          <option key={c.className} value={c.className}>
            {c.className}
          </option>
        ))}
      </select>
      <button type="button" className="primary" disabled={!className || busy} onClick={assign} data-testid="bulk-assign">
        Assign
      </button>
      <button type="button" className="link" onClick={onClear}>
        Clear selection (Esc)
      </button>
      <span className="muted small">ctrl-click adds or removes an image, shift-click a range</span>
    </div>
  );
}
