// Job tracking for the shell: live progress from pushed core events (re-read when the stream reconnects, never
// polled), finished-import reports, and browser upload batches (many startUpload calls shown as one).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ImportFailure, ImportReport, JobInfo } from '../../../main/core/contract.js';
import { api, onEvent, transport, uploadFile } from '../api/index.js';
import { asImportReport, emptyReport, isActive, mergeReports } from '../lib/jobs.js';
import { planChunks } from '../lib/upload.js';
import type { DroppedFile } from '../library/dropFiles.js';
import { messageOf } from '../lib/errors.js';

export interface ReportEntry {
  key: string;
  title: string;
  state: 'done' | 'failed' | 'cancelled';
  report: ImportReport;
  error: string | null;
  finishedAt: number;
}

export interface UploadBatch {
  id: number;
  totalFiles: number;
  totalBytes: number;
  sentFiles: number;
  sentBytes: number;
  sending: boolean;
  cancelled: boolean;
  /** Server job id -> number of files it carries. */
  jobFiles: Map<number, number>;
  reports: Map<number, ImportReport>;
  errors: string[];
  clientFailures: ImportFailure[];
  skipped: string[];
}

export interface JobsState {
  /** Jobs to show, newest first: active ones, excluding those that belong to an upload batch. */
  activeJobs: JobInfo[];
  batches: UploadBatch[];
  /** Latest info of every job seen (for batch progress). */
  jobsById: ReadonlyMap<number, JobInfo>;
  reports: ReportEntry[];
  libraryVersion: number;
  /** Like libraryVersion, but not bumped by label-only changes (review decisions). */
  imagesVersion: number;
  lastError: string | null;
  /** Bumps whenever any job changes (views that show job results re-read on it). */
  jobsVersion: number;
  /** Follow a job started elsewhere (e.g. a teacher run) in the jobs area. */
  track(job: JobInfo): void;
  startImport(paths: string[], labelsFromFolders: boolean): Promise<void>;
  uploadFiles(files: DroppedFile[], skipped: string[]): Promise<void>;
  cancelJob(id: number): void;
  cancelBatch(id: number): void;
  dismissReport(key: string): void;
  clearError(): void;
}

const LIBRARY_THROTTLE_MS = 800;

