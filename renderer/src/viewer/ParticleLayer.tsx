// Particle measurement on the image view: a "Measure" button, the particles' convex outlines drawn over the
// preview (edge-cut ones dashed: excluded from the statistics), a small panel with n, the ECD median and an
// ECD histogram, the method, and a CSV export of the particle table. Kept out of ImageView itself.
import { useEffect, useState } from 'react';
import type { MeasureResult } from '../../../main/core/contract.js';
import { api } from '../api/index.js';

interface ParticleLayerProps {
  imageId: number;
  /** Preview pixels per image pixel. */
  previewScale: number;
  view: { scale: number; x: number; y: number };
  /** While the mask editor draws its own outlines. */
  hideOutlines?: boolean;
}

const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '—' : v.toFixed(d));

/** Histogram bins (Freedman–Diaconis-like count, 6..30 bins) of the values. */
export function histogram(values: number[]): { lo: number; width: number; counts: number[] } {
  if (values.length === 0) return { lo: 0, width: 1, counts: [] };
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const bins = Math.max(6, Math.min(30, Math.ceil(Math.sqrt(values.length))));
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  return { lo, width, counts };
}

/** The particle table as CSV (one row per particle; units in the header). */
export function particlesCsv(r: MeasureResult): string {
  const u = r.calibrated ? 'nm' : 'px';
  const head = ['label', `area_${u}2`, `ecd_${u}`, `feret_max_${u}`, `feret_min_${u}`, 'aspect_ratio', 'cx_px', 'cy_px', 'cut_by_edge'];
  const rows = r.particles.items.map((p) =>
    [
      p.label,
      p.area.toFixed(2),
      p.ecd.toFixed(2),
      p.feretMax.toFixed(2),
      p.feretMin.toFixed(2),
      p.aspectRatio.toFixed(3),
      p.cx.toFixed(1),
      p.cy.toFixed(1),
      p.touchesEdge ? 1 : 0,
    ].join(','),
  );
  return [`# ${r.fileName}; ${r.method}; pixel size ${r.pixelSizeNm ?? 'unknown'} nm`, head.join(','), ...rows].join('\n') + '\n';
}

/**
 * A line/space pattern, not particles (as the chat decides, main/core/chat/measure.ts): line metrology found a
 * periodic pattern and no whole particle was found, or fewer than the objects cut by the edge (stripes across the
 * frame). The panel then shows the lines' numbers instead of "0 particles".
 */
export function isLinePattern(r: Pick<MeasureResult, 'lines' | 'particles'>): boolean {
  return r.lines !== null && (r.particles.count === 0 || r.particles.excludedAtEdge >= r.particles.count);
}

