// Reading job results. Pure; no DOM.
import type { ImportReport, JobInfo, JobProgress } from '../../../main/core/contract.js';

export function isActive(job: JobInfo): boolean {
  return job.state === 'queued' || job.state === 'running';
}

/** 0..1, or null when the total is unknown (indeterminate bar). */
export function progressFraction(progress: JobProgress): number | null {
  if (progress.total == null || progress.total <= 0) return null;
  return Math.min(1, Math.max(0, progress.done / progress.total));
}

/** The ImportReport in a job's result, checked field by field (the result crosses a process boundary). */
export function asImportReport(result: unknown): ImportReport | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  if (typeof r.imported !== 'number' || typeof r.duplicates !== 'number') return null;
  const failed = Array.isArray(r.failed)
    ? r.failed
        .filter((f): f is Record<string, unknown> => !!f && typeof f === 'object')
        .map((f) => ({ path: String(f.path ?? ''), error: String(f.error ?? '') }))
    : [];
  const notes = Array.isArray(r.notes)
    ? r.notes.filter((n): n is Record<string, unknown> => !!n && typeof n === 'object').map((n) => ({ path: String(n.path ?? ''), note: String(n.note ?? '') }))
    : [];
  const skipped = Array.isArray(r.skipped)
    ? r.skipped
        .filter((n): n is Record<string, unknown> => !!n && typeof n === 'object')
        .map((n) => ({ path: String(n.path ?? ''), reason: String(n.reason ?? '') }))
    : [];
  const duplicateOf = Array.isArray(r.duplicateOf)
    ? r.duplicateOf
        .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
        .map((d) => ({ path: String(d.path ?? ''), existing: String(d.existing ?? '') }))
    : undefined;
  return { imported: r.imported, duplicates: r.duplicates, failed, notes, cancelled: r.cancelled === true, skipped, ...(duplicateOf ? { duplicateOf } : {}) };
}

export function emptyReport(): ImportReport {
  return { imported: 0, duplicates: 0, failed: [], notes: [], cancelled: false, skipped: [] };
}

export function mergeReports(reports: readonly ImportReport[]): ImportReport {
  const out = emptyReport();
  for (const r of reports) {
    out.imported += r.imported;
    out.duplicates += r.duplicates;
    out.failed.push(...r.failed);
    out.notes.push(...r.notes);
    out.skipped!.push(...(r.skipped ?? []));
    out.cancelled ||= r.cancelled;
    if (r.duplicateOf?.length) (out.duplicateOf ??= []).push(...r.duplicateOf);
  }
  return out;
}
