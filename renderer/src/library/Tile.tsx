import { memo, useState } from 'react';
import type { ImageLabel, ImageSummary } from '../../../main/core/contract.js';
import { mediaUrl } from '../api/index.js';
import { formatMagnification } from '../lib/format.js';

export function LabelChip({ label, compact = false }: { label: ImageLabel; compact?: boolean }) {
  const title = [
    `${label.className}`,
    `source: ${label.source}${label.sourceRef ? ` (${label.sourceRef})` : ''}`,
    `status: ${label.status}`,
    label.confidence != null ? `confidence: ${label.confidence.toFixed(2)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <span className={`chip chip-${label.source} chip-status-${label.status}`} title={title}>
      <span className="chip-class">{label.className}</span>
      <span className="chip-source">{compact ? label.source[0].toUpperCase() : label.source}</span>
    </span>
  );
}

interface TileProps {
  index: number;
  item: ImageSummary | undefined;
  selected: boolean;
  /** Part of the multi-selection (ctrl/shift click) for bulk labeling. */
  marked?: boolean;
  width: number;
  /** A plain click opens; ctrl/cmd-click toggles the image in the multi-selection, shift-click extends it. */
  onOpen(index: number, mark?: 'toggle' | 'range'): void;
}

function TileImpl({ index, item, selected, marked = false, width, onOpen }: TileProps) {
  const [broken, setBroken] = useState(false);
  if (!item) {
    return (
      <div className="tile tile-placeholder" data-testid="thumb-placeholder" style={{ width }} aria-hidden="true">
        <div className="tile-image" style={{ height: width }} />
        <div className="tile-caption">
          <span className="skeleton-line" />
        </div>
      </div>
    );
  }
  const mag = formatMagnification(item.magnification);
  return (
    <div
      className={`tile${selected ? ' selected' : ''}${marked ? ' marked' : ''}`}
      id={`thumb-${index}`}
      role="option"
      aria-selected={selected}
      aria-label={item.fileName}
      data-testid="thumb"
      data-image-id={item.id}
      data-index={index}
      data-marked={marked || undefined}
      style={{ width }}
      onClick={(e) => onOpen(index, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : undefined)}
    >
      <div className="tile-image" style={{ height: width }}>
        {broken ? (
          <span className="tile-noimage">no thumbnail</span>
        ) : (
          <img src={mediaUrl(item.id, 'thumb')} alt="" loading="lazy" decoding="async" draggable={false} onError={() => setBroken(true)} />
        )}
        {mag && <span className="tile-mag">{mag}</span>}
        {item.pixelSizeNm == null && (
          <span className="tile-uncal" title="No calibration (pixel size unknown)">
            no cal.
          </span>
        )}
      </div>
      <div className="tile-caption">
        <span className="tile-name" title={item.fileName}>
          {item.fileName}
        </span>
        {item.label ? <LabelChip label={item.label} compact={width < 150} /> : <span className="chip chip-none">unlabelled</span>}
      </div>
    </div>
  );
}

export const Tile = memo(TileImpl);
