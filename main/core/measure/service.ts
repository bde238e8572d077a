// Measurement over the library: one image (API measureImage), a selection as a job (startMeasure), and
// mask import. The active model version's segmenter measures when it has one, else the classical default.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { JobInfo, MaskImportResult, MeasureFilesRequest, MeasureJobItem, MeasureJobResult } from '../contract.js';
import type { Db } from '../db/database.js';
import type { JobManager } from '../jobs/job-manager.js';
import { measureImage as measureFile } from './index.js';
import { importMasks } from './masks.js';
import { encodeLabelPng } from './mask-file.js';
import { activeSegmenter, readSegmenter, SEGMENTER_FILE, segmenterVersionInUse } from './segmenter-store.js';

export type SegmenterInUse = ReturnType<typeof segmenterVersionInUse>;
import type { InferencePool, Priority } from '../host/inference-pool.js';
import { chatMeasurement, type ImageMeasurement } from '../chat/measure.js';
import { nowIso } from '../db/database.js';

/** Bumped when what measures changes (segmentation, measurement, the summary's shape): old rows are then ignored. */
const SUMMARY_FORMAT = 'emma-measure-summary/2'; // 2: lines carry the LER
import type { MeasureResult } from './types.js';
import type { PixelModel } from './pixel-model.js';
import { CoreError } from '../errors.js';

/** The segmenter part of a summary's key: 'v<id>' for a learnt segmenter, 'classical' for the default. */
export const segmenterKey = (inUse: SegmenterInUse): string => (inUse ? `v${inUse.id}` : 'classical');

/** measurement_summaries.method_key: format, segmenter, pixel size (a new calibration is a new measurement). */
const methodKey = (inUse: SegmenterInUse, pixelSizeNm: number | null): string => `${SUMMARY_FORMAT}|${segmenterKey(inUse)}|${pixelSizeNm ?? 'uncalibrated'}`;

export class MeasureError extends CoreError<'not_found'> {
  constructor(code: 'not_found', message: string) {
    super(code, message);
    this.name = 'MeasureError';
  }
}

/**
 * Measures one library image as the app does (the chat's entry point for size, count and pitch questions):
 * the segmenter in use (see segmenter-store.ts) or the classical default, calibration from the file.
 * Throws MeasureError('not_found') for an unknown id, ImageReadError for an unreadable file.
 */
