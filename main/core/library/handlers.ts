// The library domain's part of the API: the status line, images and classes, imports (paths, dropped files, finished
// uploads) as jobs, and each image's calibration. api.ts merges the domains' maps into one EmmaApi (contract.ts: the union of their slices).
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppStatus, ImportReport, ImportRequest, JobInfo, UploadedFile } from '../contract.js';
import type { LibraryContract } from './contract.js';
import type { Db } from '../db/database.js';
import { CoreError } from '../errors.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { DataLocation } from '../paths.js';
import type { EventHub } from '../util/events.js';
import { dataBarImage, getCalibration, setScale } from './calibration.js';
import { importPaths, writeFileAtomic } from './importer.js';
import { getImage, listClasses, listImages } from './queries.js';
import { removeUnreferencedUploads, uploadedFile } from './uploads.js';

export type LibraryMethod = keyof LibraryContract;

export interface LibraryDeps {
  db: Db;
  jobs: JobManager;
  events: EventHub;
  location: DataLocation;
  /** The app's version, for the status line. */
  version: string;
  /** Who acts ('app', 'cli', 'server'): the status line and the audit log of a scale set by hand. */
  actor: string;
  /** Lab-server confinement of links met inside an imported folder (see CoreOptions.allowLinkTarget). */
  allowLinkTarget?: (realPath: string) => boolean;
  /** After an import that added images: their classification and measurement in the background. */
  afterImport: (report: ImportReport) => void;
}

export function libraryHandlers(d: LibraryDeps): LibraryContract {
  const { db, events, location } = d;
  // `uploaded`: the paths are copies in the uploads folder; those no image uses afterwards are removed.
  const runImport = (request: ImportRequest, uploaded = false): JobInfo =>
    d.jobs.start('import', request, async (ctx) => {
      try {
        const report = await importPaths(db, {
          paths: request.paths,
          labelsFromFolders: request.labelsFromFolders,
          dataDir: location.dataDir,
          jobId: ctx.id,
          signal: ctx.signal,
          onProgress: (done, total, message) => ctx.progress(done, total, message),
          allowLinkTarget: d.allowLinkTarget,
        });
        events.emit({ type: 'library-changed' });
        if (report.imported > 0) d.afterImport(report);
        return report;
      } finally {
        if (uploaded) await removeUnreferencedUploads(db, request.paths).catch(() => undefined);
      }
    });

  return {
    async getStatus(): Promise<AppStatus> {
      const imageCount = (db.prepare(`SELECT count(*) AS n FROM images`).get() as { n: number }).n;
      return { version: d.version, dbPath: location.dbPath, dataDir: location.dataDir, imageCount, mode: d.actor };
    },
    listImages: async (query) => listImages(db, query),
    getImage: async (id) => getImage(db, id),
    listClasses: async () => listClasses(db),
    startImport: async (request) => runImport(request),
    async startUpload(files: UploadedFile[]) {
      // Browser drops carry bytes, not paths: keep a copy in the data folder, then import it like any file.
      // A random suffix: two batches in the same millisecond must not share (and overwrite) a folder.
      const dir = join(location.dataDir, 'uploads', `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`);
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
      const c = setScale(db, request, d.actor);
      events.emit({ type: 'library-changed' });
      return c;
    },
  };
}
