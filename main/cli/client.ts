// The command line is a client of the core's API like the app's windows: it opens a core, calls `api`, follows
// jobs through the pushed 'job' events, and closes it. Nothing here reaches past the API into the core.
import type { EmmaCore } from '../core/api.js';
import type { JobInfo, JobKind, JobOf } from '../core/contract.js';
import type { TeacherKeyProvider } from '../core/teacher/keys.js';

/** What a command may use of the core: the API, its events, and closing it. */
export type CliCore = Pick<EmmaCore, 'api' | 'events' | 'close'>;

export interface CliCoreOptions {
  dbPath?: string;
  teacherKeyProvider?: TeacherKeyProvider;
}

/**
 * Opens the core for one command in a worker thread, exactly as the lab server and the app run it
 * (host/client.ts startCoreWorker): this thread only sends calls, follows events and prints. The worker costs a
 * command about 0.7 s more start-up under tsx; EMMA_CLI_CORE=inline runs the core on this thread instead (same
 * API, without the argument validation that the worker boundary applies).
 */
export async function openCore(options: CliCoreOptions): Promise<CliCore> {
  if (process.env.EMMA_CLI_CORE === 'inline') {
    const { createCore } = await import('../core/api.js');
    const core = createCore({ dbPath: options.dbPath, mode: 'cli', teacherKeyProvider: options.teacherKeyProvider });
    return { api: core.api, events: core.events, close: () => core.close() };
  }
  const { startCoreWorker } = await import('../core/host/client.js');
  return startCoreWorker({ dbPath: options.dbPath, mode: 'cli', teacherKeyProvider: options.teacherKeyProvider });
}

const ended = (j: JobInfo) => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled';

export interface FollowOptions {
  /** The progress line for a running job (drawn over itself on stderr when stderr is a terminal). */
  line?: (job: JobInfo) => string;
  /**
   * Ctrl-C while the job runs: 'cancel' cancels it (the command reports what the job did); 'twice' cancels on the
   * first press (saying `message`) and quits with 130 on the second.
   */
  interrupt?: { mode: 'cancel' } | { mode: 'twice'; message: string };
}

/**
 * Follows a job to its end and answers its final row. Progress goes to stderr, throttled, and only on a terminal,
 * so stdout stays machine-readable.
 */
export async function followJob<K extends JobKind>(core: CliCore, job: JobInfo, kind: K, o: FollowOptions = {}): Promise<JobOf<K>> {
  if (job.kind !== kind) throw new Error(`expected a ${kind} job, got job #${job.id} of kind ${job.kind}`);
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    // One press cancels; with 'cancel' the next one is Node's own (the process ends).
    if (o.interrupt?.mode === 'cancel') process.off('SIGINT', onSigint);
    if (o.interrupt?.mode === 'twice') {
      if (interrupts > 1) process.exit(130);
      process.stderr.write(`\n${o.interrupt.message}\n`);
    }
    void core.api.cancelJob(job.id).catch(() => undefined);
  };
  if (o.interrupt) process.on('SIGINT', onSigint);
  try {
    const last = await new Promise<JobInfo>((resolve, reject) => {
      let settled = false;
      const finish = (j: JobInfo) => {
        if (settled) return;
        settled = true;
        off();
        resolve(j);
      };
      const off = core.events.on((e) => {
        if (e.type !== 'job' || e.job.id !== job.id) return;
        if (ended(e.job)) return finish(e.job);
        if (!o.line || !tty || Date.now() - lastShown < 250) return;
        lastShown = Date.now();
        process.stderr.write(o.line(e.job));
      });
      // The job may have ended before the subscription: its row says so.
      core.api.getJob(job.id).then(
        (j) => {
          if (ended(j)) finish(j);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          off();
          reject(e);
        },
      );
    });
    if (tty) process.stderr.write('\n');
    return last as JobOf<K>;
  } finally {
    if (o.interrupt) process.off('SIGINT', onSigint);
  }
}

/** A job's result, or its error as the command's error (`emma: <message>`, exit 1). */
export function resultOf<K extends JobKind>(job: JobOf<K>): NonNullable<JobOf<K>['result']> {
  if (job.state === 'done' && job.result !== null) return job.result as NonNullable<JobOf<K>['result']>;
  throw new Error(job.error ?? `${job.kind} job #${job.id} ended ${job.state}`);
}