export async function measureLibraryImage(db: Db, imageId: number, segmenter?: Awaited<ReturnType<typeof activeSegmenter>>): Promise<MeasureResult> {
  const row = db.prepare(`SELECT path FROM images WHERE id = ?`).get(imageId) as { path: string } | undefined;
  if (!row) throw new MeasureError('not_found', `No image with id ${imageId}.`);
  const seg = segmenter === undefined ? await activeSegmenter(db) : segmenter;
  const { result } = await measureFile(row.path, { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
  return { ...result, imageId };
}

export class MeasureService {
  constructor(
    private readonly d: {
      db: Db;
      jobs: JobManager;
      actor: string;
      pool?: InferencePool;
      /** Lab-server confinement of links met inside a masks folder (CoreOptions.allowLinkTarget). */
      allowLinkTarget?: (realPath: string) => boolean;
    },
  ) {}

  private imagePath(imageId: number): string {
    const row = this.d.db.prepare(`SELECT path FROM images WHERE id = ?`).get(imageId) as { path: string } | undefined;
    if (!row) throw new MeasureError('not_found', `No image with id ${imageId}.`);
    return row.path;
  }

  // The last few results, by image and segmenter: a chat follow-up ("and how many?") or the image view after a
  // size answer costs no second segmentation. Library files do not change under an id (content-hash import).
  private readonly recent = new Map<string, Promise<MeasureResult>>();

  /** Background measurements in flight (background.ts), by the same key: a chat question meanwhile shares one. */
  private readonly inBackground = new Map<string, Promise<MeasureResult>>();

  async measure(imageId: number): Promise<MeasureResult> {
    const inUse = segmenterVersionInUse(this.d.db);
    const key = `${imageId}\u0000${segmenterKey(inUse)}`;
    let hit = this.recent.get(key);
    if (!hit) {
      const bg = this.inBackground.get(key);
      // Already in a worker: waiting for it is sooner than a second measurement (a cancelled one is measured here).
      hit = bg ? bg.catch(() => this.run(imageId, 'interactive', inUse)) : this.run(imageId, 'interactive', inUse);
      hit.catch(() => this.recent.delete(key));
      this.recent.set(key, hit);
      while (this.recent.size > 16) this.recent.delete(this.recent.keys().next().value as string);
    }
    return hit;
  }

  /**
   * One measurement with the segmenter `inUse` (read once by the caller, so the result and its stored summary name
   * the same segmenter): in the inference pool when the core has one (particle analysis is seconds of JavaScript on
   * large images, and must not hold the core's thread), else here. Keeps the summary.
   */
  private async run(imageId: number, priority: Priority, inUse: SegmenterInUse, signal?: AbortSignal): Promise<MeasureResult> {
    const path = this.imagePath(imageId);
    const segmenterPath = inUse ? join(inUse.dir, SEGMENTER_FILE) : null;
    const modelVersion = inUse ? `v${inUse.id}` : null;
    const { pool } = this.d;
    const r: MeasureResult = pool
      ? { ...(await pool.measure({ path, segmenterPath, modelVersion }, priority)).result, imageId }
      : { ...(await measureFile(path, { segmenter: segmenterPath ? await this.segmenter(segmenterPath) : null, modelVersion })).result, imageId };
    // A background run stopped meanwhile (the core may be closing its database) keeps nothing.
    if (!signal?.aborted) this.storeSummary(imageId, inUse, r);
    return r;
  }

  /**
   * Background measurement of one image (background.ts): at 'batch' priority in the pool, its summary kept unless
   * `signal` aborted first. Needs the pool: on the core's thread it would hold every other call for seconds.
   */
  summariseInBackground(imageId: number, inUse: SegmenterInUse, signal: AbortSignal): Promise<MeasureResult> {
    if (!this.d.pool) return Promise.reject(new Error('background measurement needs the inference pool'));
    const key = `${imageId}\u0000${segmenterKey(inUse)}`;
    const p = this.run(imageId, 'batch', inUse, signal);
    this.inBackground.set(key, p);
    const clear = () => {
      if (this.inBackground.get(key) === p) this.inBackground.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  /** Whether the image has a stored summary for the segmenter `inUse` (at its current pixel size). */
  hasSummary(imageId: number, inUse: SegmenterInUse): boolean {
    const k = this.summaryKey(imageId, inUse);
    return this.d.db.prepare(`SELECT 1 FROM measurement_summaries WHERE image_sha256 = ? AND method_key = ?`).get(k.sha, k.key) !== undefined;
  }

  /** Library images (ids, in id order) with no stored summary for the segmenter `inUse`: what is left to measure. */
  unsummarised(inUse: SegmenterInUse): number[] {
    const prefix = `${SUMMARY_FORMAT}|${segmenterKey(inUse)}|`;
    // Keys compared in JavaScript: SQLite would spell a pixel size differently ("3.0" for 3).
    const have = new Set(
      this.d.db
        .prepare(`SELECT image_sha256 || char(0) || method_key FROM measurement_summaries WHERE substr(method_key, 1, ?) = ?`)
        .pluck()
        .all(prefix.length, prefix) as string[],
    );
    const rows = this.d.db.prepare(`SELECT id, sha256, pixel_size_nm FROM images ORDER BY id`).all() as {
      id: number;
      sha256: string;
      pixel_size_nm: number | null;
    }[];
    return rows.filter((r) => !have.has(`${r.sha256}\u0000${methodKey(inUse, r.pixel_size_nm)}`)).map((r) => r.id);
  }

  /** The segmenter file last read (a batch reads it once; a new version has a new file). */
  private loadedSegmenter: { path: string; model: Promise<PixelModel> } | null = null;

  private segmenter(path: string): Promise<PixelModel> {
    if (this.loadedSegmenter?.path !== path) {
      const model = readSegmenter(path);
      model.catch(() => (this.loadedSegmenter = null));
      this.loadedSegmenter = { path, model };
    }
    return this.loadedSegmenter.model;
  }

  /**
   * The chat's summary of an image's measurement: stored (by content hash, segmenter, format and pixel size) or
   * measured now and stored, so the particle analysis runs once per image and segmenter, across restarts.
   */
  async summary(imageId: number): Promise<ImageMeasurement> {
    const k = this.summaryKey(imageId, segmenterVersionInUse(this.d.db));
    const stored = this.d.db.prepare(`SELECT summary_json FROM measurement_summaries WHERE image_sha256 = ? AND method_key = ?`).pluck().get(k.sha, k.key) as
      string | undefined;
    if (stored) {
      try {
        return JSON.parse(stored) as ImageMeasurement;
      } catch {
        // a damaged row is measured again
      }
    }
    return chatMeasurement(await this.measure(imageId)); // (measure stores the summary)
  }

  private summaryKey(imageId: number, inUse: SegmenterInUse): { sha: string; key: string } {
    const row = this.d.db.prepare(`SELECT sha256, pixel_size_nm FROM images WHERE id = ?`).get(imageId) as
      { sha256: string; pixel_size_nm: number | null } | undefined;
    if (!row) throw new MeasureError('not_found', `No image with id ${imageId}.`);
    return { sha: row.sha256, key: methodKey(inUse, row.pixel_size_nm) };
  }

  /** Keeps the chat's summary of a measurement, whoever asked for it (the image view, the chat, a batch job). */
  private storeSummary(imageId: number, inUse: SegmenterInUse, r: MeasureResult): void {
    try {
      const k = this.summaryKey(imageId, inUse);
      this.d.db
        .prepare(`INSERT OR REPLACE INTO measurement_summaries (image_sha256, method_key, summary_json, created_at) VALUES (?, ?, ?, ?)`)
        .run(k.sha, k.key, JSON.stringify(chatMeasurement(r)), nowIso());
    } catch {
      // A cache: a busy or read-only database only costs the next question a measurement.
    }
  }

  /** The instance labels of a measurement (for the mask editor); not cached: labels are large. */
  async measureLabels(imageId: number): Promise<{ labels: Int32Array; width: number; height: number; method: string }> {
    const seg = await activeSegmenter(this.d.db);
    const { result, labels } = await measureFile(this.imagePath(imageId), { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null, lines: false });
    return { labels, width: result.width, height: result.height, method: result.method };
  }

  startMeasure(imageIds: number[]): JobInfo {
    return this.d.jobs.start('measure', { imageIds }, async (ctx) => {
      const out: MeasureJobResult = { results: [], failed: [] };
      const inUse = segmenterVersionInUse(this.d.db); // one segmenter for the whole batch
      for (const [i, imageId] of imageIds.entries()) {
        if (ctx.signal.aborted) break;
        ctx.progress(i, imageIds.length, `measuring ${i + 1}/${imageIds.length}`);
        try {
          const r = await this.run(imageId, 'batch', inUse);
          const d = r.particles.ecdNm ?? r.particles.ecdPx;
          const item: MeasureJobItem = {
            imageId,
            fileName: r.fileName,
            count: r.particles.count,
            excludedAtEdge: r.particles.excludedAtEdge,
            calibrated: r.calibrated,
            ecdMedian: d.median,
            ecdUnit: r.particles.ecdNm ? 'nm' : 'px',
            pitch: r.lines?.pitch ?? null,
            method: r.method,
          };
          out.results.push(item);
        } catch (e) {
          out.failed.push({ imageId, error: (e as Error).message });
        }
      }
      ctx.progress(imageIds.length, imageIds.length, 'done');
      return out;
    });
  }

  /** Image files measured as a job (`emma measure`): full results, label images written to `maskOut` when asked. */
  startMeasureFiles(request: MeasureFilesRequest): JobInfo {
    const { paths } = request;
    return this.d.jobs.start('measure', { files: paths.length, maskOut: request.maskOut ?? null, classical: request.classical === true }, async (ctx) => {
      const { pool } = this.d;
      const maskOut = request.maskOut ? resolve(request.maskOut) : null;
      if (maskOut) await mkdir(maskOut, { recursive: true });
      // In the inference pool when the core has one (as startMeasure), else on this thread.
      const inUse = request.classical ? null : segmenterVersionInUse(this.d.db);
      const seg = pool || request.classical ? null : await activeSegmenter(this.d.db);
      const measureOne = async (path: string): Promise<{ result: MeasureResult; labels?: Int32Array }> =>
        pool
          ? pool.measure(
              {
                path,
                segmenterPath: inUse ? join(inUse.dir, SEGMENTER_FILE) : null,
                modelVersion: inUse ? `v${inUse.id}` : null,
                withLabels: maskOut !== null,
              },
              'batch',
            )
          : measureFile(path, { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
      const out: MeasureJobResult = { results: [], failed: [], files: [], failedFiles: [] };
      for (const [i, p] of paths.entries()) {
        if (ctx.signal.aborted) break;
        ctx.progress(i, paths.length, `measuring ${i + 1}/${paths.length}`);
        try {
          const { result, labels } = await measureOne(resolve(p));
          if (maskOut && labels) await writeFile(join(maskOut, `${basename(p, extname(p))}.png`), encodeLabelPng(labels, result.width, result.height));
          out.files!.push(result);
        } catch (e) {
          out.failedFiles!.push({ path: p, error: (e as Error).message });
        }
      }
      ctx.progress(paths.length, paths.length, 'done');
      return out;
    });
  }

  importMasks(dir: string, by?: string): Promise<MaskImportResult> {
    return importMasks(this.d.db, dir, by ?? this.d.actor, { allowLinkTarget: this.d.allowLinkTarget });
  }

  /** `emma masks import` and the API's long form: a job with progress per file, cancellable between files. */
  startMaskImport(dir: string, by?: string): JobInfo {
    return this.d.jobs.start('masks', { dir }, (ctx) =>
      importMasks(this.d.db, dir, by ?? this.d.actor, {
        signal: ctx.signal,
        onProgress: (done, total, message) => ctx.progress(done, total, message),
        allowLinkTarget: this.d.allowLinkTarget,
      }),
    );
  }
}
