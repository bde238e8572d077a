// The student's plots as SVG: loss curve, confusion matrix heat map, per-class recall bars.
import type { TrainPoint } from '../../../main/core/contract.js';
import { heatColor, heatText, lossCurve, pct, rowNormalise } from '../lib/plots.js';

const PHASE_COLOURS: Record<string, string> = { head: '#8d959d', final: '#4d9de0', language: '#c28ee8' };
const PHASE_NAMES: Record<string, string> = { head: 'split run (validation)', final: 'final run (all reviewed images)', language: 'language part' };

export function LossChart({ points, width = 520, height = 200 }: { points: readonly TrainPoint[]; width?: number; height?: number }) {
  const box = { width, height, pad: { l: 44, r: 12, t: 10, b: 26 } };
  const c = lossCurve(points, box);
  const last = points.at(-1);
  return (
    <figure className="plot" data-testid="loss-chart" data-points={points.length}>
      <svg width={width} height={height} role="img" aria-label={`Loss curve, ${points.length} steps${last ? `, last loss ${last.loss.toFixed(3)}` : ''}`}>
        <rect x={box.pad.l} y={box.pad.t} width={width - box.pad.l - box.pad.r} height={height - box.pad.t - box.pad.b} className="plot-area" />
        {c.yTicks.map((t) => (
          <g key={t.value}>
            <line x1={box.pad.l} x2={width - box.pad.r} y1={t.y} y2={t.y} className="plot-grid" />
            <text x={box.pad.l - 6} y={t.y + 4} textAnchor="end" className="plot-tick">
              {Number(t.value.toPrecision(3))}
            </text>
          </g>
        ))}
        <text x={box.pad.l} y={height - 6} className="plot-tick">
          0
        </text>
        <text x={width - box.pad.r} y={height - 6} textAnchor="end" className="plot-tick">
          step {c.xMax}
        </text>
        {c.paths.map((p) => (
          <path key={p.phase} d={p.d} fill="none" stroke={PHASE_COLOURS[p.phase] ?? '#dde1e5'} strokeWidth={1.6} data-phase={p.phase} />
        ))}
        {points.length === 0 && (
          <text x={width / 2} y={height / 2} textAnchor="middle" className="plot-tick">
            the loss appears when the head starts learning
          </text>
        )}
      </svg>
      <figcaption className="plot-legend">
        {c.paths.map((p) => (
          <span key={p.phase}>
            <i style={{ background: PHASE_COLOURS[p.phase] ?? '#dde1e5' }} /> {PHASE_NAMES[p.phase] ?? p.phase}
          </span>
        ))}
        {last && <span className="mono">loss {last.loss.toFixed(3)}</span>}
      </figcaption>
    </figure>
  );
}

/** Rows: true class; columns: predicted. Cells coloured by the share of the row; counts written in. */
export function ConfusionMatrix({ labels, confusion }: { labels: readonly string[]; confusion: readonly (readonly number[])[] }) {
  const n = labels.length;
  const cell = n > 8 ? 34 : 44;
  const left = Math.min(150, 12 + Math.max(...labels.map((l) => l.length)) * 7);
  const top = Math.min(110, 12 + Math.max(...labels.map((l) => l.length)) * 5.2);
  const share = rowNormalise(confusion);
  const width = left + n * cell + 8;
  const height = top + n * cell + 22;
  return (
    <figure className="plot" data-testid="confusion-matrix">
      <svg width={width} height={height} role="img" aria-label="Confusion matrix: rows are the true class, columns the predicted class">
        {labels.map((l, j) => (
          <text key={`c${l}`} transform={`translate(${left + j * cell + cell / 2 + 4},${top - 6}) rotate(-40)`} className="plot-tick">
            {l}
          </text>
        ))}
        {labels.map((l, i) => (
          <text key={`r${l}`} x={left - 6} y={top + i * cell + cell / 2 + 4} textAnchor="end" className="plot-tick">
            {l}
          </text>
        ))}
        {confusion.map((row, i) =>
          row.map((v, j) => (
            <g key={`${i}-${j}`}>
              <rect x={left + j * cell} y={top + i * cell} width={cell - 2} height={cell - 2} rx={3} fill={heatColor(share[i][j], i === j)}>
                <title>{`true ${labels[i]}, predicted ${labels[j]}: ${v} (${pct(share[i][j], 0)} of ${labels[i]})`}</title>
              </rect>
              <text
                x={left + j * cell + (cell - 2) / 2}
                y={top + i * cell + cell / 2 + 3}
                textAnchor="middle"
                className="plot-cell"
                fill={heatText(share[i][j])}
              >
                {v}
              </text>
            </g>
          )),
        )}
        <text x={left} y={height - 4} className="plot-tick">
          rows: true class · columns: predicted
        </text>
      </svg>
    </figure>
  );
}

