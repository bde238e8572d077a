// A cheap image signature for the diversity order: a 64-bit difference hash (dHash) of the cached thumbnail
// (data bar already cropped), so near-identical images can be spread apart. Computed on demand for the queue's
// look-ahead window only and kept in memory by content hash; images without a cached thumbnail have none.
import { access } from 'node:fs/promises';
import sharp from 'sharp';
import type { Db } from '../db/database.js';
import { thumbnailPath } from '../library/media-cache.js';

/** Bits that may differ for two images to count as near-identical. */
export const NEAR_BITS = 10;

export function hamming(a: bigint, b: bigint): number {
  let x = a ^ b;
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
}

/** dHash of 9x8 grey pixels (row-major): bit set where a pixel is brighter than its right neighbour. */
export function dHash(gray9x8: Uint8Array): bigint {
  let h = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      h = (h << 1n) | (gray9x8[y * 9 + x] > gray9x8[y * 9 + x + 1] ? 1n : 0n);
    }
  }
  return h;
}

export async function fileSignature(path: string): Promise<bigint> {
  const data = await sharp(path).greyscale().resize(9, 8, { fit: 'fill' }).raw().toBuffer();
  return dHash(data);
}

export class SignatureCache {
  private readonly cache = new Map<string, bigint | null>();

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  async forIds(ids: number[]): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    const stmt = this.db.prepare(`SELECT sha256 FROM images WHERE id = ?`).pluck();
    const todo: { id: number; sha: string }[] = [];
    for (const id of ids) {
      const sha = stmt.get(id) as string | undefined;
      if (!sha) continue;
      const known = this.cache.get(sha);
      if (known !== undefined) {
        if (known !== null) out.set(id, known);
      } else todo.push({ id, sha });
    }
    for (let k = 0; k < todo.length; k += 16) {
      await Promise.all(
        todo.slice(k, k + 16).map(async ({ id, sha }) => {
          const file = thumbnailPath(this.dataDir, sha);
          let sig: bigint | null;
          try {
            await access(file);
            sig = await fileSignature(file);
          } catch {
            sig = null;
          }
          this.cache.set(sha, sig);
          if (sig !== null) out.set(id, sig);
        }),
      );
    }
    return out;
  }
}
