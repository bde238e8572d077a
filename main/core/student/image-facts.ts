// What the student knows of one image, kept per model version: its class probabilities and its nearest reviewed
// images (the memory). Computed once — by the classification that follows an activation, or by the first chat
// question about the image — and stored (migration 012, a cache of derived data), so a question about an image the
// library already classified costs a row read, not a decode and a stem run. The chat and the grid read the same
// numbers, so an answer cannot disagree with the prediction shown beside it.
import { classifyFeatures, nearest, type LoadedStudent } from '../../../native-models/index.js';
import type { OpenSession, SessionConfig } from '../../../native-models/index.js';
import { nowIso, type Db } from '../db/database.js';

/** Nearest memory rows kept per image (the chat shows three, skipping the image itself). */
export const NEAREST_KEPT = 6;

export interface ImageFacts {
  /** Class probabilities in the version's label order. */
  readonly probs: Float32Array;
  /** Nearest memory rows (index into the version's memory), best first. */
  readonly near: readonly { readonly index: number; readonly similarity: number }[];
}

/** Facts for stem features [count, D] (the head's probabilities with the memory vote, and the `nearestKept` nearest rows). */
export async function factsOfFeatures(
  student: LoadedStudent,
  feats: Float32Array,
  count: number,
  session?: SessionConfig,
  opened?: OpenSession,
  nearestKept = NEAREST_KEPT,
): Promise<ImageFacts[]> {
  const { probs, classes } = await classifyFeatures(student.classifier, student.stem.config, feats, count, student.headOnnx, session, opened);
  const D = feats.length / Math.max(1, count);
  return Array.from({ length: count }, (_, i) => ({
    probs: probs.slice(i * classes, (i + 1) * classes),
    near: nearest(student.classifier, feats.subarray(i * D, (i + 1) * D), nearestKept),
  }));
}

const toF32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** The stored facts of one version (rows of another class count are ignored: they are recomputed). */
export class FactsStore {
  constructor(
    private readonly db: Db,
    readonly versionId: number,
    readonly classes: number,
  ) {}

  get(sha256: string): ImageFacts | null {
    const r = this.db.prepare(`SELECT probs, near_json FROM student_image_facts WHERE version_id = ? AND image_sha256 = ?`).get(this.versionId, sha256) as
      { probs: Buffer; near_json: string } | undefined;
    if (!r || r.probs.byteLength !== 4 * this.classes) return null;
    try {
      const near = JSON.parse(r.near_json) as ImageFacts['near'];
      if (!Array.isArray(near)) return null;
      return { probs: toF32(r.probs), near };
    } catch {
      return null; // a damaged row is recomputed, never trusted
    }
  }

  /** Stores facts by image content hash, in one transaction (a version deleted meanwhile stores nothing). */
  put(entries: readonly (readonly [string, ImageFacts])[]): void {
    if (entries.length === 0) return;
    const ins = this.db.prepare(
      `INSERT OR REPLACE INTO student_image_facts (version_id, image_sha256, probs, near_json, created_at)
       SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM model_versions WHERE id = ?)`,
    );
    const now = nowIso();
    this.db.transaction(() => {
      for (const [sha, f] of entries) {
        if (f.probs.length !== this.classes) throw new Error(`image facts: ${f.probs.length} probabilities for ${sha}, expected ${this.classes}`);
        const near = f.near.map((n) => ({ index: n.index, similarity: Number(n.similarity.toFixed(6)) }));
        ins.run(this.versionId, sha, Buffer.from(f.probs.buffer, f.probs.byteOffset, f.probs.byteLength), JSON.stringify(near), now, this.versionId);
      }
    })();
  }
}