/** Horizontal bars 0..1 per class; with `b`, two bars per class (compare). */
export function RecallBars({ rows, legend }: { rows: { className: string; a: number | null; b?: number | null }[]; legend?: [string, string] }) {
  const barW = 260;
  const left = Math.min(150, 12 + Math.max(0, ...rows.map((r) => r.className.length)) * 7);
  const two = rows.some((r) => r.b !== undefined);
  const rowH = two ? 26 : 18;
  const height = rows.length * rowH + 8;
  const width = left + barW + 60;
  return (
    <figure className="plot" data-testid="recall-bars">
      <svg width={width} height={height} role="img" aria-label="Recall per class">
        {rows.map((r, i) => {
          const y = 4 + i * rowH;
          return (
            <g key={r.className}>
              <text x={left - 6} y={y + 11} textAnchor="end" className="plot-tick">
                {r.className}
              </text>
              <rect x={left} y={y} width={barW} height={two ? 10 : 13} className="plot-area" />
              <rect x={left} y={y} width={barW * (r.a ?? 0)} height={two ? 10 : 13} fill="#4d9de0" />
              <text x={left + barW + 6} y={y + 10} className="plot-tick">
                {pct(r.a, 0)}
              </text>
              {two && (
                <>
                  <rect x={left} y={y + 11} width={barW} height={10} className="plot-area" />
                  <rect x={left} y={y + 11} width={barW * (r.b ?? 0)} height={10} fill="#c28ee8" />
                  <text x={left + barW + 6} y={y + 21} className="plot-tick">
                    {pct(r.b ?? null, 0)}
                  </text>
                </>
              )}
            </g>
          );
        })}
      </svg>
      {legend && (
        <figcaption className="plot-legend">
          <span>
            <i style={{ background: '#4d9de0' }} /> {legend[0]}
          </span>
          <span>
            <i style={{ background: '#c28ee8' }} /> {legend[1]}
          </span>
        </figcaption>
      )}
    </figure>
  );
}

/** Reliability diagram: per confidence bin, the share that was right (bars) against the diagonal of perfect calibration. */
export function ReliabilityDiagram({
  bins,
  width = 260,
  height = 220,
}: {
  bins: readonly { lo: number; hi: number; n: number; confidence: number | null; accuracy: number | null }[];
  width?: number;
  height?: number;
}) {
  const pad = { l: 36, r: 8, t: 8, b: 30 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const x = (v: number) => pad.l + v * w;
  const y = (v: number) => pad.t + (1 - v) * h;
  const filled = bins.filter((b) => b.n > 0);
  return (
    <figure className="plot" data-testid="reliability-diagram" data-bins={bins.length}>
      <svg width={width} height={height} role="img" aria-label={`Reliability diagram, ${filled.length} of ${bins.length} bins used`}>
        <rect x={pad.l} y={pad.t} width={w} height={h} className="plot-area" />
        {[0, 0.5, 1].map((t) => (
          <g key={t}>
            <line x1={pad.l} x2={pad.l + w} y1={y(t)} y2={y(t)} className="plot-grid" />
            <text x={pad.l - 4} y={y(t) + 4} textAnchor="end" className="plot-tick">
              {t}
            </text>
            <text x={x(t)} y={height - 16} textAnchor="middle" className="plot-tick">
              {t}
            </text>
          </g>
        ))}
        <text x={pad.l + w / 2} y={height - 3} textAnchor="middle" className="plot-tick">
          confidence (top class)
        </text>
        {filled.map((b) => (
          <g key={b.lo} data-testid="reliability-bin" data-n={b.n}>
            <rect x={x(b.lo) + 1} y={y(b.accuracy!)} width={Math.max(1, x(b.hi) - x(b.lo) - 2)} height={y(0) - y(b.accuracy!)} fill="#4d9de0" opacity={0.85}>
              <title>{`${pct(b.lo)}–${pct(b.hi)}: ${b.n} image${b.n === 1 ? '' : 's'}, ${pct(b.accuracy)} right at ${pct(b.confidence)} mean confidence`}</title>
            </rect>
            <line x1={x(b.lo) + 1} x2={x(b.hi) - 1} y1={y(b.confidence!)} y2={y(b.confidence!)} stroke="#e0a84d" strokeWidth={2} />
          </g>
        ))}
        <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#8d959d" strokeDasharray="4 3" />
      </svg>
      <figcaption className="plot-legend">
        <span>
          <i style={{ background: '#4d9de0' }} /> share right
        </span>
        <span>
          <i style={{ background: '#e0a84d' }} /> mean confidence
        </span>
        <span>dashed: perfectly calibrated</span>
      </figcaption>
    </figure>
  );
}
