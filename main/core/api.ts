import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmmaApi, EmmaEvent, Envelope, ImportReport, ImportRequest, MediaKind } from './contract.js';
import { dispatch } from './dispatch.js';
import { openDatabase, type Db } from './db/database.js';
import { JobManager } from './jobs/job-manager.js';
import { importPaths } from './library/importer.js';
import { EventHub } from './util/events.js';
import { resolveDataLocation, type DataLocation } from './paths.js';
import { MediaStore } from './library/media-store.js';
import { defaultKeyProvider, type TeacherKeyProvider } from './teacher/keys.js';
import { TeacherService } from './teacher/service.js';
import { ReviewService } from './review/service.js';
import { StudentApi } from './student/api.js';
import { ChatApi } from './chat/api.js';
import { closeLanguageModels } from './student/language.js';
import { releaseOwner } from './jobs/owners.js';
import { reapOrphanedVersions } from './student/versions.js';
import { MeasureService } from './measure/service.js';
import { InferencePool } from './host/inference-pool.js';
import { BackgroundMeasure } from './measure/background.js';
import { SEGMENTER_FILE, segmenterVersionInUse } from './measure/segmenter-store.js';
import { activeVersion } from './student/versions.js';
import { closeChatModels, warmChat } from './chat/service.js';
import { jobsHandlers } from './jobs/handlers.js';
import { teacherHandlers } from './teacher/handlers.js';
import { reviewHandlers } from './review/handlers.js';
import { measureHandlers } from './measure/handlers.js';
import { auditHandlers } from './audit/handlers.js';
import { libraryHandlers } from './library/handlers.js';
import { studentHandlers } from './student/handlers.js';
import { chatHandlers } from './chat/handlers.js';

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
  readonly chat: ChatApi;
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
  const measure = new MeasureService({ db, jobs, actor: options.mode, pool, allowLinkTarget: options.allowLinkTarget });
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
    actor: options.mode,
    autoClassify: options.autoClassify ?? options.mode !== 'cli',
    pool,
    allowLinkTarget: options.allowLinkTarget,
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
          if (activeVersion(db)?.dir) await warmChat(db, pool);
        })().catch(() => undefined);
        await Promise.all([warmPool().catch(() => undefined), chat]);
      })
    : Promise.resolve();
  if (autoMeasure) background.requestAfter(warmed, options.autoMeasureDelayMs ?? 5000);

  const chat = new ChatApi({
    db,
    jobs,
    review,
    student,
    teacherAsk: (request) => teacher.ask(request),
    // Sizes, counts and pitches in chat answers come from the particle analysis / line metrology, never the decoder.
    measurements: { measure: (imageId) => measure.summary(imageId) },
    pool,
  });

  // One map per domain, each in its folder and typed as its slice of EmmaApi: a method missing from every map is a
  // compile error here.
  const api: EmmaApi = {
    ...libraryHandlers({
      db,
      jobs,
      events,
      location,
      version,
      actor: options.mode,
      allowLinkTarget: options.allowLinkTarget,
      afterImport: () => {
        // New images get the active version's predictions in the background, as after an activation, so the grid
        // shows them and the chat answers about them from stored facts; then their measurement summaries, once that
        // classification (a job that goes first) has finished.
        student.classifyPending();
        measureLater();
      },
    }),
    ...jobsHandlers(jobs),
    ...teacherHandlers(teacher),
    ...reviewHandlers(review),
    ...studentHandlers(db, student),
    ...chatHandlers(chat),
    ...measureHandlers(db, measure),
    ...auditHandlers(db),
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
    chat,
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
