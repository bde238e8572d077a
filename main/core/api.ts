import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStatus, EmmaApi, EmmaEvent, Envelope, ImportReport, ImportRequest, JobInfo, MediaKind, UploadedFile } from './contract.js';
import { dispatch } from './dispatch.js';
import { openDatabase, type Db } from './db/database.js';
import { JobManager } from './jobs/job-manager.js';
import { importPaths, writeFileAtomic } from './library/importer.js';
import { getImage, listClasses, listImages } from './library/queries.js';
import { EventHub } from './util/events.js';
import { resolveDataLocation, type DataLocation } from './paths.js';
import { MediaStore } from './library/media-store.js';
import { defaultKeyProvider, type TeacherKeyProvider } from './teacher/keys.js';
import { TeacherService } from './teacher/service.js';
import { ReviewService } from './review/service.js';
import { StudentApi } from './models/service.js';
import { closeLanguageModels } from './student/language.js';
import { releaseOwner } from './jobs/owners.js';
import { reapOrphanedVersions } from './student/versions.js';
import { removeUnreferencedUploads, uploadedFile } from './library/uploads.js';
import { MeasureService } from './measure/service.js';
import { dataBarImage, getCalibration, setScale } from './library/calibration.js';
import { CoreError } from './errors.js';
import { InferencePool } from './host/inference-pool.js';
import { BackgroundMeasure } from './measure/background.js';
import { SEGMENTER_FILE, segmenterVersionInUse, withSegmenterUse } from './measure/segmenter-store.js';
import { activeVersion } from './student/versions.js';
import { closeChatModels, warmChat } from './chat/service.js';
import { jobsHandlers } from './jobs/handlers.js';
import { teacherHandlers } from './teacher/handlers.js';
import { reviewHandlers } from './review/handlers.js';
import { measureHandlers } from './measure/handlers.js';
import { auditHandlers } from './audit/handlers.js';

export interface CoreOptions {
  /** Database file; defaults to EMMA_DB or the per-user data folder. */
  dbPath?: string;
  mode: string;
  /** Where the teacher's API key comes from (Electron: safeStorage); default: memory, OPENAI_API_KEY, EMMA_TEACHER_API_KEY_FILE. */
  teacherKeyProvider?: TeacherKeyProvider;
  /**
   * Lab-server mode: whether an import may follow a symbolic link found inside a folder to this real path
   * (the server confines imports to its data folders). Default: every link is followed.
   */
  allowLinkTarget?: (realPath: string) => boolean;
  /** Classify new and changed images after a model version activates (default: on in the app, off for the CLI). */
  autoClassify?: boolean;
  /** Worker threads of the inference pool (default: one per core, at most 4). */
  inferenceWorkers?: number;
  /**
   * Measure the images that have no stored measurement summary for the segmenter in use, as a background job (kind
   * 'measure'), at start and after imports, activations and training runs, so count and size questions read stored
   * numbers (default: on in the app and server, off for the CLI; EMMA_AUTO_MEASURE=0 or 1 overrides the default).
   */
  autoMeasure?: boolean;
  /** Delay of the start-time background measurement, ms (default 5000: the app's first screens go first). */
  autoMeasureDelayMs?: number;
  /**
   * Start the inference pool's workers at open and load the active version in them and the chat's models here, in
   * the background, so the first question pays none of it (default: on in the app and server, off for the CLI; EMMA_PREWARM=0 or 1
   * overrides the default).
   */
  prewarm?: boolean;
}

/** An environment override of a default: '0'/'false'/'off' and '1'/'true'/'on'; anything else leaves the default. */
function envFlag(name: string): boolean | undefined {
  const v = process.env[name]?.trim().toLowerCase();
  if (v === '0' || v === 'false' || v === 'off') return false;
  if (v === '1' || v === 'true' || v === 'on') return true;
  return undefined;
}

/**
 * What a binding (IPC, HTTP) needs of the core: untrusted calls in, envelopes out, pushed events and rendered
 * media files. An in-process EmmaCore is one; a CoreClient (host/client.ts) is the same with the core in a worker.
 */
export interface CoreEndpoint {
  readonly api: EmmaApi;
  /** Validates and runs one call from outside; never throws. */
  call(method: unknown, args: unknown): Promise<Envelope<unknown>>;
  readonly events: { on(listener: (event: EmmaEvent) => void): () => void };
  readonly media: { file(imageId: number, kind: MediaKind): Promise<string> };
  readonly location: DataLocation;
  close(): Promise<void>;
}

/**
 * The Electron-free core as its clients see it: the API (calls in, envelopes out), pushed events, media files,
 * where its data lives, and closing it. The CLI, IPC and HTTP bindings use nothing else, whether the core runs in
 * this thread (createCore) or in a worker (host/client.ts startCoreWorker).
 */
export type EmmaCore = CoreEndpoint;

/**
 * An in-process core's parts, for its host (core-worker.ts), benchmarks and tests that set up data directly.
 * No client (CLI, IPC, HTTP) may use these: every request goes through `api`.
 */
