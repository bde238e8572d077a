import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStatus, EmmaApi, ImportReport, ImportRequest, JobInfo, UploadedFile } from './contract.js';
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
import { auditCsv, queryAudit } from './audit/log.js';
import { dataBarImage, getCalibration, setScale } from './library/calibration.js';

export interface CoreOptions {
  /** Database file; defaults to EMMA_DB or the per-user data folder. */
  dbPath?: string;
  mode: string;
  /** Where the teacher's API key comes from (Electron: safeStorage); default: memory, OPENAI_API_KEY, EMMA_TEACHER_API_KEY_FILE. */
  teacherKeyProvider?: TeacherKeyProvider;
  /** Classify new and changed images after a model version activates (default: on in the app, off for the CLI). */
  autoClassify?: boolean;
}

/** The Electron-free core: one object that every binding (IPC, HTTP, CLI) drives. */
export interface EmmaCore {
  readonly api: EmmaApi;
  readonly db: Db;
  readonly events: EventHub;
  readonly jobs: JobManager;
  readonly media: MediaStore;
  readonly teacher: TeacherService;
  readonly review: ReviewService;
  readonly student: StudentApi;
  readonly location: DataLocation;
  /** Runs an import in this process and returns its report (the CLI's path). */
  importNow(request: ImportRequest, onProgress?: (done: number, total: number, message: string) => void): Promise<ImportReport>;
  close(): Promise<void>;
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

export function createCore(options: CoreOptions): EmmaCore {
  const location = resolveDataLocation(options.dbPath);
  const db = openDatabase(location.dbPath);
  const events = new EventHub();
  const jobs = new JobManager(db, events);
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
  const student = new StudentApi({
    db, dbPath: location.dbPath, dataDir: location.dataDir, jobs, events, review, actor: options.mode, teacherAsk: (request) => teacher.ask(request),
    autoClassify: options.autoClassify ?? options.mode !== 'cli',
  });

  const runImport = (request: ImportRequest): JobInfo =>
    jobs.start('import', request, async (ctx) => {
      const report = await importPaths(db, {
        paths: request.paths,
        labelsFromFolders: request.labelsFromFolders,
        dataDir: location.dataDir,
        jobId: ctx.id,
        signal: ctx.signal,
        onProgress: (done, total, message) => ctx.progress(done, total, message),
      });
      events.emit({ type: 'library-changed' });
      return report;
    });

  const api: EmmaApi = {
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
        const safe = file.name.replace(/[\u0000-\u001f/\\:*?"<>|]+/g, '_').replace(/^\.+/, '_').slice(0, 200) || `file-${i}`;
        const sub = join(dir, String(i).padStart(5, '0'));
        await mkdir(sub, { recursive: true });
        const path = join(sub, safe);
        await writeFileAtomic(path, Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
        paths.push(path);
      }
      return runImport({ paths });
    },
    async getJob(id) {
      return jobs.get(id);
    },
    async listJobs(limit) {
      return jobs.list(limit);
    },
    async cancelJob(id) {
      return jobs.cancel(id);
    },
    getTeacherSettings: () => teacher.getSettings(),
    updateTeacherConfig: (patch) => teacher.updateConfig(patch),
    setTeacherEgress: (enabled, person) => teacher.setEgress(enabled, person ?? undefined),
    setTeacherApiKey: (key) => teacher.setApiKey(key),
    testTeacherConnection: () => teacher.testConnection(),
    listTaxonomySets: async () => teacher.listTaxonomySets(),
    applyTaxonomySet: (setId, mode) => teacher.applyTaxonomySet(setId, mode),
    listTaxonomy: async () => teacher.listTaxonomy(),
    saveTaxonomyClass: async (cls) => teacher.upsertClass(cls),
    listTeacherTemplates: async () => teacher.listTemplates(),
    saveTeacherTemplate: async (draft) => teacher.saveTemplate(draft),
    startTeacherRun: (request) => teacher.startRun(request),
    listTeacherRuns: async (limit) => teacher.listRuns(limit),
    getTeacherRun: async (id) => teacher.getRun(id),
    listTeacherOutputs: async (query) => teacher.listOutputs(query),
    teacherAsk: (request) => teacher.ask(request),
    listTeacherAudit: async (limit) => teacher.listAudit(limit),
    getReviewQueue: (query) => review.queue(query),
    getReviewItem: async (imageId) => review.item(imageId),
    decideReview: async (request) => review.decide(request),
    undoReview: async (request) => review.undo(request),
    listReviewHistory: async (query) => review.history(query),
    assignLabels: async (request) => review.assign(request),
    addAnnotation: async (request) => review.annotate(request),
    getReviewStats: async () => review.stats(),
    exportReview: (request) => review.export(request),
    listReviewExports: async (limit) => review.exports(limit),
    getTrainingPlan: async (request) => student.plan(request),
    startTraining: async (request) => student.startTraining(request),
    getTrainingProgress: async (jobId) => student.trainingProgress(jobId),
    listModelVersions: async () => student.listVersions(),
    getModelVersion: (id) => student.version(id),
    activateModelVersion: async (id) => student.activate(id),
    compareModelVersions: (a, b) => student.compare(a, b),
    exportModelVersion: async (id, outDir) => student.exportVersion(id, outDir),
    importModelVersion: (dir) => student.importVersion(dir),
    startClassify: async (request) => student.startClassify(request),
    findSimilar: (imageId, k) => student.similar(imageId, k),
    findByText: (text, k) => student.findByText(text, k),
    getStudentCapabilities: async () => student.capabilities(),
    askStudent: (request) => student.ask(request),
    askTeacherInChat: (request) => student.askTeacher(request),
    correctChatAnswer: async (request) => student.correct(request),
    listChat: async (imageId) => student.listChat(imageId),
    listAuditLog: async (query) => queryAudit(db, query),
    exportAuditCsv: async (query) => auditCsv(db, query),
    renameTaxonomyClass: async (from, to) => teacher.renameClass(from, to),
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
    db,
    events,
    jobs,
    media,
    teacher,
    review,
    student,
    location,
    async importNow(request, onProgress) {
      const report = await importPaths(db, { ...request, dataDir: location.dataDir, onProgress });
      events.emit({ type: 'library-changed' });
      return report;
    },
    async close() {
      await jobs.shutdown();
      await closeLanguageModels();
      db.close();
    },
  };
}
