// `npm run bench -- engine [--json] [--rounds N] [--spin]`: train-step and forward time, images/s and peak
// memory of the ORT engine vs the same models in PyTorch (bench/torch/vit_bench.py), in the same run.
// Each measurement runs in its own child process (ORT: this file with --child; PyTorch: python3), so
// peak RSS is per model and per framework. Both sides use 2 threads. Rounds alternate ORT and PyTorch
// and the best median per side is kept, which damps noise from other load on the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { VIT_STUDENT_STANDIN, VIT_TINY, VitClassifier, type VitConfig } from '../native-models/models/vit-tiny.js';
import { writeModel } from '../native-models/onnx/writer.js';
import { initParams } from '../native-models/optim/flat.js';
import { openSession, providersFromEnv, describeProvider } from '../native-models/runtime/session.js';
import { buildForward, buildTrainStep, TRAIN_IO } from '../native-models/train/graphs.js';
import { Rng } from '../native-models/util/rng.js';

const self = fileURLToPath(import.meta.url);
/** The repository root (this file also runs compiled, from dist/gpu-check/bench/). */
function repoRoot(): string {
  let d = dirname(self);
  while (!existsSync(join(d, 'bench', 'torch', 'vit_bench.py')) && dirname(d) !== d) d = dirname(d);
  return d;
}
const TORCH_SCRIPT = join(repoRoot(), 'bench', 'torch', 'vit_bench.py');
/** Debian's python3 by default (python3-torch); EMMA_BENCH_PYTHON points elsewhere (e.g. a GPU box's python). */
const PYTHON = process.env.EMMA_BENCH_PYTHON ?? '/usr/bin/python3';
const THREADS = 2;

interface BenchModel {
  name: string;
  config: VitConfig;
  batch: number;
  steps: number;
}
const MODELS: BenchModel[] = [
  { name: 'vit-tiny', config: VIT_TINY, batch: 32, steps: 30 },
  { name: 'student-standin (conv stem + ViT)', config: VIT_STUDENT_STANDIN, batch: 16, steps: 12 },
];

interface SideResult {
  params: number;
  stepMs: number;
  forwardMs: number;
  peakMiB: number;
  provider?: string;
  fallback?: string;
  nodes?: number;
  torch?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Child: measure one model in ORT and print `RESULT {json}`. */
async function ortChild(m: BenchModel, spin: boolean): Promise<void> {
  const model = new VitClassifier(m.config);
  const B = m.batch;
  const providers = providersFromEnv();
  const cfg = { providers, threads: THREADS, spinning: spin };
  const { g, layout } = buildTrainStep(model, B);
  const train = await openSession(writeModel(g, { contrib: true }), cfg);
  const P = layout.total;
  const rng = new Rng(1);
  const c = m.config;
  const img = new ort.Tensor(
    'float32',
    Float32Array.from({ length: B * c.channels * c.imageSize ** 2 }, () => rng.normal()),
    [B, c.channels, c.imageSize, c.imageSize],
  );
  const label = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: B }, (_, i) => BigInt(i % c.classes)),
    [B],
  );
  let p: ort.Tensor = new ort.Tensor('float32', initParams(layout, 1), [P]);
  let mm: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
  let vv: ort.Tensor = new ort.Tensor('float32', new Float32Array(P), [P]);
  const scalar = (x: number) => new ort.Tensor('float32', new Float32Array([x]), []);
  const warm = 3;
  const times: number[] = [];
  for (let i = 0; i < warm + m.steps; i++) {
    const t0 = performance.now();
    const r = await train.session.run({ image: img, label, [TRAIN_IO.params]: p, [TRAIN_IO.m]: mm, [TRAIN_IO.v]: vv, lr: scalar(1e-3), step: scalar(i + 1) });
    p = r[TRAIN_IO.paramsOut] as ort.Tensor;
    mm = r[TRAIN_IO.mOut] as ort.Tensor;
    vv = r[TRAIN_IO.vOut] as ort.Tensor;
    if (i >= warm) times.push(performance.now() - t0);
  }
  await train.session.release();
  const fwdGraph = buildForward(model, B);
  const fwd = await openSession(writeModel(fwdGraph.g, { contrib: true }), cfg);
  const ftimes: number[] = [];
  for (let i = 0; i < warm + m.steps; i++) {
    const t0 = performance.now();
    await fwd.session.run({ image: img, [TRAIN_IO.params]: p });
    if (i >= warm) ftimes.push(performance.now() - t0);
  }
  await fwd.session.release();
  const out: SideResult = {
    params: P,
    stepMs: median(times),
    forwardMs: median(ftimes),
    peakMiB: process.resourceUsage().maxRSS / 1024,
    provider: train.provider,
    fallback: describeProvider(train),
    nodes: g.nodes.length,
  };
  console.log(`RESULT ${JSON.stringify(out)}`);
}

