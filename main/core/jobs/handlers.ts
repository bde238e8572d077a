// The jobs domain's part of the API: every long piece of work (import, teacher run, training, classification,
// measurement, mask import) is a job that can be read, listed and cancelled the same way.
import type { JobsContract } from './contract.js';
import type { JobManager } from './job-manager.js';

export type JobsMethod = keyof JobsContract;

export function jobsHandlers(jobs: JobManager): JobsContract {
  return {
    getJob: async (id) => jobs.get(id),
    listJobs: async (limit) => jobs.list(limit),
    cancelJob: async (id) => jobs.cancel(id),
  };
}
