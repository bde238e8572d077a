// Which model version's particle segmenter measures, as the Models list shows it: the newest of the active
// version's and the newest segmenter-only version's; segmenter-only versions are marked (they are never active).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { SEGMENTER_FILE, segmenterVersionInUse, withSegmenterUse } from '../../../main/core/measure/segmenter-store.js';
import { completeVersion, startVersion } from '../../../main/core/student/versions.js';
import type { ModelVersionSummary } from '../../../main/core/contract.js';
import { tempDir } from '../../support/paths.js';

describe('segmenter in use', () => {
  let t: { dir: string; cleanup: () => void } | null = null;
  let db: Db | null = null;
  afterEach(() => {
    db?.close();
    t?.cleanup();
  });

  function version(d: Db, mode: string, segmenter: boolean, activate: boolean): number {
    const id = startVersion(d, { preset: 'fast', dataSnapshot: {}, hyperparams: { mode } });
    const dir = join(t!.dir, `v${id}`);
    mkdirSync(dir);
    if (segmenter) writeFileSync(join(dir, SEGMENTER_FILE), '{}');
    completeVersion(d, id, {
      metrics: {},
      labels: [],
      provider: 'cpu',
      durationS: 1,
      dir,
      manifestPath: join(dir, 'm.json'),
      onnxPath: join(dir, 'm.onnx'),
      activate,
    });
    return id;
  }
  const summaries = (d: Db) =>
    (d.prepare(`SELECT id FROM model_versions ORDER BY id`).all() as { id: number }[]).map((r) => ({ id: r.id }) as ModelVersionSummary);

  it('is the newest segmenter, from the active version or a segmenter-only one', () => {
    t = tempDir();
    db = openDatabase(join(t.dir, 'emma.sqlite'));
    expect(segmenterVersionInUse(db)).toBeNull();
    const a = version(db, 'full', true, true); // active, with a segmenter
    expect(segmenterVersionInUse(db)?.id).toBe(a);
    const b = version(db, 'segmenter', true, false); // masks and no class labels: never active
    const c = version(db, 'full', false, false); // a newer classifier without a segmenter, not active
    expect(segmenterVersionInUse(db)?.id).toBe(b);
    const list = withSegmenterUse(db, summaries(db));
    expect(list.map((v) => [v.id, v.segmenter])).toEqual([
      [a, { present: true, only: false, inUse: false }],
      [b, { present: true, only: true, inUse: true }],
      [c, { present: false, only: false, inUse: false }],
    ]);
    const d = version(db, 'full', true, true);
    expect(
      withSegmenterUse(db, summaries(db))
        .filter((v) => v.segmenter?.inUse)
        .map((v) => v.id),
    ).toEqual([d]);
  });
});
