// Running jobs with progress and Cancel, and the reports of finished imports (dismissible, failures listed).
import type { JobInfo } from '../../../main/core/contract.js';
import type { JobsState, ReportEntry, UploadBatch } from '../app/useJobs.js';
import { formatBytes, formatCount } from '../lib/format.js';
import { isActive, progressFraction } from '../lib/jobs.js';
import { PathText } from './PathText.js';

function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  return (
    <div
      className={`progress${fraction == null ? ' indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={fraction == null ? undefined : Math.round(fraction * 100)}
    >
      <div className="progress-fill" style={fraction == null ? undefined : { width: `${(fraction * 100).toFixed(1)}%` }} />
    </div>
  );
}

const JOB_TITLES: Record<string, string> = {
  import: 'Importing',
  teacher: 'Teacher run',
  train: 'Training the student',
  classify: 'Classifying',
  measure: 'Measuring',
  masks: 'Importing masks',
};

function jobTitle(job: JobInfo): string {
  const title = JOB_TITLES[job.kind] ?? job.kind;
  return job.state === 'queued' ? `${title} (queued)` : title;
}

function JobRow({ job, onCancel }: { job: JobInfo; onCancel(): void }) {
  const { done, total, message } = job.progress;
  return (
    <div className="job-row" data-testid="job-progress" data-job-id={job.id} data-state={job.state}>
      <span className="job-kind">{jobTitle(job)}</span>
      <ProgressBar fraction={progressFraction(job.progress)} label={`${jobTitle(job)} #${job.id}`} />
      <span className="job-count">
        {formatCount(done)}
        {total != null ? ` / ${formatCount(total)}` : ''}
      </span>
      <span className="job-message" title={message}>
        {message}
      </span>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function BatchRow({ batch, jobsById, onCancel }: { batch: UploadBatch; jobsById: ReadonlyMap<number, JobInfo>; onCancel(): void }) {
  // One bar for the whole drop: files the core has finished, out of all files dropped.
  let processed = 0;
  let message = '';
  for (const [jobId, files] of batch.jobFiles) {
    const job = jobsById.get(jobId);
    if (!job) continue;
    if (!isActive(job)) processed += files;
    else {
      processed += Math.min(files, job.progress.done);
      if (job.state === 'running') message = job.progress.message;
    }
  }
  if (batch.sending) {
    message = `Uploading ${formatCount(batch.sentFiles)} / ${formatCount(batch.totalFiles)} files (${formatBytes(batch.sentBytes)} of ${formatBytes(batch.totalBytes)})${message ? ` · ${message}` : ''}`;
  }
  const fraction = batch.totalFiles ? processed / batch.totalFiles : null;
  return (
    <div className="job-row" data-testid="job-progress" data-batch-id={batch.id}>
      <span className="job-kind">{batch.cancelled ? 'Cancelling' : 'Importing'}</span>
      <ProgressBar fraction={fraction} label="Upload" />
      <span className="job-count">
        {formatCount(processed)} / {formatCount(batch.totalFiles)}
      </span>
      <span className="job-message" title={message}>
        {message}
      </span>
      <button type="button" onClick={onCancel} disabled={batch.cancelled}>
        Cancel
      </button>
    </div>
  );
}

const MAX_LISTED = 500;

/** The newest import's report, one line until opened; earlier imports of this session fold into it. */
function ReportPanel({ entry, earlier, onDismiss }: { entry: ReportEntry; earlier: ReportEntry[]; onDismiss(): void }) {
  const { report } = entry;
  const dups = report.duplicateOf ?? [];
  const failed = report.failed.length;
  const skipped = report.skipped ?? [];
  const verb = entry.state === 'cancelled' ? 'cancelled' : entry.state === 'failed' ? 'failed' : 'finished';
  return (
    <section className={`report report-${failed || entry.state !== 'done' ? 'warn' : 'ok'}`} data-testid="import-report" aria-label={`${entry.title} report`}>
      <div className="report-header">
        <strong>
          {entry.title} {verb}:
        </strong>
        <span className="report-summary">
          imported {report.imported} · {report.duplicates} duplicate{report.duplicates === 1 ? '' : 's'} ·{' '}
          <span className={failed ? 'error-text' : undefined}>{failed} failed</span>
          {report.notes.length ? ` · ${report.notes.length} note${report.notes.length === 1 ? '' : 's'}` : ''}
          {skipped.length ? ` · ${skipped.length} skipped` : ''}
          {earlier.length ? ` · ${earlier.length} earlier import${earlier.length === 1 ? '' : 's'} below` : ''}
        </span>
        <button type="button" className="icon" onClick={onDismiss} aria-label="Dismiss report" title="Dismiss">
          ×
        </button>
      </div>
      {entry.error && <p className="error-text">{entry.error}</p>}
      {failed > 0 && (
        <details className="report-section" open={failed <= 3}>
          <summary className="report-section-title">Not imported ({formatCount(failed)})</summary>
          <ul className="report-list" data-testid="import-failures">
            {report.failed.slice(0, MAX_LISTED).map((f, i) => (
              <li key={i}>
                <PathText className="mono wrap" path={f.path} />
                <span className="report-reason">{f.error}</span>
              </li>
            ))}
            {failed > MAX_LISTED && <li className="muted">… and {formatCount(failed - MAX_LISTED)} more</li>}
          </ul>
        </details>
      )}
      {report.duplicates > 0 && (
        <details className="report-section" data-testid="import-duplicates">
          <summary className="report-section-title">
            Duplicates ({formatCount(report.duplicates)}): same content as a file already in the library, not imported again
          </summary>
          {dups.length > 0 ? (
            <ul className="report-list" data-testid="import-duplicate-list">
              {dups.slice(0, MAX_LISTED).map((d, i) => (
                <li key={i}>
                  <PathText className="mono wrap" path={d.path} />
                  <span className="report-reason muted">
                    matches <PathText className="mono wrap" path={d.existing} />
                  </span>
                </li>
              ))}
              {report.duplicates > Math.min(MAX_LISTED, dups.length) && (
                <li className="muted">… and {formatCount(report.duplicates - Math.min(MAX_LISTED, dups.length))} more</li>
              )}
            </ul>
          ) : (
            <p className="muted small">This import did not record which files they matched.</p>
          )}
        </details>
      )}
      {earlier.length > 0 && (
        <details className="report-section" data-testid="import-earlier">
          <summary className="report-section-title">Earlier imports ({earlier.length})</summary>
          <ul className="report-list">
            {earlier.map((e) => (
              <li key={e.key}>
                {e.title} {e.state}: imported {e.report.imported} · {e.report.duplicates} duplicates · {e.report.failed.length} failed
              </li>
            ))}
          </ul>
        </details>
      )}
      {skipped.length > 0 && (
        <details className="report-section" data-testid="import-skipped">
          <summary className="report-section-title">Skipped ({skipped.length})</summary>
          <ul className="report-list">
            {skipped.slice(0, MAX_LISTED).map((n, i) => (
              <li key={i}>
                <PathText className="mono wrap" path={n.path} />
                <span className="report-reason muted">{n.reason}</span>
              </li>
            ))}
            {skipped.length > MAX_LISTED && <li className="muted">… and {formatCount(skipped.length - MAX_LISTED)} more</li>}
          </ul>
        </details>
      )}
      {report.notes.length > 0 && (
        <details className="report-section">
          <summary className="report-section-title">Notes ({report.notes.length})</summary>
          <ul className="report-list">
            {report.notes.slice(0, MAX_LISTED).map((n, i) => (
              <li key={i}>
                <PathText className="mono wrap" path={n.path} />
                <span className="report-reason muted">{n.note}</span>
              </li>
            ))}
            {report.notes.length > MAX_LISTED && <li className="muted">… and {formatCount(report.notes.length - MAX_LISTED)} more</li>}
          </ul>
        </details>
      )}
    </section>
  );
}

export function JobsArea({ jobs }: { jobs: JobsState }) {
  if (!jobs.activeJobs.length && !jobs.batches.length && !jobs.reports.length) return null;
  return (
    <div className="jobs-area" aria-label="Jobs">
      {jobs.batches.map((batch) => (
        <BatchRow key={`b${batch.id}`} batch={batch} jobsById={jobs.jobsById} onCancel={() => jobs.cancelBatch(batch.id)} />
      ))}
      {jobs.activeJobs.map((job) => (
        <JobRow key={job.id} job={job} onCancel={() => jobs.cancelJob(job.id)} />
      ))}
      {jobs.reports.length > 0 && (
        <ReportPanel
          key={jobs.reports[0].key}
          entry={jobs.reports[0]}
          earlier={jobs.reports.slice(1)}
          onDismiss={() => jobs.reports.forEach((r) => jobs.dismissReport(r.key))}
        />
      )}
    </div>
  );
}
