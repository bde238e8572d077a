// Import on real micrographs and a real SQLite file: metadata, dedupe, folder labels, bad files, cancel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { thumbnailPath } from '../../main/core/library/media-cache.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

let core: CoreInternals;
let dir: string;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  core = createCore({ dbPath: join(dir, 'data', 'emma.sqlite'), mode: 'cli' });
});

afterEach(async () => {
  await core.close();
  cleanup();
});

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

describe.skipIf(!hasSharedData)('import', () => {
  it('reads Zeiss calibration and the data bar into the database, with a thumbnail', async () => {
    const report = await core.importNow({ paths: [join(sharedData, 'sem-tiff', 'sem', '1908248.tif')] });
    expect(report).toMatchObject({ imported: 1, duplicates: 0, failed: [] });
    const page = await core.api.listImages({ offset: 0, limit: 10 });
    const image = await core.api.getImage(page.items[0].id);
    expect(image.pixelSizeNm).toBeCloseTo(7.344, 3);
    expect(image.magnification).toBe(50000);
    expect(image.kV).toBeCloseTo(20, 3);
    expect(image.workingDistanceMm).toBeCloseTo(2.8, 2);
    expect(image.detector).toMatch(/InLens/i);
    expect(image.dataBar).not.toBeNull();
    // The README's reading: the bar is the bottom ~58 rows of 768 (a 2-row frame may sit below it).
    expect(image.dataBar!.y).toBeGreaterThan(700);
    expect(image.dataBar!.y).toBeLessThan(720);
    expect(image.dataBar!.y + image.dataBar!.height).toBeGreaterThanOrEqual(764);
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(thumbnailPath(core.location.dataDir, image.sha256))).toBe(true);
  });

  it('dedupes by content and labels ImageFolder trees by folder name', async () => {
    const root = join(sharedData, 'nffa');
    const first = await core.importNow({ paths: [root], labelsFromFolders: true });
    expect(first.imported).toBe(9);
    expect(first.failed).toEqual([]);
    const again = await core.importNow({ paths: [root], labelsFromFolders: true });
    expect(again).toMatchObject({ imported: 0, duplicates: 9 });
    const classes = await core.api.listClasses();
    expect(classes.map((c) => c.className).sort()).toEqual(['Nanowires', 'Particles']);
    expect(classes.reduce((n, c) => n + c.count, 0)).toBe(9);
    const labelled = await core.api.listImages({ offset: 0, limit: 50, filter: { kind: 'class', className: 'Nanowires' } });
    expect(labelled.total).toBeGreaterThan(0);
    expect(labelled.items.every((i) => i.label?.source === 'human' && i.label.sourceRef === 'folder import')).toBe(true);
    // Labels are not duplicated by the second import.
    const n = core.db.prepare(`SELECT count(*) AS n FROM labels`).get() as { n: number };
    expect(n.n).toBe(9);
  });

  it('follows symbolic links to files and folders (a loop once), labels by the linking folder, reports broken links', async () => {
    // A project folder made of links into a data store, as lab servers do.
    const tree = join(dir, 'linked');
    mkdirSync(join(tree, 'Particles'), { recursive: true });
    const particles = readdirSync(join(sharedData, 'nffa', 'Particles')).filter((f) => f.endsWith('.jpg'));
    for (const f of particles) symlinkSync(join(sharedData, 'nffa', 'Particles', f), join(tree, 'Particles', f));
    symlinkSync(join(sharedData, 'nffa', 'Nanowires'), join(tree, 'Nanowires'));
    symlinkSync(tree, join(tree, 'Particles', 'loop'));
    symlinkSync(join(dir, 'nowhere.png'), join(tree, 'Particles', 'gone.png'));
    const report = await core.importNow({ paths: [tree], labelsFromFolders: true });
    expect(report.imported).toBe(9);
    expect(report.failed.map((f) => f.path.split('/').pop())).toEqual(['gone.png']);
    expect(report.failed[0].error).toMatch(/broken link/);
    const classes = await core.api.listClasses();
    expect(Object.fromEntries(classes.map((c) => [c.className, c.count]))).toEqual({ Nanowires: 9 - particles.length, Particles: particles.length });
  });

  it('reports a truncated TIFF and a non-image with their reasons and imports the rest', async () => {
    const batch = join(dir, 'batch');
    mkdirSync(batch);
    const src = join(sharedData, 'sem-tiff', 'sem');
    const files = readdirSync(src)
      .filter((f) => f.endsWith('.tif'))
      .slice(0, 4);
    for (const f of files) copyFileSync(join(src, f), join(batch, f));
    const whole = readFileSync(join(src, files[0]));
    writeFileSync(join(batch, 'truncated.tif'), whole.subarray(0, Math.floor(whole.length / 3)));
    writeFileSync(join(batch, 'garbage.png'), Buffer.from('this is not a png at all'));
    writeFileSync(join(batch, 'notes.txt'), 'operator notes');
    const report = await core.importNow({ paths: [batch] });
    expect(report.imported).toBe(4);
    expect(report.failed.map((f) => f.path.split('/').pop()).sort()).toEqual(['garbage.png', 'truncated.tif']);
    for (const f of report.failed) expect(f.error.length).toBeGreaterThan(5);
    expect(report.skipped).toEqual([{ path: join(batch, 'notes.txt'), reason: 'not an image file (extension .txt)' }]);
    // Nothing half-written: only the good files have rows.
    const rows = core.db.prepare(`SELECT file_name FROM images ORDER BY file_name`).all() as { file_name: string }[];
    expect(rows.map((r) => r.file_name)).toEqual([...files].sort());
  });

  it('reports a missing path instead of failing the batch', async () => {
    const report = await core.importNow({ paths: [join(dir, 'nope'), join(sharedData, 'nffa', 'Particles')] });
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0].error).toMatch(/not found/);
    expect(report.imported).toBeGreaterThan(0);
  });

  it('notes multi-page TIFFs and imports the first page', async () => {
    const report = await core.importNow({ paths: [join(sharedData, 'sem-tiff', 'vendors', 'ZEISS_SEM_multipage.tif')] });
    expect(report.imported).toBe(1);
    expect(report.notes.some((n) => /2 pages/.test(n.note))).toBe(true);
    const image = (await core.api.listImages({ offset: 0, limit: 1 })).items[0];
    expect(image.pixelSizeNm).toBeCloseTo(12.33, 2);
  });

  it('runs as a job with progress events and can be cancelled, keeping what was imported', async () => {
    const events: number[] = [];
    core.events.on((e) => {
      if (e.type === 'job') events.push(e.job.progress.done);
    });
    const job = await core.api.startImport({ paths: [join(sharedData, 'uhcs')], labelsFromFolders: true });
    expect(job.state).toBe('running');
    await new Promise<void>((resolve) => {
      const off = core.events.on((e) => {
        if (e.type === 'job' && e.job.progress.done >= 5) {
          off();
          resolve();
        }
      });
    });
    await core.api.cancelJob(job.id);
    const final = await core.jobs.wait(job.id);
    expect(final.state).toBe('cancelled');
    const result = final.result as { imported: number; cancelled: boolean };
    expect(result.cancelled).toBe(true);
    expect(result.imported).toBeGreaterThan(0);
    expect(result.imported).toBeLessThan(406);
    const count = (await core.api.getStatus()).imageCount;
    expect(count).toBe(result.imported);
    expect(events.length).toBeGreaterThan(1);
    // Resume: importing again finishes the rest without duplicating anything.
    const rest = await core.importNow({ paths: [join(sharedData, 'uhcs')], labelsFromFolders: true });
    expect(rest.imported + rest.duplicates).toBe(406);
    expect((await core.api.getStatus()).imageCount).toBe(406);
  });

  it('marks jobs interrupted by a crash as failed on the next start', async () => {
    core.db.prepare(`INSERT INTO jobs (kind, state, created_at, updated_at) VALUES ('import', 'running', 'x', 'x')`).run();
    await core.close();
    core = createCore({ dbPath: join(dir, 'data', 'emma.sqlite'), mode: 'cli' });
    const [job] = await core.api.listJobs(1);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/interrupted/);
  });
});
