// Stem features per image, kept across training runs (migration 006, table student_features), so a quick update
// computes features only for images it has not seen with that stem. A cache: rows are derived from the image files
// and the stem, and deleting any of them only costs a recomputation.
//
// Stem identity = SHA-256 of a format tag, the stem config (canonical JSON), the bank bytes exactly as
// `stem-bank.f32` holds them, and the stem's ONNX encoding graph for a reference image size. The graph is in the
// key so that a change to the encoding (pooling, thresholds) in texture.ts never serves stale features; changes to
// how images are read (readForStudent, pyramid) need FEATURE_FORMAT bumped.
import { createHash } from 'node:crypto';
import { buildStemGraph, levelSizes, type Stem, type StemConfig } from '../../../native-models/index.js';
import { writeModel } from '../../../native-models/index.js';
import { nowIso, type Db } from '../db/database.js';

const FEATURE_FORMAT = 'emma-stem-features/1';
/** Reference image side for the graph in the key: large enough for every pyramid level of any preset. */
const REFERENCE_SIDE = 512;

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The bytes of `stem-bank.f32` (main bank, then the extra banks), as saveStudent writes them. */
export function stemBankBytes(stem: Stem): Buffer {
  const banks = [stem.bank, ...(stem.extraBanks ?? [])];
  return Buffer.concat(banks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
}

export function stemHash(stem: Stem): string {
  const c: StemConfig = stem.config;
  const graph = writeModel(buildStemGraph(stem, levelSizes(REFERENCE_SIDE, REFERENCE_SIDE, c)));
  return createHash('sha256')
    .update(`${FEATURE_FORMAT}\n${canonicalJson(c)}\n`)
    .update(stemBankBytes(stem))
    .update(graph)
    .digest('hex');
}

function toF32(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Cached features of one stem. */
export class FeatureCache {
  constructor(
    private readonly db: Db,
    readonly stemHash: string,
    readonly dim: number,
  ) {}

  /** Features by image sha256 for those cached (rows of another size are ignored: they are recomputed). */
  get(shas: readonly string[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    if (shas.length === 0) return out;
    const rows = this.db
      .prepare(`SELECT image_sha256, dim, data FROM student_features WHERE stem_hash = ? AND image_sha256 IN (SELECT value FROM json_each(?))`)
      .all(this.stemHash, JSON.stringify(shas)) as { image_sha256: string; dim: number; data: Buffer }[];
    for (const r of rows) if (r.dim === this.dim && r.data.byteLength === 4 * this.dim) out.set(r.image_sha256, toF32(r.data));
    return out;
  }

  /** Stores features (replacing rows of the same key), in one transaction. */
  put(entries: readonly (readonly [string, Float32Array])[]): void {
    if (entries.length === 0) return;
    const ins = this.db.prepare(`INSERT OR REPLACE INTO student_features (stem_hash, image_sha256, dim, data, created_at) VALUES (?, ?, ?, ?, ?)`);
    const now = nowIso();
    this.db.transaction(() => {
      for (const [sha, f] of entries) {
        if (f.length !== this.dim) throw new Error(`feature cache: ${f.length} values for ${sha}, expected ${this.dim}`);
        ins.run(this.stemHash, sha, this.dim, Buffer.from(f.buffer, f.byteOffset, f.byteLength), now);
      }
    })();
  }
}

/** How many of these images have features cached for a stem (for the training plan). */
export function countCached(db: Db, stem: string, shas: readonly string[]): number {
  if (shas.length === 0) return 0;
  return db
    .prepare(`SELECT count(*) FROM student_features WHERE stem_hash = ? AND image_sha256 IN (SELECT value FROM json_each(?))`)
    .pluck()
    .get(stem, JSON.stringify(shas)) as number;
}

/** Deletes the cached features of every stem not in `keep`; returns the rows deleted. */
export function pruneFeatureCache(db: Db, keep: ReadonlySet<string>): number {
  return db.prepare(`DELETE FROM student_features WHERE stem_hash NOT IN (SELECT value FROM json_each(?))`).run(JSON.stringify([...keep])).changes;
}

export function cachedStems(db: Db): { stemHash: string; images: number }[] {
  return (
    db.prepare(`SELECT stem_hash, count(*) AS n FROM student_features GROUP BY stem_hash ORDER BY stem_hash`).all() as { stem_hash: string; n: number }[]
  ).map((r) => ({ stemHash: r.stem_hash, images: r.n }));
}