export interface CoreInternals extends EmmaCore {
  readonly db: Db;
  readonly events: EventHub;
  readonly jobs: JobManager;
  readonly media: MediaStore;
  readonly teacher: TeacherService;
  readonly review: ReviewService;
  readonly student: StudentApi;
  /** The background measurement (runs only with autoMeasure). */
  readonly background: BackgroundMeasure;
  /** Resolves when the open-time pre-warm has finished (at once without prewarm). */
  readonly warmed: Promise<void>;
  /** Runs an import in this process and returns its report (benchmarks and tests; the CLI starts an import job). */
  importNow(request: ImportRequest, onProgress?: (done: number, total: number, message: string) => void): Promise<ImportReport>;
}

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    // Compiled layout (dist/main/core) sits one folder deeper.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  }
}

export function createCore(options: CoreOptions): CoreInternals {
  const location = resolveDataLocation(options.dbPath);
  const db = openDatabase(location.dbPath);
  const events = new EventHub();
  const jobs = new JobManager(db, events);
  // After the jobs: a training run whose job or process is gone is failed and its partial files removed.
  reapOrphanedVersions(db, location.dataDir);
  const media = new MediaStore(db, location.dataDir);
  const version = appVersion();
  const teacher = new TeacherService({
    db,
    jobs,
    events,
    keyProvider: options.teacherKeyProvider ?? defaultKeyProvider(),
    actor: options.mode,
  });
  const review = new ReviewService(db, events, options.mode, location.dataDir);
  // Model work of chat answers and measurements runs here, off the core's thread (started on first use).
  const pool = new InferencePool(options.inferenceWorkers);
  const measure = new MeasureService({ db, jobs, actor: options.mode, pool });
  const background = new BackgroundMeasure({ db, jobs, events, pool, measure });
  const lazy = options.mode === 'cli';
  const autoMeasure = options.autoMeasure ?? envFlag('EMMA_AUTO_MEASURE') ?? !lazy;
  const prewarm = options.prewarm ?? envFlag('EMMA_PREWARM') ?? !lazy;
  const measureLater = () => {
    if (autoMeasure) background.request();
  };
  /** The pool's workers started, the active version and the segmenter loaded in each (see InferencePool.warm). */
  const warmPool = async (): Promise<void> => {
    const v = activeVersion(db);
    const seg = segmenterVersionInUse(db);
    // An image of the library's most common size: its stem session is the one most questions need.
    const sample = db.prepare(`SELECT path, width, databar_y FROM images GROUP BY width, height ORDER BY count(*) DESC LIMIT 1`).get() as
      { path: string; width: number; databar_y: number | null } | undefined;
    await pool.warm({
      versionDir: v?.dir ?? null,
      sample: v?.dir && sample ? { path: sample.path, dataBar: { y: sample.databar_y, width: sample.width } } : null,
      segmenterPath: seg ? join(seg.dir, SEGMENTER_FILE) : null,
    });
  };
  const student = new StudentApi({
    db,
    dbPath: location.dbPath,
    dataDir: location.dataDir,
    jobs,
    events,
    review,
    actor: options.mode,
    teacherAsk: (request) => teacher.ask(request),
    // Sizes, counts and pitches in chat answers come from the particle analysis / line metrology, never the decoder.
    measurements: { measure: (imageId) => measure.summary(imageId) },
    autoClassify: options.autoClassify ?? options.mode !== 'cli',
    pool,
    onModelsChanged: () => {
      if (prewarm) void warmPool().catch(() => undefined);
      measureLater();
    },
  });

  // Off the open path (createCore returns first): the workers start and load the models while the app shows its
  // first screens; then, after a grace period, the library's missing summaries are measured.
  const warmed: Promise<void> = prewarm
    ? new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        const chat = (async () => {
          if (activeVersion(db)?.dir) await warmChat(db);
        })().catch(() => undefined);
        await Promise.all([warmPool().catch(() => undefined), chat]);
      })
    : Promise.resolve();
  if (autoMeasure) background.requestAfter(warmed, options.autoMeasureDelayMs ?? 5000);

  // `uploaded`: the paths are copies in the uploads folder; those no image uses afterwards are removed.
  const runImport = (request: ImportRequest, uploaded = false): JobInfo =>
    jobs.start('import', request, async (ctx) => {
      try {
        const report = await importPaths(db, {
          paths: request.paths,
          labelsFromFolders: request.labelsFromFolders,
          dataDir: location.dataDir,
          jobId: ctx.id,
          signal: ctx.signal,
          onProgress: (done, total, message) => ctx.progress(done, total, message),
          allowLinkTarget: options.allowLinkTarget,
        });
        events.emit({ type: 'library-changed' });
        // New images get the active version's predictions in the background, as after an activation, so the grid
        // shows them and the chat answers about them from stored facts.
        if (report.imported > 0) student.classifyPending();
        // ...and their measurement summaries, once that classification (a job that goes first) has finished.
        if (report.imported > 0) measureLater();
        return report;
      } finally {
        if (uploaded) await removeUnreferencedUploads(db, request.paths).catch(() => undefined);
      }
    });

  // One map per domain (each in its folder, typed as its slice of EmmaApi); the library, student and chat methods
  // follow here until they get theirs.
  const api: EmmaApi = {
    ...jobsHandlers(jobs),
    ...teacherHandlers(teacher),
    ...reviewHandlers(review),
    ...measureHandlers(db, measure),
    ...auditHandlers(db),
    async getStatus(): Promise<AppStatus> {
      const imageCount = (db.prepare(`SELECT count(*) AS n FROM images`).get() as { n: number }).n;
      return { version, dbPath: location.dbPath, dataDir: location.dataDir, imageCount, mode: options.mode };
    },
    async listImages(query) {
      return listImages(db, query);
    },
    async getImage(id) {
      return getImage(db, id);
    },
    async listClasses() {
      return listClasses(db);
    },
    async startImport(request) {
      return runImport(request);
    },
    async startUpload(files: UploadedFile[]) {
      // Browser drops carry bytes, not paths: keep a copy in the data folder, then import it like any file.
      const dir = join(location.dataDir, 'uploads', new Date().toISOString().replace(/[:.]/g, '-'));
      await mkdir(dir, { recursive: true });
      const paths: string[] = [];
      for (const [i, file] of files.entries()) {
        // The library shows the file name: keep the dropped name (one folder per file keeps equal names apart).
        const safe =
          file.name
            // eslint-disable-next-line no-control-regex -- control characters are what this replaces
            .replace(/[\u0000-\u001f/\\:*?"<>|]+/g, '_')
            .replace(/^\.+/, '_')
            .slice(0, 200) || `file-${i}`;
        const sub = join(dir, String(i).padStart(5, '0'));
        await mkdir(sub, { recursive: true });
        const path = join(sub, safe);
        await writeFileAtomic(path, Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
        paths.push(path);
      }
      return runImport({ paths }, true);
    },
    getTrainingPlan: async (request) => student.plan(request),
    startTraining: async (request) => student.startTraining(request),
    getTrainingProgress: async (jobId) => student.trainingProgress(jobId),
    listModelVersions: async () => withSegmenterUse(db, student.listVersions()),
    getModelVersion: (id) => student.version(id),
    activateModelVersion: async (id) => student.activate(id),
    compareModelVersions: (a, b) => student.compare(a, b),
    exportModelVersion: async (id, outDir) => student.exportVersion(id, outDir),
    importModelVersion: (dir) => student.importVersion(dir),
    startClassify: async (request) => student.startClassify(request),
    startClassifyFiles: async (request) => student.startClassifyFiles(request),
    startEvaluation: async (dir) => student.startEvaluation(dir),
    askStudentOnce: (request) => student.askOnce(request),
    findSimilar: (imageId, k) => student.similar(imageId, k),
    findByText: (text, k) => student.findByText(text, k),
    getStudentCapabilities: async () => student.capabilities(),
    askStudent: (request) => student.ask(request),
    searchImagesByText: (text, k) => student.searchText(text, k),
    askTeacherInChat: (request) => student.askTeacher(request),
    correctChatAnswer: async (request) => student.correct(request),
    listChat: async (imageId) => student.listChat(imageId),
    async importUploads(uploadIds) {
      const paths: string[] = [];
      const missing: string[] = [];
      for (const id of uploadIds) {
        const path = await uploadedFile(location.dataDir, id);
        if (path) paths.push(path);
        else missing.push(id);
      }
      if (missing.length) {
        // Nothing starts (and the found copies go, so none is orphaned): the caller sends the batch again.
        await removeUnreferencedUploads(db, paths);
        const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ` and ${missing.length - 3} more` : '');
        throw new CoreError('not_found', `No finished upload with id ${shown}: nothing was imported; upload the files again.`);
      }
      return runImport({ paths }, true);
    },
    getImageCalibration: async (imageId) => getCalibration(db, imageId),
    getDataBarImage: (imageId) => dataBarImage(db, imageId),
    setImageScale: async (request) => {
      const c = setScale(db, request, options.mode);
      events.emit({ type: 'library-changed' });
      return c;
    },
  };

  return {
    api,
    call: (method, args) => dispatch(api, method, args),
    db,
    events,
    jobs,
    media,
    teacher,
    review,
    student,
    background,
    warmed,
    location,
    async importNow(request, onProgress) {
      const report = await importPaths(db, { ...request, dataDir: location.dataDir, onProgress });
      events.emit({ type: 'library-changed' });
      return report;
    },
    async close() {
      background.close();
      await jobs.shutdown();
      await pool.close();
      await warmed; // settles once the pool is closed; the chat models it loaded go next
      await closeChatModels();
      await closeLanguageModels();
      releaseOwner(db);
      db.close();
    },
  };
}
