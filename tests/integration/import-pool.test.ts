// The import pool (worker threads beside the importing thread) against importing one file at a time in one
// thread, on real micrographs and real SQLite files: the same rows, labels, report and thumbnails; and a cancel in
// the middle of a pooled import leaves a database whose rows, labels and thumbnails agree.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../main/core/db/database.js';
import { importPaths, type ImportOptions } from '../../main/core/library/importer.js';
import { thumbnailPath } from '../../main/core/library/media-cache.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

const IMAGE_COLUMNS = `id, sha256, path, file_name, file_size, format, width, height, bit_depth, pages, pixel_size_nm,
  magnification, kv, wd_mm, detector, instrument, vendor, acquired_at, databar_y, databar_height, metadata_json`;

let dir: string;
let cleanup: () => void;
const opened: Db[] = [];

beforeEach(() => {
  ({ dir, cleanup } = tempDir('emma-pool-'));
});

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  cleanup();
});

function library(name: string): { db: Db; dataDir: string } {
  const dataDir = join(dir, name);
  const db = openDatabase(join(dataDir, 'emma.sqlite'));
  opened.push(db);
  return { db, dataDir };
}

function rows(db: Db) {
  return {
    images: db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images ORDER BY id`).all(),
    labels: db
      .prepare(
        `SELECT i.sha256, c.name, l.source, l.source_ref, l.status, l.confidence FROM labels l
         JOIN images i ON i.id = l.image_id JOIN classes c ON c.id = l.class_id ORDER BY i.id, c.name`,
      )
      .all(),
    classes: db.prepare(`SELECT id, name FROM classes ORDER BY id`).all(),
  };
}

async function importInto(name: string, paths: string[], pool: boolean, extra: Partial<ImportOptions> = {}) {
  const { db, dataDir } = library(name);
  let workers = 0;
  const report = await importPaths(db, {
    paths,
    labelsFromFolders: true,
    dataDir,
    ...(pool ? { workers: 2, workersAtOnce: true, concurrency: 2 } : { workers: 0, concurrency: 1 }),
    onWorkers: (n) => (workers = n),
    ...extra,
  });
  return { db, dataDir, report, workers };
}

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

describe.skipIf(!hasSharedData)('import pool', () => {
  it('writes exactly the rows, labels, report and thumbnails of a one-file-at-a-time import', async () => {
    // Zeiss, FEI and JEOL TIFFs with calibration and data bars in labelled folders, the NFFA JPEGs (one with a
    // bar), and one file named twice (a duplicate inside the import).
    const paths = [join(sharedData, 'sem-tiff'), join(sharedData, 'nffa'), join(sharedData, 'sem-tiff', 'sem', '1908248.tif')];
    const one = await importInto('one', paths, false);
    const pool = await importInto('pool', paths, true);
    expect(one.workers).toBe(0);
    expect(pool.workers).toBe(2);

    expect(one.report.imported).toBeGreaterThan(30);
    expect(one.report.duplicates).toBeGreaterThanOrEqual(1);
    expect(pool.report).toEqual(one.report);

    const a = rows(one.db);
    const b = rows(pool.db);
    expect(a.images.length).toBe(one.report.imported);
    // The data the pool must carry across threads: calibration and data bars are really there.
    expect(a.images.filter((r) => (r as { pixel_size_nm: number | null }).pixel_size_nm !== null).length).toBeGreaterThan(20);
    expect(a.images.filter((r) => (r as { databar_y: number | null }).databar_y !== null).length).toBeGreaterThan(20);
    expect(a.labels.length).toBe(a.images.length);
    expect(b).toEqual(a);

    for (const r of a.images as { sha256: string }[]) {
      const t1 = readFileSync(thumbnailPath(one.dataDir, r.sha256));
      const t2 = readFileSync(thumbnailPath(pool.dataDir, r.sha256));
      expect(t2.equals(t1)).toBe(true);
    }
  });

  it('a cancel in the middle of a pooled import leaves a consistent database, and re-importing completes it', async () => {
    const folder = join(sharedData, 'uhcs');
    const ac = new AbortController();
    const progress: number[] = [];
    const { db, dataDir, report, workers } = await importInto('cancel', [folder], true, {
      signal: ac.signal,
      onProgress: (done, _total, message) => {
        if (message !== 'cancelled' && message !== 'looking for images') progress.push(done);
        if (done >= 40) ac.abort();
      },
    });
    expect(workers).toBe(2);
    expect(report.cancelled).toBe(true);
    expect(report.failed).toEqual([]);
    expect(report.imported).toBeGreaterThanOrEqual(40);
    expect(report.imported).toBeLessThan(406);
    // Progress counts up one written file at a time.
    expect(progress).toEqual(Array.from({ length: report.imported }, (_, i) => i + 1));

    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const images = db.prepare(`SELECT id, sha256 FROM images ORDER BY id`).all() as { id: number; sha256: string }[];
    expect(images.length).toBe(report.imported);
    // Every row has its folder label and its thumbnail; no label points past the rows.
    const labelled = db.prepare(`SELECT count(DISTINCT image_id) AS n, count(*) AS all_labels FROM labels`).get() as { n: number; all_labels: number };
    expect(labelled).toEqual({ n: images.length, all_labels: images.length });
    for (const r of images) expect(existsSync(thumbnailPath(dataDir, r.sha256))).toBe(true);
    // Rows are written in walk order: the written ones are the first files of the walk.
    const walked = db.prepare(`SELECT path FROM images ORDER BY id`).all() as { path: string }[];
    const sorted = [...walked].sort((x, y) => x.path.localeCompare(y.path));
    expect(walked).toEqual(sorted);

    const rest = await importPaths(db, { paths: [folder], labelsFromFolders: true, dataDir, workers: 2, workersAtOnce: true });
    expect(rest.cancelled).toBe(false);
    expect(rest.duplicates).toBe(report.imported);
    expect(rest.imported + rest.duplicates).toBe(406);
    expect((db.prepare(`SELECT count(*) AS n FROM images`).get() as { n: number }).n).toBe(406);
    expect((db.prepare(`SELECT count(*) AS n FROM labels`).get() as { n: number }).n).toBe(406);
  });

  it('without workersAtOnce the pool starts at most the idle cores, and the result is the same either way', async () => {
    // Whether workers start depends on this machine's load; what they write must not.
    const folder = join(sharedData, 'uhcs');
    const one = await importInto('alone', [folder], false);
    const auto = await importInto('auto', [folder], false, { workers: 2, concurrency: 2 });
    expect(auto.workers).toBeLessThanOrEqual(Math.min(2, Math.max(0, availableParallelism() - 1)));
    expect(auto.report).toEqual(one.report);
    expect(auto.report.imported).toBe(406);
    const a = rows(one.db);
    expect(rows(auto.db)).toEqual(a);
    for (const r of a.images as { sha256: string }[]) {
      expect(readFileSync(thumbnailPath(auto.dataDir, r.sha256)).equals(readFileSync(thumbnailPath(one.dataDir, r.sha256)))).toBe(true);
    }
  });
});
