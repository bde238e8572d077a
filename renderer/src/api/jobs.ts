// Following a job by its pushed 'job' events: no polling. The job is read once whenever the event stream opens
// (at the start, and after a reconnect), so its state is right even if it changed before the subscription or
// while the stream was down. Snapshots older than the one shown, and anything after a final state, are ignored.
import type { JobInfo } from '../../../main/core/contract.js';
import { isActive } from '../lib/jobs.js';
import { api, onEvent } from './index.js';

/** Calls `onUpdate` with each newer state of job `id` until it ends; returns a function that stops following. */
export function watchJob(id: number, onUpdate: (job: JobInfo) => void): () => void {
  let shown: JobInfo | null = null;
  let stopped = false;
  const offer = (job: JobInfo) => {
    if (stopped || job.id !== id) return;
    if (shown && (!isActive(shown) || job.updatedAt < shown.updatedAt)) return;
    shown = job;
    onUpdate(job);
    if (!isActive(job)) stop();
  };
  const off = onEvent(
    (event) => {
      if (event.type === 'job') offer(event.job);
    },
    () => {
      api.getJob(id).then(offer, () => undefined);
    },
  );
  const stop = () => {
    stopped = true;
    off();
  };
  return stop;
}

/** The job's final state (done, failed or cancelled), from its events. */
export function jobEnded(id: number): Promise<JobInfo> {
  return new Promise((resolve) => {
    watchJob(id, (job) => {
      if (!isActive(job)) resolve(job);
    });
  });
}
