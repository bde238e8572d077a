import { access } from 'node:fs/promises';
import type { MediaKind } from '../contract.js';
import type { Db } from '../db/database.js';
import { writeFileAtomic } from './importer.js';
import { previewPath, thumbnailPath } from './media-cache.js';
import { getImageRow } from './queries.js';
import { makeThumbnail } from './thumbnail.js';

const PREVIEW_MAX_SIDE = 2048;

/** Renders images for display (thumbnail, 8-bit preview without the data bar), cached on disk by content hash. */
export class MediaStore {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  /** Path of a JPEG rendering of the image; renders it first if the cache lacks it. */
  async file(imageId: number, kind: MediaKind): Promise<string> {
    const row = getImageRow(this.db, imageId);
    const target = kind === 'thumb' ? thumbnailPath(this.dataDir, row.sha256) : previewPath(this.dataDir, row.sha256);
    if (await exists(target)) return target;
    const key = `${kind}:${row.sha256}`;
    let job = this.inflight.get(key);
    if (!job) {
      const dataBar = row.databar_y === null || row.databar_height === null ? null : { y: row.databar_y, height: row.databar_height };
      job = makeThumbnail(row.path, { dataBar, maxSide: kind === 'thumb' ? 256 : PREVIEW_MAX_SIDE })
        .then((bytes) => writeFileAtomic(target, bytes, { durable: false }))
        .then(() => target)
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, job);
    }
    return job;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
