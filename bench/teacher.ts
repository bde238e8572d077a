// `npm run bench -- teacher [--json] [--latency-ms 800]`: images/s through the whole teacher pipeline (read image,
// crop data bar, downscale, JPEG data URL, prompt, HTTP via the openai SDK, zod validation, SQLite proposals,
// annotations, audit) against the test double of the remote teacher with a fixed added latency per answer, at
// concurrency 1, 4 and 16, next to the ideal (concurrency / latency) that only the remote model's latency allows.
// Plus one run at zero added latency: the pipeline's own cost per image.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../main/core/db/database.js';
import { JobManager } from '../main/core/jobs/job-manager.js';
import { importPaths } from '../main/core/library/importer.js';
import { memoryKeyProvider } from '../main/core/teacher/keys.js';
import { TeacherService } from '../main/core/teacher/service.js';
import type { TeacherRunResult } from '../main/core/contract.js';
import { EventHub } from '../main/core/util/events.js';
import { startTeacherDouble } from '../tests/support/teacher-double-server.js';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sharedData = process.env.EMMA_SHARED_DATA ?? resolve(repoRoot, '../shared/data');
const MODEL = 'bench-double';

interface Level {
  concurrency: number;
  latencyMs: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  idealImagesPerSecond: number | null;
  efficiency: number | null;
  /** Wall time per image beyond the added latency, per worker: (seconds * concurrency / images) - latency. */
  overheadMsPerImage: number;
  /** From startRun to the first request reaching the double (run setup, first image prepared). */
  firstRequestMs: number;
  proposals: number;
}

function files(n: number): string[] {
  const root = join(sharedData, 'semi-defects');
  const all: string[] = [];
  for (const c of readdirSync(root).sort()) for (const f of readdirSync(join(root, c)).sort()) all.push(join(root, c, f));
  return all.slice(0, n);
}

async function measure(concurrency: number, latencyMs: number, images: number): Promise<Level> {
  const dir = mkdtempSync(join(tmpdir(), 'emma-bench-teacher-'));
  const db = openDatabase(join(dir, 'emma.sqlite'));
  const events = new EventHub();
  const jobs = new JobManager(db, events);
  const double = await startTeacherDouble({ latencyMs });
  try {
    const report = await importPaths(db, { paths: files(images), dataDir: dir });
    const n = report.imported;
    const teacher = new TeacherService({ db, jobs, events, keyProvider: memoryKeyProvider('sk-bench-not-a-real-key'), actor: 'bench' });
    await teacher.applyTaxonomySet('semi-defects');
    await teacher.updateConfig({
      provider: 'compatible',
      baseUrl: double.baseUrl,
      model: MODEL,
      concurrency,
      prices: { [MODEL]: { inputPerMTok: 2.5, outputPerMTok: 10 } },
    });
    await teacher.setEgress(true, 'bench');
    const t0ms = Date.now();
    const t0 = process.hrtime.bigint();
    const job = await jobs.wait((await teacher.startRun({})).id);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const r = job.result as TeacherRunResult;
    if (job.state !== 'done' || r.processed !== n) throw new Error(`bench run failed: ${job.state} ${job.error ?? ''}`);
    const ideal = latencyMs > 0 ? concurrency / (latencyMs / 1000) : null;
    const ips = n / seconds;
    return {
      concurrency,
      latencyMs,
      images: n,
      seconds: round(seconds, 3),
      imagesPerSecond: round(ips, 3),
      idealImagesPerSecond: ideal === null ? null : round(ideal, 3),
      efficiency: ideal === null ? null : round(ips / ideal, 3),
      overheadMsPerImage: round((seconds * 1000 * Math.min(concurrency, n)) / n - latencyMs, 1),
      firstRequestMs: (double.requests[0]?.at ?? t0ms) - t0ms,
      proposals: r.proposals,
    };
  } finally {
    await jobs.shutdown();
    db.close();
    await double.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const li = argv.indexOf('--latency-ms');
  const latencyMs = li >= 0 ? Number(argv[li + 1]) : 800;
  const levels: Level[] = [];
  for (const c of [1, 4, 16]) {
    // Ten rounds of `c` images each: the same wall time per level, ~10 x latency (start-up amortised over 10).
    levels.push(await measure(c, latencyMs, c * 10));
    const l = levels.at(-1)!;
    if (!json) {
      console.log(
        `concurrency ${String(c).padStart(2)}: ${l.images} images in ${l.seconds.toFixed(2)} s = ${l.imagesPerSecond.toFixed(2)} images/s ` +
          `(ideal ${l.idealImagesPerSecond?.toFixed(2)}, ${((l.efficiency ?? 0) * 100).toFixed(1)}%; overhead ${l.overheadMsPerImage} ms/image, ` +
          `first request after ${l.firstRequestMs} ms)`,
      );
    }
  }
  const raw = await measure(16, 0, 200);
  if (!json) {
    console.log(
      `no added latency, concurrency 16: ${raw.images} images in ${raw.seconds.toFixed(2)} s = ${raw.imagesPerSecond.toFixed(1)} images/s ` +
        `(pipeline + local double, both in this process on ${cpus().length} CPUs)`,
    );
  }
  const out = { suite: 'teacher', latencyMs, cpus: cpus().length, node: process.version, levels, noLatency: raw };
  console.log(JSON.stringify(out));
}
