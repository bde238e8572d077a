// Shared setup for the teacher tests: a real SQLite file, the real importer on real micrographs, the real job
// manager and TeacherService, and the test double of the remote teacher on 127.0.0.1.
import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { JobManager } from '../../../main/core/jobs/job-manager.js';
import { importPaths } from '../../../main/core/library/importer.js';
import { memoryKeyProvider } from '../../../main/core/teacher/keys.js';
import { TeacherService } from '../../../main/core/teacher/service.js';
import type { TeacherConfigPatch } from '../../../main/core/teacher/types.js';
import type { EmmaEvent } from '../../../main/core/contract.js';
import { EventHub } from '../../../main/core/util/events.js';
import { sharedData, tempDir } from '../../support/paths.js';
import { startTeacherDouble, type DoubleOptions, type TeacherDouble } from '../../support/teacher-double-server.js';

export const MODEL = 'double-vision-1';

export interface Harness {
  dir: string;
  dbPath: string;
  db: Db;
  events: EventHub;
  seen: EmmaEvent[];
  jobs: JobManager;
  teacher: TeacherService;
  double: TeacherDouble;
  key: string;
  /** Image ids in import order. */
  imageIds: number[];
  close(): Promise<void>;
}

/**
 * The first n image files of a shared-data folder, spread over its class folders (sorted, deterministic), without
 * two files of identical pixels (the set has near-duplicates; the double can only tell images apart by content).
 */
export async function pickDistinct(set: string, n: number): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of pickFiles(set, n * 2)) {
    const { data } = await sharp(f).greyscale().raw().toBuffer({ resolveWithObject: true });
    const h = createHash('sha256').update(data).digest('hex');
    if (seen.has(h)) continue;
    seen.add(h);
    out.push(f);
    if (out.length === n) break;
  }
  return out;
}

/** The first n image files of a shared-data folder, spread over its class folders (sorted, deterministic). */
export function pickFiles(set: string, n: number): string[] {
  const root = join(sharedData, set);
  const classes = readdirSync(root).sort();
  const lists = classes.map((c) =>
    readdirSync(join(root, c))
      .sort()
      .map((f) => join(root, c, f)),
  );
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    let added = false;
    for (const l of lists) {
      if (i < l.length && out.length < n) {
        out.push(l[i]);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

export async function makeHarness(o: {
  files: string[];
  double?: Partial<DoubleOptions>;
  config?: TeacherConfigPatch;
  taxonomy?: string;
  egress?: boolean;
  cancelGraceMs?: number;
}): Promise<Harness> {
  const t = tempDir('emma-teacher-');
  const dbPath = join(t.dir, 'emma.sqlite');
  const db = openDatabase(dbPath);
  const events = new EventHub();
  const seen: EmmaEvent[] = [];
  events.on((e) => seen.push(e));
  const jobs = new JobManager(db, events);
  const report = await importPaths(db, { paths: o.files, dataDir: t.dir });
  if (report.failed.length) throw new Error(`import failed: ${JSON.stringify(report.failed)}`);
  const imageIds = (db.prepare(`SELECT id FROM images ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
  const key = `sk-emma-test-${randomBytes(12).toString('hex')}`;
  const teacher = new TeacherService({
    db,
    jobs,
    events,
    keyProvider: memoryKeyProvider(key),
    actor: 'test',
    cancelGraceMs: o.cancelGraceMs ?? 5000,
    random: () => 0.5,
    backoffBaseMs: 50,
  });
  const double = await startTeacherDouble(o.double);
  await teacher.applyTaxonomySet(o.taxonomy ?? 'semi-defects');
  await teacher.updateConfig({
    provider: 'compatible',
    baseUrl: double.baseUrl,
    model: MODEL,
    concurrency: 4,
    requestTimeoutMs: 10_000,
    // $1 per 1k tokens in and out: cheap enough to read, large enough to test budgets.
    prices: { [MODEL]: { inputPerMTok: 1000, outputPerMTok: 1000 } },
    // The paraphrase request is off here (its tests switch it on), so the request counts of the others stay exact.
    paraphraseCount: 0,
    ...o.config,
  });
  if (o.egress !== false) await teacher.setEgress(true, 'test lead');
  return {
    dir: t.dir,
    dbPath,
    db,
    events,
    seen,
    jobs,
    teacher,
    double,
    key,
    imageIds,
    async close() {
      await jobs.shutdown();
      db.close();
      await double.close();
      t.cleanup();
    },
  };
}

/** Every byte of the database (main file and WAL) as latin1 text, to search for secrets. */
export function databaseBytes(dbPath: string): string {
  let s = readFileSync(dbPath).toString('latin1');
  if (existsSync(`${dbPath}-wal`)) s += readFileSync(`${dbPath}-wal`).toString('latin1');
  return s;
}
