// Pure helpers of the teacher view.

/** US dollars with cents, and sub-cent amounts shown rather than rounded to $0.00. */
export function formatUsd(v: number): string {
  if (v > 0 && v < 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toFixed(2)}`;
}

/** An optional positive number typed by the operator; empty gives undefined; anything else throws a clear error. */
export function parseOptionalNumber(text: string, field: string, integer: boolean): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const v = Number(t);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`${field} must be a positive ${integer ? 'whole number' : 'number'} (got "${t}")`);
  }
  return v;
}
