// Static shape helpers shared by the builder and the gradient rules.
import type { Shape } from './ir.js';

export function shapeError(op: string, msg: string): Error {
  return new Error(`${op}: ${msg}`);
}

export function normAxis(axis: number, rank: number, op = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw shapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcasting of two static shapes. */
export function broadcast(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw shapeError(op, `cannot broadcast [${a}] with [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Axes (of `full`) that were broadcast from `small`; summing over them undoes the broadcast. */
export function broadcastAxes(small: Shape, full: Shape): number[] {
  const axes: number[] = [];
  const off = full.length - small.length;
  for (let i = 0; i < full.length; i++) {
    if (i < off || (small[i - off] === 1 && full[i] !== 1)) axes.push(i);
  }
  return axes;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}
