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
import { activeSegmenter } from './segmenter-store.js';
import type { MeasureResult } from './types.js';
import { CoreError } from '../errors.js';

export class MeasureError extends CoreError<'not_found'> {
  constructor(
    code: 'not_found',
    message: string,
  ) {
    super(code, message);
    this.name = 'MeasureError';
  }
}

/**
 * Measures one library image as the app does (the chat's entry point for size, count and pitch questions):
 * the segmenter in use (see segmenter-store.ts) or the classical default, calibration from the file.
 * Throws MeasureError('not_found') for an unknown id, ImageReadError for an unreadable file.
 */
export async function measureLibraryImage(
  db: Db,
  imageId: number,
  segmenter?: Awaited<ReturnType<typeof activeSegmenter>>,
): Promise<MeasureResult> {
  const row = db.prepare(`SELECT path FROM images WHERE id = ?`).get(imageId) as { path: string } | undefined;
  if (!row) throw new MeasureError('not_found', `No image with id ${imageId}.`);
  const seg = segmenter === undefined ? await activeSegmenter(db) : segmenter;
  const { result } = await measureFile(row.path, { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
  return { ...result, imageId };
}

export class MeasureService {
  constructor(private readonly d: { db: Db; jobs: JobManager; actor: string }) {}

  private imagePath(imageId: number): string {
    const row = this.d.db.prepare(`SELECT path FROM images WHERE id = ?`).get(imageId) as { path: string } | undefined;
    if (!row) throw new MeasureError('not_found', `No image with id ${imageId}.`);
    return row.path;
  }

  // The last few results, by image and segmenter: a chat follow-up ("and how many?") or the image view after a
  // size answer costs no second segmentation. Library files do not change under an id (content-hash import).
  private readonly recent = new Map<string, Promise<MeasureResult>>();

  async measure(imageId: number): Promise<MeasureResult> {
    const seg = await activeSegmenter(this.d.db);
    const key = `${imageId}\u0000${seg?.version ?? 'classical'}`;
    let hit = this.recent.get(key);
    if (!hit) {
      hit = measureLibraryImage(this.d.db, imageId, seg);
      hit.catch(() => this.recent.delete(key));
      this.recent.set(key, hit);
      while (this.recent.size > 16) this.recent.delete(this.recent.keys().next().value as string);
    }
    return hit;
  }

  /** The instance labels of a measurement (for the mask editor); not cached: labels are large. */
  async measureLabels(imageId: number): Promise<{ labels: Int32Array; width: number; height: number; method: string }> {
    const seg = await activeSegmenter(this.d.db);
    const { result, labels } = await measureFile(this.imagePath(imageId), { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null, lines: false });
    return { labels, width: result.width, height: result.height, method: result.method };
  }

  startMeasure(imageIds: number[]): JobInfo {
    return this.d.jobs.start('measure', { imageIds }, async (ctx) => {
      const seg = await activeSegmenter(this.d.db);
      const out: MeasureJobResult = { results: [], failed: [] };
      for (const [i, imageId] of imageIds.entries()) {
        if (ctx.signal.aborted) break;
        ctx.progress(i, imageIds.length, `measuring ${i + 1}/${imageIds.length}`);
        try {
          const { result: r } = await measureFile(this.imagePath(imageId), { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
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
      const seg = request.classical ? null : await activeSegmenter(this.d.db);
      const maskOut = request.maskOut ? resolve(request.maskOut) : null;
      if (maskOut) await mkdir(maskOut, { recursive: true });
      const out: MeasureJobResult = { results: [], failed: [], files: [], failedFiles: [] };
      for (const [i, p] of paths.entries()) {
        if (ctx.signal.aborted) break;
        ctx.progress(i, paths.length, `measuring ${i + 1}/${paths.length}`);
        try {
          const { result, labels } = await measureFile(resolve(p), { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
          if (maskOut) await writeFile(join(maskOut, `${basename(p, extname(p))}.png`), encodeLabelPng(labels, result.width, result.height));
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
    return importMasks(this.d.db, dir, by ?? this.d.actor);
  }
}