export function ParticleLayer({ imageId, previewScale, view, hideOutlines = false }: ParticleLayerProps) {
  const [result, setResult] = useState<MeasureResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [show, setShow] = useState(true);
  useEffect(() => {
    setResult(null);
    setError(null);
  }, [imageId]);

  const measure = () => {
    setBusy(true);
    setError(null);
    api.measureImage(imageId).then(
      (r) => {
        setResult(r);
        setBusy(false);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setBusy(false);
      },
    );
  };

  const exportCsv = () => {
    if (!result) return;
    const url = URL.createObjectURL(new Blob([particlesCsv(result)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${result.fileName.replace(/\.[^.]+$/, '') || 'particles'}-particles.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const r = result && result.imageId === imageId ? result : null;
  const whole = r ? r.particles.items.filter((p) => !p.touchesEdge).map((p) => p.ecd) : [];
  const h = histogram(whole);
  const maxCount = Math.max(1, ...h.counts);
  const unit = r?.calibrated ? 'nm' : 'px';
  const d = r ? (r.particles.ecdNm ?? r.particles.ecdPx) : null;
  const k = previewScale * view.scale;

  return (
    <>
      {r && show && !hideOutlines && (
        <svg
          className="particle-outlines"
          data-testid="particle-outlines"
          style={{ position: 'absolute', left: 0, top: 0, width: '100%', height: '100%', pointerEvents: 'none' }}
        >
          <g transform={`translate(${view.x} ${view.y}) scale(${k})`}>
            {r.particles.items.map((p) => (
              <polygon
                key={p.label}
                points={p.outline.join(' ')}
                fill="none"
                stroke={p.touchesEdge ? '#f0a030' : '#40e0a0'}
                strokeWidth={1.5 / k}
                strokeDasharray={p.touchesEdge ? `${4 / k} ${3 / k}` : undefined}
              />
            ))}
          </g>
        </svg>
      )}
      <div
        className="particle-panel"
        data-testid="particle-panel"
        onPointerDown={(e) => e.stopPropagation()}
        style={{ position: 'absolute', right: 8, top: 8, background: 'rgba(20,22,24,0.88)', padding: 8, borderRadius: 4, maxWidth: 260, fontSize: 12 }}
      >
        <button type="button" onClick={measure} disabled={busy} title="Segment and measure the particles of this image">
          {busy ? 'Measuring…' : r ? 'Measure again' : 'Measure particles'}
        </button>
        {error && <div className="error-text">{error}</div>}
        {r && r.lines && isLinePattern(r) && (
          <div data-testid="lines-summary">
            Line/space pattern: pitch {fmt(r.lines.pitch)} {r.lines.unit}, line width (CD) {fmt(r.lines.cd)} {r.lines.unit}, space {fmt(r.lines.space)}{' '}
            {r.lines.unit}, LER 3σ {r.lines.ler3sigma !== null ? `${fmt(r.lines.ler3sigma)} ${r.lines.unit}` : '— (too few strips)'}; {r.lines.periods} periods,
            lines at {fmt(r.lines.orientationDeg, 0)}°{!r.lines.calibrated && ' (uncalibrated)'}. Particles are not counted on a line pattern.
            <div style={{ opacity: 0.75 }} title={r.lines.method}>
              {r.lines.method}
            </div>
          </div>
        )}
        {r && d && !isLinePattern(r) && (
          <div>
            <div data-testid="particle-summary">
              {r.particles.count} particles ({r.particles.excludedAtEdge} cut by the edge, excluded); ECD median {fmt(d.median)} {unit}
              {!r.calibrated && ' (uncalibrated)'}, p10 {fmt(d.p10)}, p90 {fmt(d.p90)}, mean {fmt(d.mean)} ± {fmt(d.sd)}
            </div>
            <svg width={240} height={70} role="img" aria-label={`ECD histogram, ${unit}`}>
              {h.counts.map((c, i) => (
                <rect
                  key={i}
                  x={(i * 240) / h.counts.length}
                  y={60 - (c / maxCount) * 58}
                  width={240 / h.counts.length - 1}
                  height={(c / maxCount) * 58}
                  fill="#40a0e0"
                />
              ))}
              <text x={0} y={69} fontSize={9} fill="#ccc">
                {fmt(h.lo, 0)}
              </text>
              <text x={240} y={69} fontSize={9} fill="#ccc" textAnchor="end">
                {fmt(h.lo + h.width * h.counts.length, 0)} {unit}
              </text>
            </svg>
            <div style={{ opacity: 0.75 }} title={r.method}>
              {r.segmenter.kind === 'learnt' ? `learnt segmenter ${r.segmenter.modelVersion ?? ''}` : 'classical default (no training)'}
            </div>
            {r.lines && (
              <div>
                lines: pitch {fmt(r.lines.pitch)} {r.lines.unit}, CD {fmt(r.lines.cd)}, LER 3σ {fmt(r.lines.ler3sigma)}
              </div>
            )}
            <label>
              <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} /> outlines
            </label>{' '}
            <button type="button" onClick={exportCsv}>
              Export CSV
            </button>
          </div>
        )}
      </div>
    </>
  );
}
