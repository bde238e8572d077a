// `npm run bench -- quick [--json] [--set uhcs] [--minutes 5] [--later 7]`
// The quick update timed through the CLI on a fresh database: import a labelled set (folder labels) except, per
// class, the `later` last images by SHA-256; `emma train --minutes M` (full); `emma train --quick` with nothing new;
// import the held-back images; `emma train --quick` again; `emma train --quick --preset fast` (the same stem, the fast
// preset's linear head: all features cached, heads only); then a full `emma train` on everything for comparison.
// Seconds = the CLI's wall time (process start, reading, features, heads, saving) and its own trainSeconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCore } from '../main/core/api.js';

const here = dirname(fileURLToPath(import.meta.url));
const DATA = resolve(here, '..', '..', 'shared', 'data');
const IMAGE = /\.(png|jpe?g|tiff?)$/i;

interface Run {
  step: string;
  wallSeconds: number;
  trainSeconds: number;
  valAccuracy: number | null;
  mode: string;
  features: { cached: number; extracted: number };
  images: number;
  activated: boolean;
  modelVersion: number;
}

async function importPaths(dbPath: string, paths: string[]): Promise<void> {
  const core = createCore({ dbPath, mode: 'cli' });
  try {
    const r = await core.importNow({ paths, labelsFromFolders: true });
    if (r.failed.length || r.imported !== paths.length) throw new Error(`import: ${r.imported} of ${paths.length} imported, ${r.failed.length} failed`);
  } finally {
    await core.close();
  }
}

function train(step: string, dbPath: string, args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [resolve(here, '..', 'bin', 'emma.mjs'), 'train', '--db', dbPath, '--json', ...args], { encoding: 'utf8' });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${step}: emma train exited ${r.status}: ${r.stderr.slice(-500)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<Run, 'step' | 'wallSeconds'>;
  return {
    step,
    wallSeconds,
    trainSeconds: j.trainSeconds,
    valAccuracy: j.valAccuracy,
    mode: j.mode,
    features: j.features,
    images: j.images,
    activated: j.activated,
    modelVersion: j.modelVersion,
  };
}

export async function run(argv: string[]): Promise<void> {
  const load0 = loadavg()[0];
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      set: { type: 'string', default: 'uhcs' },
      minutes: { type: 'string', default: '5' },
      later: { type: 'string', default: '7' },
    },
  });
  const dir = join(DATA, values.set!);
  if (!existsSync(dir)) {
    console.log(`quick: ${dir} is absent; nothing to measure (the labelled sets live outside the repository)`);
    if (values.json) console.log(JSON.stringify({ skipped: true, reason: 'no data folder' }));
    return;
  }
  const later = Number(values.later);
  const first: string[] = [];
  const rest: string[] = [];
  for (const c of readdirSync(dir).sort()) {
    const sub = join(dir, c);
    if (!statSync(sub).isDirectory()) continue;
    const files = readdirSync(sub)
      .filter((f) => IMAGE.test(f))
      .map((f) => join(sub, f));
    const byHash = files.map((p) => ({ p, h: createHash('sha256').update(readFileSync(p)).digest('hex') })).sort((a, b) => (a.h < b.h ? -1 : 1));
    first.push(...byHash.slice(0, byHash.length - later).map((x) => x.p));
    rest.push(...byHash.slice(byHash.length - later).map((x) => x.p));
  }
  const work = mkdtempSync(join(tmpdir(), 'emma-quick-bench-'));
  const dbPath = join(work, 'emma.sqlite');
  const runs: Run[] = [];
  const minutes = ['--minutes', values.minutes!];
  try {
    await importPaths(dbPath, first);
    runs.push(train(`full, ${first.length} images`, dbPath, minutes));
    runs.push(train('quick, nothing added', dbPath, [...minutes, '--quick']));
    await importPaths(dbPath, rest);
    runs.push(train(`quick, ${rest.length} images added`, dbPath, [...minutes, '--quick']));
    runs.push(train('quick --preset fast, nothing added', dbPath, [...minutes, '--quick', '--preset', 'fast']));
    runs.push(train(`full, ${first.length + rest.length} images (comparison)`, dbPath, minutes));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const f = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  for (const r of runs) {
    console.log(
      `${r.step.padEnd(38)} v${r.modelVersion} ${r.mode.padEnd(5)} wall ${r.wallSeconds.toFixed(1).padStart(6)} s, trainSeconds ${r.trainSeconds.toFixed(1).padStart(6)}, ` +
        `valAccuracy ${f(r.valAccuracy)}, features computed ${r.features.extracted} / cached ${r.features.cached}, ${r.activated ? 'activated' : 'not activated'}`,
    );
  }
  const load = [load0, loadavg()[0]].map((x) => x.toFixed(1)).join(' → ');
  console.log(`load average (1 min) before → after: ${load}`);
  if (values.json) console.log(JSON.stringify({ set: values.set, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, load, runs }));
}