function runOrt(idx: number, spin: boolean): SideResult {
  // Same node flags as this process (--import tsx from source, none compiled), this file as entry.
  const args = [...process.execArgv, self, '--child', String(idx), ...(spin ? ['--spin'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`ORT child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as SideResult;
}

function runTorch(m: BenchModel): SideResult {
  const r = spawnSync(
    PYTHON,
    [TORCH_SCRIPT, '--config', JSON.stringify(m.config), '--batch', String(m.batch), '--steps', String(m.steps), '--threads', String(THREADS)],
    { encoding: 'utf8' },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`PyTorch child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as SideResult;
}

function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** The benchmark's own set-up: install Debian's PyTorch when running as root and it is missing. */
function ensureTorch(log: (s: string) => void): string | null {
  if (hasTorch()) return null;
  if (process.env.EMMA_BENCH_NO_INSTALL) return `PyTorch is not importable by ${PYTHON} and EMMA_BENCH_NO_INSTALL is set; skipping the PyTorch half`;
  if (process.getuid?.() !== 0)
    return `PyTorch is not installed for ${PYTHON} and this is not root; skipping the PyTorch half (apt-get install -y python3-torch libopenblas0-pthread)`;
  log('PyTorch missing: apt-get install -y python3-torch libopenblas0-pthread ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const cmd of [
    ['install', '-y', '-q', 'python3-torch', 'libopenblas0-pthread'],
    ['update', '-q'],
    ['install', '-y', '-q', 'python3-torch', 'libopenblas0-pthread'],
  ]) {
    try {
      execFileSync('apt-get', cmd, { stdio: 'ignore', env, timeout: 600_000 });
      if (cmd[0] === 'install' && hasTorch()) return null;
    } catch {
      /* try the next step */
    }
  }
  return hasTorch() ? null : 'PyTorch could not be installed (no network or no apt?); skipping the PyTorch half';
}

interface Row {
  name: string;
  params: number;
  batch: number;
  ortStepMs: number;
  torchStepMs: number | null;
  ratio: number | null;
  ortForwardMs: number;
  torchForwardMs: number | null;
  ortImagesPerS: number;
  torchImagesPerS: number | null;
  ortPeakMiB: number;
  torchPeakMiB: number | null;
  provider: string;
  providerNote: string;
  nodes: number | null;
  loadAvg: number;
}

export async function run(argv: string[]): Promise<void> {
  const spin = argv.includes('--spin');
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) {
    await ortChild(MODELS[Number(argv[childAt + 1])], spin);
    return;
  }
  const json = argv.includes('--json');
  const rounds = Number(argv[argv.indexOf('--rounds') + 1]) || 2;
  const log = (s: string) => (json ? console.error(s) : console.log(s));
  const skip = ensureTorch(log);
  if (skip) log(skip);
  log(`engine bench: ${THREADS} threads each side, ${rounds} alternating rounds, best median kept; ORT spinning ${spin ? 'on' : 'off (app default)'}`);
  const rows: Row[] = [];
  let torchVersion: string | null = null;
  for (const [i, m] of MODELS.entries()) {
    let o: SideResult | null = null;
    let t: SideResult | null = null;
    for (let r = 0; r < rounds; r++) {
      o = best(o, runOrt(i, spin));
      if (!skip) {
        const tt = runTorch(m);
        if (tt.params !== o.params) throw new Error(`${m.name}: PyTorch twin has ${tt.params} params, ORT model ${o.params}`);
        t = best(t, tt);
        torchVersion = tt.torch ?? torchVersion;
      }
    }
    if (!o) continue;
    const row: Row = {
      name: m.name,
      params: o.params,
      batch: m.batch,
      ortStepMs: round(o.stepMs),
      torchStepMs: t ? round(t.stepMs) : null,
      ratio: t ? round(o.stepMs / t.stepMs, 3) : null,
      ortForwardMs: round(o.forwardMs),
      torchForwardMs: t ? round(t.forwardMs) : null,
      ortImagesPerS: round((1000 * m.batch) / o.stepMs, 1),
      torchImagesPerS: t ? round((1000 * m.batch) / t.stepMs, 1) : null,
      ortPeakMiB: round(o.peakMiB, 1),
      torchPeakMiB: t ? round(t.peakMiB, 1) : null,
      provider: o.provider ?? 'cpu',
      providerNote: o.fallback ?? '',
      nodes: o.nodes ?? null,
      loadAvg: round(loadavg()[0]),
    };
    rows.push(row);
    log(
      `${row.name}: ${row.params} params, batch ${row.batch}, ${row.nodes} train-step nodes\n` +
        `  train step  ORT ${row.ortStepMs} ms (${row.ortImagesPerS} img/s)  PyTorch ${row.torchStepMs ?? '-'} ms (${row.torchImagesPerS ?? '-'} img/s)  ratio ORT/PyTorch ${row.ratio ?? '-'} (target <= 0.7)\n` +
        `  forward     ORT ${row.ortForwardMs} ms  PyTorch ${row.torchForwardMs ?? '-'} ms  (train step = ${round(row.ortStepMs / row.ortForwardMs, 1)}x forward in ORT)\n` +
        `  peak RSS    ORT ${row.ortPeakMiB} MiB  PyTorch ${row.torchPeakMiB ?? '-'} MiB\n` +
        `  provider    ${row.providerNote}\n` +
        `  load avg    ${row.loadAvg} (other processes on the ${cpus().length} cores skew both sides; PyTorch's OpenMP suffers most)`,
    );
  }
  if (json) {
    console.log(
      JSON.stringify({
        models: rows.map((r) => ({
          name: r.name,
          params: r.params,
          batch: r.batch,
          ortStepMs: r.ortStepMs,
          torchStepMs: r.torchStepMs,
          ratio: r.ratio,
          ortPeakMiB: r.ortPeakMiB,
          torchPeakMiB: r.torchPeakMiB,
          provider: r.provider,
          providerNote: r.providerNote,
          loadAvg: r.loadAvg,
          ortForwardMs: r.ortForwardMs,
          torchForwardMs: r.torchForwardMs,
          ortImagesPerS: r.ortImagesPerS,
          torchImagesPerS: r.torchImagesPerS,
        })),
        threads: THREADS,
        // The PyTorch that actually ran (Debian's 1.13 here; another python may bring another version).
        torch: skip ? null : `${torchVersion ?? 'unknown'} via ${PYTHON}`,
      }),
    );
  }
}

/** Keeps the faster step and forward times seen, and the highest peak memory. */
function best(a: SideResult | null, b: SideResult): SideResult {
  if (!a) return b;
  const keep = b.stepMs < a.stepMs ? b : a;
  return { ...keep, forwardMs: Math.min(a.forwardMs, b.forwardMs), peakMiB: Math.max(a.peakMiB, b.peakMiB) };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// Run directly (child measurements, or the compiled device-check bundle): `node engine.js [--json] ...`.
if (process.argv[1] === self) await run(process.argv.slice(2));
