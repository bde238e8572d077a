import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { ensureClass } from '../../../main/core/library/importer.js';
import { getImage, listClasses, listImages } from '../../../main/core/library/queries.js';
import { tempDir } from '../../support/paths.js';

let db: Db;
let cleanup: () => void;

function addImage(name: string): number {
  return Number(
    db
      .prepare(
        `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, imported_at)
         VALUES (?, ?, ?, 1, 'png', 10, 10, 8, 'now')`,
      )
      .run(name.padEnd(64, '0'), `/x/${name}`, name).lastInsertRowid,
  );
}

function addLabel(imageId: number, cls: string, source: string, status: string): void {
  db.prepare(`INSERT INTO labels (image_id, class_id, source, status, created_at) VALUES (?, ?, ?, ?, 'now')`).run(
    imageId,
    ensureClass(db, cls),
    source,
    status,
  );
}

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  db = openDatabase(join(t.dir, 'q.sqlite'));
  const a = addImage('a_bridge.png');
  const b = addImage('b_clean.png');
  const c = addImage('c_none.png');
  const d = addImage('d_100%.png');
  addLabel(a, 'bridge', 'human', 'accepted');
  // A newer teacher proposal does not outrank the operator's accepted label.
  addLabel(a, 'short', 'teacher', 'proposed');
  addLabel(b, 'clean', 'teacher', 'proposed');
  // A rejected label never shows.
  addLabel(c, 'bridge', 'teacher', 'rejected');
  addLabel(d, 'clean', 'student', 'proposed');
});

afterEach(() => {
  db.close();
  cleanup();
});

describe('library queries', () => {
  it('pages in import order with each image’s shown label', () => {
    const page = listImages(db, { offset: 0, limit: 10 });
    expect(page.total).toBe(4);
    expect(page.items.map((i) => [i.fileName, i.label?.className ?? null, i.label?.source ?? null])).toEqual([
      ['a_bridge.png', 'bridge', 'human'],
      ['b_clean.png', 'clean', 'teacher'],
      ['c_none.png', null, null],
      ['d_100%.png', 'clean', 'student'],
    ]);
    const second = listImages(db, { offset: 2, limit: 1 });
    expect(second.items.map((i) => i.fileName)).toEqual(['c_none.png']);
  });

  it('filters by label, source, status and file name', () => {
    const names = (q: Parameters<typeof listImages>[1]) => listImages(db, q).items.map((i) => i.fileName);
    expect(names({ offset: 0, limit: 10, filter: { kind: 'unlabelled' } })).toEqual(['c_none.png']);
    expect(names({ offset: 0, limit: 10, filter: { kind: 'labelled' } })).toHaveLength(3);
    expect(names({ offset: 0, limit: 10, filter: { kind: 'class', className: 'clean' } })).toEqual(['b_clean.png', 'd_100%.png']);
    expect(names({ offset: 0, limit: 10, source: 'teacher' })).toEqual(['b_clean.png']);
    expect(names({ offset: 0, limit: 10, status: 'accepted' })).toEqual(['a_bridge.png']);
    expect(names({ offset: 0, limit: 10, search: 'BRIDGE' })).toEqual(['a_bridge.png']);
    // LIKE wildcards in the search are literal.
    expect(names({ offset: 0, limit: 10, search: '%' })).toEqual(['d_100%.png']);
    expect(listImages(db, { offset: 0, limit: 1, filter: { kind: 'class', className: 'clean' } }).total).toBe(2);
  });

  it('counts classes by shown label and lists full label history per image', () => {
    expect(listClasses(db)).toEqual([
      { className: 'bridge', count: 1 },
      { className: 'clean', count: 2 },
      { className: 'short', count: 0 },
    ]);
    const detail = getImage(db, 1);
    expect(detail.labels.map((l) => `${l.className}/${l.source}/${l.status}`)).toEqual(['short/teacher/proposed', 'bridge/human/accepted']);
    expect(detail.label?.className).toBe('bridge');
    expect(() => getImage(db, 999)).toThrow(/No image/);
  });
});
