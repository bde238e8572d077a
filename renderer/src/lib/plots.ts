// Geometry and colours for the student's plots (loss curve, confusion matrix, per-class bars). Pure; no DOM.

export interface LossPoint {
  t: number;
  step: number;
  loss: number;
  phase: string;
}

export interface PlotBox {
  width: number;
  height: number;
  /** Inner padding for axes: left, right, top, bottom. */
  pad: { l: number; r: number; t: number; b: number };
}

export interface CurvePaths {
  /** One SVG path per phase (the split run and the final run each start from step 0). */
  paths: { phase: string; d: string }[];
  yMin: number;
  yMax: number;
  xMax: number;
  /** y of a value, for tick lines. */
  yTicks: { value: number; y: number }[];
}

/** At most `max` points, evenly spaced, first and last kept. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]);
  return out;
}

/** Loss over steps, one line per phase, on a shared y axis (0 .. a little above the largest loss). */
export function lossCurve(points: readonly LossPoint[], box: PlotBox, maxPoints = 400): CurvePaths {
  const finite = points.filter((p) => Number.isFinite(p.loss));
  const xMax = Math.max(1, ...finite.map((p) => p.step));
  const top = Math.max(1e-6, ...finite.map((p) => p.loss));
  const yMax = niceCeil(top);
  const yMin = 0;
  const w = box.width - box.pad.l - box.pad.r;
  const h = box.height - box.pad.t - box.pad.b;
  const X = (s: number) => box.pad.l + (s / xMax) * w;
  const Y = (v: number) => box.pad.t + h - ((v - yMin) / (yMax - yMin)) * h;
  const phases = [...new Set(finite.map((p) => p.phase))];
  const paths = phases.map((phase) => {
    const pts = downsample(
      finite.filter((p) => p.phase === phase),
      maxPoints,
    );
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${X(p.step).toFixed(1)},${Y(p.loss).toFixed(1)}`).join('');
    return { phase, d };
  });
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ value: yMin + f * (yMax - yMin), y: Y(yMin + f * (yMax - yMin)) }));
  return { paths, yMin, yMax, xMax, yTicks };
}

/** 0.83 -> 1, 2.3 -> 2.5, 0.031 -> 0.05: the next 1/2/2.5/5 x 10^n at or above x. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const e = Math.floor(Math.log10(x));
  const base = 10 ** e;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= x * (1 - 1e-9)) return m * base;
  return 10 * base;
}

/** Row-normalised confusion (each true class sums to 1; empty rows stay 0). */
export function rowNormalise(confusion: readonly (readonly number[])[]): number[][] {
  return confusion.map((row) => {
    const n = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (n > 0 ? v / n : 0));
  });
}

/** Heat-map fill for a share 0..1: the panel colour towards the accent blue (diagonal) or the error red (off-diagonal). */
export function heatColor(share: number, diagonal: boolean): string {
  const s = Math.min(1, Math.max(0, share));
  const from = [32, 36, 40];
  const to = diagonal ? [77, 157, 224] : [239, 107, 94];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * Math.sqrt(s)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Text colour readable on heatColor(share). */
export function heatText(share: number): string {
  return share > 0.45 ? '#06121d' : '#dde1e5';
}

/** "0:42", "3:05", "1:02:10". */
export function formatClock(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** "about 40 s" / "about 4 minutes". */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  const m = Math.round(seconds / 60);
  return `about ${m} minute${m === 1 ? '' : 's'}`;
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x == null || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(digits)}%`;
}