export function useJobs(): JobsState {
  const jobsRef = useRef(new Map<number, JobInfo>());
  const batchesRef = useRef(new Map<number, UploadBatch>());
  const jobToBatch = useRef(new Map<number, number>());
  const reportedRef = useRef(new Set<number>());
  const watchedRef = useRef(new Set<number>());
  const uploadCallsInFlight = useRef(0);
  const nextBatchId = useRef(1);
  const [jobsVersion, setTick] = useState(0);
  const [reports, setReports] = useState<ReportEntry[]>([]);
  const [libraryVersion, setLibraryVersion] = useState(0);
  // Bumped only when images themselves change (not for review decisions): what depends on the image count.
  const [imagesVersion, setImagesVersion] = useState(0);
  const imagesChanged = useRef(false);
  const [lastError, setLastError] = useState<string | null>(null);
  const rerender = useCallback(() => setTick((t) => t + 1), []);

  // Library changes arrive in bursts during an import: re-query at most every LIBRARY_THROTTLE_MS.
  const libraryTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastBump = useRef(0);
  const streamOpened = useRef(false);
  const bumpLibrary = useCallback((labelsOnly = false) => {
    if (!labelsOnly) imagesChanged.current = true;
    if (libraryTimer.current) return;
    const wait = Math.max(0, lastBump.current + LIBRARY_THROTTLE_MS - Date.now());
    libraryTimer.current = setTimeout(() => {
      libraryTimer.current = null;
      lastBump.current = Date.now();
      setLibraryVersion((v) => v + 1);
      if (imagesChanged.current) {
        imagesChanged.current = false;
        setImagesVersion((v) => v + 1);
      }
    }, wait);
  }, []);

  const finishBatchIfDone = useCallback(
    (batch: UploadBatch) => {
      if (batch.sending) return;
      for (const jobId of batch.jobFiles.keys()) {
        const job = jobsRef.current.get(jobId);
        if (!job || isActive(job)) return;
      }
      batchesRef.current.delete(batch.id);
      const merged = mergeReports([...batch.reports.values()]);
      merged.failed.push(...batch.clientFailures);
      // Files left out on this side are failures too: the operator dropped them and they are not in the library.
      merged.failed.push(...batch.skipped.map((name) => ({ path: name, error: 'not uploaded: not a JPEG, PNG or TIFF file' })));
      merged.cancelled ||= batch.cancelled;
      const failedJobs = batch.errors.length > 0;
      setReports((list) => [
        {
          key: `batch-${batch.id}`,
          title: `Upload of ${batch.totalFiles} file${batch.totalFiles === 1 ? '' : 's'}`,
          state: merged.cancelled ? 'cancelled' : failedJobs ? 'failed' : 'done',
          report: merged,
          error: failedJobs ? batch.errors.join('; ') : null,
          finishedAt: Date.now(),
        },
        ...list,
      ]);
      bumpLibrary();
    },
    [bumpLibrary],
  );

  // Report each watched job once when it reaches a final state. Watched: started here, or seen running.
  const settle = useCallback(
    (id: number) => {
      const job = jobsRef.current.get(id);
      if (!job || isActive(job) || !watchedRef.current.has(id) || reportedRef.current.has(id)) return;
      const batchId = jobToBatch.current.get(id);
      // A job finishing while a startUpload call is still on its way may belong to that upload: wait for it.
      if (batchId == null && uploadCallsInFlight.current > 0) return;
      reportedRef.current.add(id);
      // Only imports have import reports; other kinds show their results in their own views.
      if (job.kind !== 'import') {
        if (job.state === 'failed') setLastError(`${job.kind} job #${id} failed: ${job.error ?? 'unknown error'}`);
        return;
      }
      if (batchId != null) {
        const batch = batchesRef.current.get(batchId);
        if (!batch) return;
        const report = asImportReport(job.result);
        if (report) batch.reports.set(id, report);
        if (job.state === 'failed') batch.errors.push(job.error ?? 'import job failed');
        finishBatchIfDone(batch);
        return;
      }
      const report = asImportReport(job.result) ?? emptyReport();
      if (job.state === 'cancelled') report.cancelled = true;
      setReports((list) => [
        {
          key: `job-${id}`,
          title: `Import #${id}`,
          state: job.state === 'failed' ? 'failed' : job.state === 'cancelled' ? 'cancelled' : 'done',
          report,
          error: job.state === 'failed' ? (job.error ?? 'import job failed') : null,
          finishedAt: Date.now(),
        },
        ...list,
      ]);
      bumpLibrary();
    },
    [bumpLibrary, finishBatchIfDone],
  );

  const upsert = useCallback(
    (job: JobInfo) => {
      const prev = jobsRef.current.get(job.id);
      if (prev && isActive(job)) {
        if (!isActive(prev)) return; // a final state is final; this is a late snapshot
        if (prev.updatedAt > job.updatedAt) return;
      }
      jobsRef.current.set(job.id, job);
      if (isActive(job)) watchedRef.current.add(job.id);
      // Images are stored one by one during an import: show them as they arrive (re-queries are throttled).
      if (job.kind === 'import' && isActive(job) && job.progress.done > (prev?.progress.done ?? 0)) bumpLibrary();
      settle(job.id);
      rerender();
    },
    [settle, rerender, bumpLibrary],
  );

  useEffect(() => {
    const unsubscribe = onEvent(
      (event) => {
        if (event.type === 'job') upsert(event.job);
        else if (event.type === 'library-changed') bumpLibrary(event.scope === 'labels');
      },
      // Each time the stream opens (the first time, and after a reconnect): the jobs already running when the window
      // opened (a reload during an import), and the final state of any that ended while no event could arrive.
      () => {
        api.listJobs(20).then(
          (jobs) => jobs.filter(isActive).forEach(upsert),
          () => undefined,
        );
        for (const job of jobsRef.current.values()) if (isActive(job)) api.getJob(job.id).then(upsert, () => undefined);
        // After a reconnect the library may have changed unseen.
        if (streamOpened.current) bumpLibrary();
        streamOpened.current = true;
      },
    );
    return () => {
      unsubscribe();
      if (libraryTimer.current) clearTimeout(libraryTimer.current);
    };
  }, [upsert, bumpLibrary]);

  const track = useCallback(
    (job: JobInfo) => {
      // Its events may have arrived before this answer did; watching it now still reports it once.
      watchedRef.current.add(job.id);
      upsert(job);
      settle(job.id);
    },
    [upsert, settle],
  );

  const startImport = useCallback(
    async (paths: string[], labelsFromFolders: boolean) => {
      if (!paths.length) return;
      try {
        track(await api.startImport({ paths, labelsFromFolders }));
      } catch (error) {
        setLastError(`Import could not start: ${messageOf(error)}`);
      }
    },
    [track],
  );

  const uploadFiles = useCallback(
    async (files: DroppedFile[], skipped: string[]) => {
      const batch: UploadBatch = {
        id: nextBatchId.current++,
        totalFiles: files.length,
        totalBytes: files.reduce((s, f) => s + f.file.size, 0),
        sentFiles: 0,
        sentBytes: 0,
        sending: true,
        cancelled: false,
        jobFiles: new Map(),
        reports: new Map(),
        errors: [],
        clientFailures: [],
        skipped,
      };
      batchesRef.current.set(batch.id, batch);
      rerender();
      const chunks = planChunks(files.map((f) => f.file.size));
      for (const chunk of chunks) {
        if (batch.cancelled) break;
        const payload: { name: string; bytes: Uint8Array }[] = [];
        // Browser mode streams each file's raw bytes to the server first (no base64, nothing held in memory);
        // under Electron the bytes travel in the call.
        const uploadIds: string[] = [];
        const payloadPaths: string[] = [];
        let chunkBytes = 0;
        for (const i of chunk) {
          const { file, relativePath } = files[i];
          try {
            if (transport === 'http') uploadIds.push((await uploadFile(file)).uploadId);
            else payload.push({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
            payloadPaths.push(relativePath);
            chunkBytes += file.size;
          } catch (error) {
            batch.clientFailures.push({ path: relativePath, error: `${transport === 'http' ? 'upload failed' : 'could not be read'}: ${messageOf(error)}` });
          }
          if (batch.cancelled) break;
        }
        if (batch.cancelled) break;
        if (payloadPaths.length) {
          uploadCallsInFlight.current++;
          try {
            const job = uploadIds.length ? await api.importUploads(uploadIds) : await api.startUpload(payload);
            jobToBatch.current.set(job.id, batch.id);
            batch.jobFiles.set(job.id, payloadPaths.length);
            track(job);
            // Cancelled while this chunk was on its way: stop its job too.
            if (batch.cancelled && isActive(job)) api.cancelJob(job.id).then(upsert, () => undefined);
          } catch (error) {
            for (const path of payloadPaths) {
              batch.clientFailures.push({ path, error: `upload failed: ${messageOf(error)}` });
            }
          } finally {
            uploadCallsInFlight.current--;
            for (const id of watchedRef.current) settle(id);
          }
        }
        batch.sentFiles += chunk.length;
        batch.sentBytes += chunkBytes;
        rerender();
      }
      if (batch.cancelled) {
        for (let i = batch.sentFiles; i < files.length; i++) {
          batch.clientFailures.push({ path: files[i].relativePath, error: 'not sent: upload cancelled' });
        }
      }
      batch.sending = false;
      finishBatchIfDone(batch);
      rerender();
    },
    [finishBatchIfDone, rerender, settle, track, upsert],
  );

  const cancelJob = useCallback(
    (id: number) => {
      api.cancelJob(id).then(upsert, (error: unknown) => setLastError(`Cancel failed: ${messageOf(error)}`));
    },
    [upsert],
  );

  const cancelBatch = useCallback(
    (id: number) => {
      const batch = batchesRef.current.get(id);
      if (!batch) return;
      batch.cancelled = true;
      for (const jobId of batch.jobFiles.keys()) {
        const job = jobsRef.current.get(jobId);
        if (job && isActive(job)) cancelJob(jobId);
      }
      rerender();
    },
    [cancelJob, rerender],
  );

  const dismissReport = useCallback((key: string) => {
    setReports((list) => list.filter((r) => r.key !== key));
  }, []);

  const activeJobs = [...jobsRef.current.values()].filter((job) => isActive(job) && !jobToBatch.current.has(job.id)).sort((a, b) => b.id - a.id);

  return {
    activeJobs,
    batches: [...batchesRef.current.values()],
    jobsById: jobsRef.current,
    reports,
    libraryVersion,
    imagesVersion,
    jobsVersion,
    track,
    lastError,
    startImport,
    uploadFiles,
    cancelJob,
    cancelBatch,
    dismissReport,
    clearError: () => setLastError(null),
  };
}
