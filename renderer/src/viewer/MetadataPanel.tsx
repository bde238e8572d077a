import { useMemo, useState, type ReactNode } from 'react';
import type { ImageCalibration, ImageDetail, ImageSummary } from '../../../main/core/contract.js';
import { formatBytes, formatDateTime, formatKv, formatMagnification, formatLength, formatMm, formatPixelSize, shortHash } from '../lib/format.js';
import { PathText } from '../components/PathText.js';
import { LabelChip } from '../library/Tile.js';

function Row({ label, children, testId, title }: { label: string; children: ReactNode; testId?: string; title?: string }) {
  const empty = children == null || children === '';
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId} title={title} className={empty ? 'empty' : undefined}>
        {empty ? '—' : children}
      </dd>
    </>
  );
}

interface MetadataPanelProps {
  /** Where the pixel size comes from (a manual scale names who set it, from what). */
  calibration?: ImageCalibration | null;
  summary: ImageSummary;
  detail: ImageDetail | null;
  detailError: string | null;
}

export function MetadataPanel({ summary, detail, detailError, calibration }: MetadataPanelProps) {
  const d = detail;
  const rawEntries = d ? Object.entries(d.metadata ?? {}) : [];
  return (
    <aside className="meta-panel" aria-label="Image metadata">
      <h2 className="meta-title" title={summary.fileName}>
        {summary.fileName}
      </h2>
      {detailError && <p className="error-text">Metadata could not be loaded: {detailError}</p>}
      <dl className="meta-list">
        <Row label="Path" title={d?.path}>
          {d && <PathText className="mono wrap" path={d.path} />}
        </Row>
        <Row label="Size">
          {`${summary.width} × ${summary.height} px`}
          {d ? ` · ${formatBytes(d.fileSize)}` : ''}
        </Row>
        <Row label="Bit depth">{`${summary.bitDepth}-bit`}</Row>
        <Row label="Format">{d && `${d.format}${d.pages > 1 ? ` · ${d.pages} pages (first shown)` : ''}`}</Row>
        <Row label="Pixel size" testId="meta-pixel-size">
          {summary.pixelSizeNm != null ? formatPixelSize(summary.pixelSizeNm) : 'not calibrated: set the scale along the burned-in bar (s)'}
          {calibration?.manual && (
            <span className="muted small" data-testid="meta-calibration-source">
              {' '}
              · set by hand by {calibration.manual.by} from a {formatLength(calibration.manual.lengthNm)} scale bar (
              {calibration.manual.lineLengthPx.toFixed(1)} px), {formatDateTime(calibration.manual.at)}
              {calibration.manual.previousNm != null ? `; was ${formatPixelSize(calibration.manual.previousNm)}` : '; was not calibrated'}
            </span>
          )}
        </Row>
        <Row label="Magnification" testId="meta-magnification">
          {formatMagnification(summary.magnification)}
        </Row>
        <Row label="Voltage">{d && formatKv(d.kV)}</Row>
        <Row label="WD">{d && formatMm(d.workingDistanceMm)}</Row>
        <Row label="Detector">{d?.detector}</Row>
        <Row label="Instrument">{d?.instrument}</Row>
        <Row label="Vendor">{d?.vendor}</Row>
        <Row label="Acquired">{d && formatDateTime(d.acquiredAt)}</Row>
        <Row label="Data bar">
          {d && (d.dataBar ? `rows ${d.dataBar.y}–${d.dataBar.y + d.dataBar.height - 1} (${d.dataBar.height} px, cropped)` : 'none detected')}
        </Row>
        <Row label="Imported">{formatDateTime(summary.importedAt)}</Row>
        <Row label="SHA-256" title={summary.sha256}>
          <span className="mono">{shortHash(summary.sha256)}</span>
        </Row>
      </dl>
      <h3 className="meta-subtitle">Labels</h3>
      {d ? (
        d.labels.length ? (
          <ul className="label-list">
            {d.labels.map((label) => (
              <li key={label.id}>
                <LabelChip label={label} />
                <span className="label-meta">
                  {label.status}
                  {label.confidence != null ? ` · ${(label.confidence * 100).toFixed(0)}%` : ''}
                  {label.sourceRef ? ` · ${label.sourceRef}` : ''}
                  {` · ${formatDateTime(label.createdAt)}`}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No labels.</p>
        )
      ) : summary.label ? (
        <LabelChip label={summary.label} />
      ) : (
        <p className="muted">No labels.</p>
      )}
      {rawEntries.length > 0 && <RawMetadata entries={rawEntries} />}
    </aside>
  );
}

/** Every key the instrument wrote (often hundreds): searchable by key or value, keys wrapping above their values. */
function RawMetadata({ entries }: { entries: [string, string][] }) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? entries.filter(([k, v]) => k.toLowerCase().includes(q) || String(v).toLowerCase().includes(q)) : entries;
  }, [entries, query]);
  return (
    <details className="raw-meta" data-testid="raw-meta">
      <summary>Instrument metadata ({entries.length})</summary>
      <input
        type="search"
        className="raw-meta-search"
        placeholder="Search keys and values"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => e.stopPropagation()}
        data-testid="raw-meta-search"
        aria-label="Search the instrument metadata"
      />
      {query.trim() && (
        <p className="muted small" data-testid="raw-meta-count">
          {shown.length} of {entries.length}
        </p>
      )}
      <dl className="meta-list raw" data-testid="raw-meta-list">
        {shown.map(([k, v]) => (
          <Row key={k} label={k}>
            {v}
          </Row>
        ))}
      </dl>
    </details>
  );
}
