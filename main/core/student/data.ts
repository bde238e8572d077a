// What the student learns from: one class per image, resolved from the labels table.
// Counted: human labels (folder labels included) and teacher proposals the operator accepted or edited.
// Excluded: rejected rows, unreviewed teacher proposals, the student's own guesses.
// Per image the newest human label wins over the newest reviewed teacher label.
import type { Db } from '../db/database.js';

export interface LabeledImage {
  readonly imageId: number;
  readonly labelId: number;
  readonly sha256: string;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly databarY: number | null;
  readonly className: string;
  readonly source: 'human' | 'teacher';
}

interface Row {
  image_id: number;
  label_id: number;
  sha256: string;
  path: string;
  width: number;
  height: number;
  databar_y: number | null;
  class_name: string;
  source: 'human' | 'teacher';
}

export function labeledImages(db: Db): LabeledImage[] {
  const rows = db
    .prepare(
      `SELECT l.image_id, l.id AS label_id, i.sha256, i.path, i.width, i.height, i.databar_y, c.name AS class_name, l.source
         FROM labels l JOIN images i ON i.id = l.image_id JOIN classes c ON c.id = l.class_id
        WHERE l.status IN ('accepted', 'edited')
          AND (l.source = 'human' OR l.source = 'teacher')
        ORDER BY l.image_id, CASE l.source WHEN 'human' THEN 0 ELSE 1 END, l.id DESC`,
    )
    .all() as Row[];
  const out: LabeledImage[] = [];
  let last = -1;
  for (const r of rows) {
    if (r.image_id === last) continue;
    last = r.image_id;
    out.push({
      imageId: r.image_id,
      labelId: r.label_id,
      sha256: r.sha256,
      path: r.path,
      width: r.width,
      height: r.height,
      databarY: r.databar_y,
      className: r.class_name,
      source: r.source,
    });
  }
  return out;
}

/** Every image of the library (labelled or not): the stem's dictionary learns from all of them. */
export function libraryImages(db: Db, limit: number): { imageId: number; sha256: string; path: string; width: number; databarY: number | null }[] {
  return (
    db.prepare(`SELECT id, sha256, path, width, databar_y FROM images ORDER BY sha256 LIMIT ?`).all(limit) as {
      id: number;
      sha256: string;
      path: string;
      width: number;
      databar_y: number | null;
    }[]
  ).map((r) => ({ imageId: r.id, sha256: r.sha256, path: r.path, width: r.width, databarY: r.databar_y }));
}

/**
 * Deterministic stratified split by content hash: within each class, images sorted by SHA-256, every
 * `every`-th (positions every-1, 2*every-1, ...) goes to validation. Same library, same split, on any machine.
 */
export function splitByHash<T extends { sha256: string; className: string }>(items: readonly T[], every = 3): { train: T[]; val: T[] } {
  const byClass = new Map<string, T[]>();
  for (const it of items) {
    const list = byClass.get(it.className) ?? [];
    list.push(it);
    byClass.set(it.className, list);
  }
  const train: T[] = [];
  const val: T[] = [];
  for (const name of [...byClass.keys()].sort()) {
    const list = byClass.get(name)!.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
    list.forEach((it, k) => (k % every === every - 1 ? val : train).push(it));
  }
  return { train, val };
}
