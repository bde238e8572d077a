import { readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { ImportFailure, ImportReport, ImportSkip } from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { damageOf } from '../db/integrity.js';
import { specialKind, type PreparedFile } from './import-file.js';
import { defaultImportWorkers, Processors, workersWorthStarting, type FileProcessor } from './import-pool.js';
import type { ImageInspection } from './inspect.js';
import { writeFileAtomic } from './write-atomic.js';
import { LINK_OUTSIDE } from '../util/links.js';

export interface ImportOptions {
  paths: string[];
  labelsFromFolders?: boolean;
  dataDir: string;
  jobId?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
  /** Files in flight per processor (the importing thread and each worker); sharp overlaps them with JavaScript work. */
  concurrency?: number;
  /**
   * Worker threads beside the importing thread (default: one per further core, at most 7; 0 = all work in this
   * thread): the most that may start. Short imports use none: starting a worker costs more than it saves there
   * (see WORKERS_WORTH_MS); nor does a machine without a whole idle core (workersWorthStarting).
   */
  workers?: number;
  /** Start the workers at once instead of after timing the first files (tests of the pool path). */
  workersAtOnce?: boolean;
  /** Told how many worker threads were started, when they are (tests and the benchmark). */
  onWorkers?: (count: number) => void;
  /** Whether a symbolic link met inside a folder may be followed to this real path (lab-server confinement). */
  allowLinkTarget?: (realPath: string) => boolean;
}

interface Candidate {
  path: string;
  /** Class name from `<root>/<class>/...` when importing ImageFolder trees. */
  folderLabel: string | null;
}

const IMAGE_EXTENSIONS = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp']);

/**
 * Collects the files to import. Unreadable roots and paths that are not regular files become failures; what a
 * folder walk passes over on purpose (hidden entries, non-images, FIFOs, devices) is listed as skipped, with why.
 * Only regular files are ever opened: reading a FIFO or /dev/zero would never end.
 */
async function collect(
  paths: string[],
  labelsFromFolders: boolean,
  failed: ImportFailure[],
  notes: ImportReport['notes'],
  skipped: ImportSkip[],
  allowLinkTarget?: (realPath: string) => boolean,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  // Folders already walked, by real path: symbolic links are followed (lab servers link data into project
  // folders), and a link back up the tree is walked once, not forever.
  const seen = new Set<string>();
  const walk = async (root: string, dir: string): Promise<void> => {
    try {
      const real = await realpath(dir);
      if (seen.has(real)) return;
      seen.add(real);
    } catch {
      // readdir below reports the folder as unreadable
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      failed.push({ path: dir, error: `cannot read folder: ${(e as Error).message}` });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.name.startsWith('.')) {
        skipped.push({ path: full, reason: entry.isDirectory() ? 'hidden folder (not walked)' : 'hidden file' });
        continue;
      }
      let kind: { isDirectory(): boolean; isFile(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean } =
        entry;
      if (entry.isSymbolicLink()) {
        try {
          if (allowLinkTarget && !allowLinkTarget(await realpath(full))) {
            failed.push({ path: full, error: LINK_OUTSIDE });
            continue;
          }
          kind = await stat(full);
        } catch (e) {
          failed.push({ path: full, error: `broken link: ${(e as Error).message}` });
          continue;
        }
      }
      if (kind.isDirectory()) {
        await walk(root, full);
      } else if (kind.isFile()) {
        const ext = extname(entry.name).toLowerCase();
        if (!IMAGE_EXTENSIONS.has(ext)) {
          skipped.push({ path: full, reason: `not an image file (${ext ? `extension ${ext}` : 'no extension'})` });
          continue;
        }
        const rel = relative(root, full).split(sep);
        const folderLabel = labelsFromFolders && rel.length >= 2 ? rel[0] : null;
        out.push({ path: full, folderLabel });
      } else {
        skipped.push({ path: full, reason: `not a regular file: ${specialKind(kind)}` });
      }
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let s;
    try {
      s = await stat(abs);
    } catch (e) {
      failed.push({ path: abs, error: `not found or unreadable: ${(e as Error).message}` });
      continue;
    }
    if (s.isDirectory()) await walk(abs, abs);
    else if (s.isFile()) out.push({ path: abs, folderLabel: labelsFromFolders ? basename(dirname(abs)) : null });
    else failed.push({ path: abs, error: `not a regular file: ${specialKind(s)}; only image files and folders can be imported` });
  }
  return out;
}

/** Re-exported for the modules that have always imported it from here. */
export { writeFileAtomic };

/** Ensures a class exists in the taxonomy and returns its id. */
export function ensureClass(db: Db, name: string): number {
  const found = db.prepare(`SELECT id FROM classes WHERE name = ?`).get(name) as { id: number } | undefined;
  if (found) return found.id;
  return Number(db.prepare(`INSERT INTO classes (name, created_at) VALUES (?, ?)`).run(name, nowIso()).lastInsertRowid);
}

function addFolderLabel(db: Db, imageId: number, className: string): boolean {
  const classId = ensureClass(db, className);
  const exists = db.prepare(`SELECT 1 FROM labels WHERE image_id = ? AND class_id = ? AND source = 'human' AND status != 'rejected'`).get(imageId, classId);
  if (exists) return false;
  db.prepare(
    `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at)
     VALUES (?, ?, 'human', 'folder import', 'accepted', NULL, ?)`,
  ).run(imageId, classId, nowIso());
  return true;
}

function insertImage(db: Db, c: Candidate, info: ImageInspection, sha256: string, size: number, jobId: number | null): number {
  return Number(
    db
      .prepare(
        `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, pages,
           pixel_size_nm, magnification, kv, wd_mm, detector, instrument, vendor, acquired_at,
           databar_y, databar_height, metadata_json, imported_at, import_job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sha256,
        c.path,
        basename(c.path),
        size,
        info.format,
        info.width,
        info.height,
        info.bitDepth,
        info.pages,
        info.pixelSizeNm,
        info.magnification,
        info.kV,
        info.workingDistanceMm,
        info.detector,
        info.instrument,
        info.vendor,
        info.acquiredAt,
        info.dataBar?.y ?? null,
        info.dataBar?.height ?? null,
        JSON.stringify(info.metadataRaw ?? {}),
        nowIso(),
        jobId,
      ).lastInsertRowid,
  );
}

/**
 * Workers start once the first files show that the rest would take longer than this in the importing thread alone:
 * starting a worker costs tens of milliseconds from compiled code (several hundred from TypeScript source), which
 * a short import would not win back.
 */
const WORKERS_WORTH_MS = 1500;
/**
 * The rate is timed from the end of this file on: the first files of a process carry one-time costs (compiling
 * JavaScript, libvips loaders) that would make every import look long.
 */
const WARM_UP_FILES = 2;
/** Files timed after the warm-up before that decision. */
const FILES_BEFORE_DECISION = 4;

/** One file's outcome, waiting for its turn at the database (results are written in the order of the walk). */
type Outcome =
  | { kind: 'retry' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'duplicate'; sha256: string }
  | { kind: 'prepared'; sha256: string; size: number; prepared: PreparedFile };

/**
 * Imports files and folders: hash (dedupe by content), read metadata and data bar, write the thumbnail,
 * then insert the row. A bad file is reported with its reason and skipped; the rest import.
 *
 * The per-file work runs on a pool of processors (this thread plus worker threads, import-pool.ts); their results
 * come back here and are written in walk order by this thread alone, each run of finished files in one
 * transaction. At most a few files per processor are in flight, and finished results wait for their turn only
 * within a bounded window, so memory does not grow with the size of the import.
 */
/** Which file a duplicate matched, so the report can say it (bounded: a re-import of a huge tree stays small). */
function noteDuplicate(report: ImportReport, path: string, existing: string): void {
  const list = (report.duplicateOf ??= []);
  if (list.length < 5000) list.push({ path, existing });
}

export async function importPaths(db: Db, options: ImportOptions): Promise<ImportReport> {
  const failed: ImportFailure[] = [];
  const notes: ImportReport['notes'] = [];
  const skipped: ImportSkip[] = [];
  const report: ImportReport = { imported: 0, duplicates: 0, failed, notes, cancelled: false, skipped };
  options.onProgress?.(0, 0, 'looking for images');
  const candidates = await collect(options.paths, options.labelsFromFolders ?? false, failed, notes, skipped, options.allowLinkTarget);
  const total = candidates.length;
  const perProcessor = Math.max(1, options.concurrency ?? 2);
  const workers = Math.max(0, Math.floor(options.workers ?? defaultImportWorkers()));
  const processors = new Processors();
  let warmAt = 0;
  let warmCpu: NodeJS.CpuUsage | null = null;
  /** Whether the workers were started or found not worth it (decided once per import). */
  let decided = false;

  const outcomes = new Map<number, Exclude<Outcome, { kind: 'retry' }>>();
  const retry: number[] = [];
  let nextTake = 0;
  let nextCommit = 0;
  let done = 0;
  // Results may run ahead of the oldest unwritten file by at most this many files.
  const window = 4 * perProcessor * (1 + workers);
  let wake: (() => void) | null = null;
  let advanced = new Promise<void>((r) => (wake = r));
  const signalAdvance = () => {
    const w = wake;
    advanced = new Promise<void>((r) => (wake = r));
    w?.();
  };

  // A damaged database stops the whole import (files are fine; the library is not): no file is reported as failed for it.
  let fatal: Error | null = null;
  const stopped = () => fatal !== null || options.signal?.aborted === true;

  let findBySha: ReturnType<Db['prepare']>;
  try {
    findBySha = db.prepare(`SELECT id, path FROM images WHERE sha256 = ?`);
  } catch (e) {
    await processors.close();
    throw damageOf(e, db.name) ?? e;
  }
  const existingRow = (sha256: string) => findBySha.get(sha256) as { id: number; path: string } | undefined;
  const existingId = (sha256: string) => existingRow(sha256)?.id;

  const work = async (p: FileProcessor, index: number): Promise<Outcome> => {
    const c = candidates[index];
    try {
      const { sha256, size } = await p.hash(index, c.path);
      if (existingId(sha256) !== undefined) {
        p.release(index);
        return { kind: 'duplicate', sha256 };
      }
      return { kind: 'prepared', sha256, size, prepared: await p.decode(index, c.path, options.dataDir) };
    } catch (e) {
      p.release(index);
      const damage = damageOf(e, db.name);
      if (damage) fatal ??= damage;
      // A worker that stopped under this file says nothing about the file: another processor takes it again.
      if (!p.alive) return { kind: 'retry' };
      return { kind: 'failed', error: e };
    }
  };

  /** Writes one file's outcome; the same decisions as importing files one at a time. */
  const record = (c: Candidate, o: Exclude<Outcome, { kind: 'retry' }>): void => {
    if (o.kind === 'failed') {
      failed.push({ path: c.path, error: o.error instanceof Error ? o.error.message : String(o.error) });
      return;
    }
    // Checked again here: an earlier file of this import may have had the same content.
    const existing = existingRow(o.sha256);
    if (existing !== undefined) {
      report.duplicates++;
      noteDuplicate(report, c.path, existing.path);
      // Re-importing a labelled tree labels images that were first imported unlabelled.
      if (c.folderLabel) db.transaction(() => addFolderLabel(db, existing.id, c.folderLabel!))();
      return;
    }
    if (o.kind === 'duplicate') {
      // Seen at hashing time but gone now (deleted meanwhile): the file was not decoded, so it is not imported.
      failed.push({ path: c.path, error: 'the library image with the same content was removed during the import; import the file again' });
      return;
    }
    const { info } = o.prepared;
    if (info.pages > 1) notes.push({ path: c.path, note: `multi-page TIFF: ${info.pages} pages, first page imported` });
    db.transaction(() => {
      const id = insertImage(db, c, info, o.sha256, o.size, options.jobId ?? null);
      if (c.folderLabel) addFolderLabel(db, id, c.folderLabel);
    })();
    report.imported++;
  };

  /** Writes every finished file whose predecessors are all written, in one transaction. */
  const commitReady = (): void => {
    if (fatal || !outcomes.has(nextCommit)) return;
    const batch: number[] = [];
    for (let i = nextCommit; outcomes.has(i); i++) batch.push(i);
    let written = 0;
    try {
      db.transaction(() => {
        for (const i of batch) {
          const c = candidates[i];
          try {
            record(c, outcomes.get(i)!);
          } catch (e) {
            if (damageOf(e, db.name)) throw e;
            failed.push({ path: c.path, error: e instanceof Error ? e.message : String(e) });
          }
          written++;
        }
      })();
    } catch (e) {
      fatal ??= damageOf(e, db.name) ?? (e instanceof Error ? e : new Error(String(e)));
      signalAdvance(); // lanes waiting for the window see the stop
      return;
    }
    for (const i of batch.slice(0, written)) {
      outcomes.delete(i);
      done++;
      options.onProgress?.(done, total, basename(candidates[i].path));
    }
    nextCommit += written;
    signalAdvance();
    if (done >= WARM_UP_FILES && warmAt === 0) {
      warmAt = performance.now();
      warmCpu = process.cpuUsage();
    }
    if (workers > 0 && !decided && done >= WARM_UP_FILES + FILES_BEFORE_DECISION && !stopped()) {
      decided = true;
      const elapsedMs = performance.now() - warmAt;
      const remainingMs = (elapsedMs / (done - WARM_UP_FILES)) * (total - done);
      const cpu = process.cpuUsage(warmCpu ?? undefined);
      const n =
        remainingMs > WORKERS_WORTH_MS
          ? workersWorthStarting({
              wanted: workers,
              cores: availableParallelism(),
              coresInUse: elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / elapsedMs : 0,
              loadAverage1m: loadavg()[0],
            })
          : 0;
      if (n > 0) startWorkers(n);
      // No worker, but the files a worker would have held in flight go to libvips from this thread: its threads
      // then overlap their decodes with this thread's JavaScript (measured: uhcs 4.3-4.9 s instead of 5.0-5.1 s
      // at the same CPU time). Memory stays within what one worker's files would take.
      else startLanes(processors.inline);
    }
  };

  const lanes: Promise<void>[] = [];
  const startLanes = (p: FileProcessor) => {
    for (let k = 0; k < perProcessor; k++) lanes.push(lane(p));
  };
  const startWorkers = (n: number) => {
    for (const p of processors.addWorkers(n)) startLanes(p);
    options.onWorkers?.(n);
  };

  const lane = async (p: FileProcessor): Promise<void> => {
    try {
      await p.ready;
    } catch {
      return; // this worker never started; the other processors take its share
    }
    while (!stopped() && (retry.length > 0 || nextTake < total)) {
      if (retry.length === 0 && nextTake >= nextCommit + window) {
        await advanced;
        continue;
      }
      const index = retry.shift() ?? nextTake++;
      const outcome = await work(p, index);
      if (outcome.kind === 'retry') {
        retry.push(index);
        return;
      }
      outcomes.set(index, outcome);
      commitReady();
    }
    if (fatal) signalAdvance();
  };

  try {
    if (total > 0) {
      if (workers > 0 && options.workersAtOnce) {
        decided = true;
        startWorkers(workers);
      }
      startLanes(processors.inline);
    }
    // Lanes started while waiting (the workers) are awaited too.
    for (let awaited = 0; awaited < lanes.length;) {
      const now = lanes.length;
      await Promise.all(lanes.slice(0, now));
      awaited = now;
    }
    // Files handed back by a worker that stopped after the other lanes had finished.
    if (retry.length > 0) await lane(processors.inline);
  } finally {
    await processors.close();
  }
  if (fatal) throw fatal;
  if (done < total && options.signal?.aborted !== true) {
    throw new Error(`internal: the import stopped after ${done} of ${total} files without a reason; nothing after them was written`);
  }
  if (done < total) report.cancelled = options.signal?.aborted === true;
  options.onProgress?.(done, total, report.cancelled ? 'cancelled' : 'done');
  return report;
}
