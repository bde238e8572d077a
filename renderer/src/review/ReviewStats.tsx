// Agreement and exports for the lab lead: queue sizes, decisions per reviewer, per-class teacher-vs-operator and
// student-vs-operator agreement, Cohen's kappa between operators, and an export of the reviewed set.
import { useEffect, useState } from 'react';
import { Modal } from '../components/Modal.js';
import type { ReviewExportFormat, ReviewExportInfo, ReviewStats as Stats } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { formatCount } from '../lib/format.js';
import { messageOf } from '../lib/errors.js';

function pct(rate: number | null): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(0)} %`;
}

export function ReviewStats({ onClose, onError }: { onClose(): void; onError(message: string): void }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [format, setFormat] = useState<ReviewExportFormat>('llava');
  const [outPath, setOutPath] = useState('');
  const [reviewedOnly, setReviewedOnly] = useState(true);
  const [crop, setCrop] = useState(false);
  const [result, setResult] = useState<ReviewExportInfo | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.getReviewStats().then(setStats, (e: unknown) => onError(`Could not read the review statistics: ${messageOf(e)}`));
  }, [onError]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      }
      // Review keys do not act behind the dialog.
      e.stopImmediatePropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);

  const runExport = () => {
    setBusy(true);
    setResult(null);
    api
      .exportReview({
        format,
        outPath: outPath.trim(),
        filter: reviewedOnly ? { reviewedOnly: true } : {},
        cropDataBar: format === 'imagefolder' || format === 'llava' ? crop : undefined,
        copyImages: format === 'llava' ? true : undefined,
      })
      .then(setResult, (e: unknown) => onError(`Export failed: ${messageOf(e)}`))
      .finally(() => setBusy(false));
  };

  return (
    <Modal title="Agreement and export" className="review-stats" testId="review-stats" onClose={onClose}>
      {!stats ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p>
            {formatCount(stats.queues.proposals)} proposals to review · {formatCount(stats.queues.unlabelled)} without a label ·{' '}
            {formatCount(stats.queues.flagged)} flagged · {formatCount(stats.reviewedImages)} images reviewed
          </p>
          <p className="muted small">{stats.reviewers.map((r) => `${r.reviewer}: ${formatCount(r.decisions)}`).join(' · ') || 'No decisions yet.'}</p>
          <table className="review-table" data-testid="review-agreement">
            <thead>
              <tr>
                <th>Class</th>
                <th title="Reviewed teacher proposals of this class that operators kept">Teacher kept</th>
                <th title="Operator-labelled images of this class where the student agrees">Student agrees</th>
              </tr>
            </thead>
            <tbody>
              {stats.perClass.map((c) => (
                <tr key={c.className}>
                  <td>{c.className}</td>
                  <td>
                    {c.teacher.agreed}/{c.teacher.n} <span className="muted">{pct(c.teacher.rate)}</span>
                  </td>
                  <td>
                    {c.student.agreed}/{c.student.n} <span className="muted">{pct(c.student.rate)}</span>
                  </td>
                </tr>
              ))}
              <tr className="review-total">
                <td>All</td>
                <td>
                  {stats.teacher.agreed}/{stats.teacher.n} <span className="muted">{pct(stats.teacher.rate)}</span>
                </td>
                <td>
                  {stats.student.agreed}/{stats.student.n} <span className="muted">{pct(stats.student.rate)}</span>
                </td>
              </tr>
            </tbody>
          </table>
          {stats.kappa.map((k) => (
            <p key={`${k.a}/${k.b}`} className="small" data-testid="review-kappa">
              Cohen’s κ {k.a} vs {k.b}: <strong>{k.kappa == null ? '—' : k.kappa.toFixed(2)}</strong> over {k.n} images (agree {pct(k.observed)})
            </p>
          ))}
        </>
      )}
      <h3>Export the reviewed set</h3>
      <div className="review-export">
        <select value={format} onChange={(e) => setFormat(e.target.value as ReviewExportFormat)} aria-label="Format">
          <option value="llava">LLaVA conversations (JSON + images/)</option>
          <option value="jsonl">JSONL</option>
          <option value="csv">CSV</option>
          <option value="imagefolder">ImageFolder tree</option>
        </select>
        <input
          type="text"
          value={outPath}
          onChange={(e) => setOutPath(e.target.value)}
          placeholder={format === 'imagefolder' ? 'New folder on the Emma machine' : 'New file on the Emma machine'}
          aria-label="Where to write it"
        />
        <label className="review-check">
          <input type="checkbox" checked={reviewedOnly} onChange={(e) => setReviewedOnly(e.target.checked)} /> reviewed only
        </label>
        {(format === 'imagefolder' || format === 'llava') && (
          <label className="review-check">
            <input type="checkbox" checked={crop} onChange={(e) => setCrop(e.target.checked)} /> data bar cropped (PNG)
          </label>
        )}
        <button type="button" className="primary" disabled={!outPath.trim() || busy} onClick={runExport}>
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {result && (
        <p className="small" data-testid="review-export-result">
          Export #{result.id}: {formatCount(result.images)} images → {result.outPath} (recorded with its filter and label snapshot)
        </p>
      )}
    </Modal>
  );
}
