// Line tools over the image: "measure" shows a line's length in the image's calibration (nm, µm...; pixels when it
// has none), "scale" draws along the burned-in scale bar and asks what it reads, then sets the pixel size from it.
// Lines live in image pixels, so zoom and pan keep them in place.
import { useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { DataBarImage } from '../../../main/core/contract.js';
import type { View } from '../lib/viewport.js';
import { formatLength, formatPixelSize } from '../lib/format.js';

export type LineTool = 'measure' | 'scale';

interface Point {
  x: number;
  y: number;
}

interface Props {
  tool: LineTool;
  view: View;
  /** Preview pixels per image pixel. */
  previewScale: number;
  pixelSizeNm: number | null;
  onSetScale(lineLengthPx: number, lengthNm: number): Promise<void>;
  onDone(): void;
  /** The data bar cropped from the preview, shown under it while setting the scale. */
  dataBar?: DataBarImage | null;
}

const UNITS: { symbol: string; nm: number }[] = [
  { symbol: 'nm', nm: 1 },
  { symbol: '\u00b5m', nm: 1e3 },
  { symbol: 'mm', nm: 1e6 },
];

export function lineLengthPx(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y);
}

export function MeasureLayer({ tool, view, previewScale, pixelSizeNm, onSetScale, onDone, dataBar }: Props) {
  const [line, setLine] = useState<{ a: Point; b: Point } | null>(null);
  const [drawing, setDrawing] = useState(false);
  const [value, setValue] = useState('');
  const [unit, setUnit] = useState('\u00b5m');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const toImage = (e: ReactPointerEvent<SVGSVGElement>): Point => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: (e.clientX - r.left - view.x) / view.scale / previewScale, y: (e.clientY - r.top - view.y) / view.scale / previewScale };
  };
  const toScreen = (p: Point): Point => ({ x: p.x * previewScale * view.scale + view.x, y: p.y * previewScale * view.scale + view.y });

  const len = line ? lineLengthPx(line.a, line.b) : 0;
  const a = line ? toScreen(line.a) : null;
  const b = line ? toScreen(line.b) : null;
  const label =
    !line || len === 0 ? '' : pixelSizeNm != null ? `${formatLength(len * pixelSizeNm)} (${len.toFixed(1)} px)` : `${len.toFixed(1)} px (not calibrated)`;

  const save = async () => {
    const v = Number(value.replace(',', '.'));
    if (!(v > 0)) {
      setError('type the length the scale bar shows, e.g. 2 µm');
      return;
    }
    setSaving(true);
    try {
      await onSetScale(len, v * (UNITS.find((u) => u.symbol === unit)?.nm ?? 1));
      setError(null);
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  };

  const k = previewScale * view.scale;
  return (
    <>
      {tool === 'scale' && dataBar && (
        <img
          className="databar-strip"
          data-testid="databar-strip"
          src={dataBar.dataUrl}
          alt="The data bar of this image"
          draggable={false}
          style={{ left: view.x, top: view.y + dataBar.y * k, width: dataBar.width * k, height: dataBar.height * k }}
        />
      )}
      <svg
        className="measure-layer"
        data-testid="measure-layer"
        data-tool={tool}
        onPointerDown={(e) => {
          e.stopPropagation();
          e.currentTarget.setPointerCapture(e.pointerId);
          const p = toImage(e);
          setLine({ a: p, b: p });
          setDrawing(true);
        }}
        onPointerMove={(e) => {
          e.stopPropagation();
          if (drawing && line) setLine({ a: line.a, b: toImage(e) });
        }}
        onPointerUp={(e) => {
          e.stopPropagation();
          setDrawing(false);
        }}
        onDoubleClick={(e) => e.stopPropagation()}
      >
        {a && b && (
          <g>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="measure-line" />
            <circle cx={a.x} cy={a.y} r={3} className="measure-end" />
            <circle cx={b.x} cy={b.y} r={3} className="measure-end" />
          </g>
        )}
      </svg>
      <div
        className="measure-panel"
        data-testid="measure-panel"
        onKeyDown={(e) => e.key !== 'Escape' && e.stopPropagation()}
        onPointerDown={(e) => e.stopPropagation()}
        onDoubleClick={(e) => e.stopPropagation()}
      >
        {tool === 'measure' ? (
          <>
            <strong>Measure</strong>{' '}
            {line && len > 0 ? (
              <span data-testid="measure-length" data-px={len.toFixed(2)}>
                {label}
              </span>
            ) : (
              <span className="muted">Drag across the image to measure a distance.</span>
            )}
            {pixelSizeNm != null && <span className="muted small"> · at {formatPixelSize(pixelSizeNm)}</span>}
          </>
        ) : (
          <>
            <strong>Set scale</strong>{' '}
            {line && len >= 2 && !drawing ? (
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void save();
                }}
              >
                the line ({len.toFixed(1)} px) is
                <input
                  value={value}
                  onChange={(e) => setValue(e.target.value)}
                  inputMode="decimal"
                  autoFocus
                  data-testid="scale-value"
                  aria-label="Length"
                  size={6}
                />
                <select value={unit} onChange={(e) => setUnit(e.target.value)} data-testid="scale-unit" aria-label="Unit">
                  {UNITS.map((u) => (
                    <option key={u.symbol}>{u.symbol}</option>
                  ))}
                </select>
                <button type="submit" className="primary" disabled={saving} data-testid="scale-save">
                  Set scale
                </button>
              </form>
            ) : (
              <span className="muted">Drag along the scale bar burned into the image, from one end to the other.</span>
            )}
          </>
        )}
        <button type="button" className="link" onClick={onDone} data-testid="tool-close">
          Close
        </button>
        {error && (
          <span className="error-text" role="alert" data-testid="scale-error">
            {' '}
            {error}
          </span>
        )}
      </div>
    </>
  );
}
