// `npm run bench -- accuracy [--json] [--sets a,b] [--minutes M] [--preset P] [--torch-seconds S | --no-torch]`
// For each labelled set in ../shared/data: a stratified 2/3 (by SHA-256, the student's own split rule) is
// imported into a fresh database with folder labels, the student trains on it with the time budget, and the
// active version is evaluated on the remaining 1/3 (an ImageFolder tree of links to the real files).
// The PyTorch reference CNN (bench/torch/ref_cnn.py) trains on the same split in the same run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCore } from '../main/core/api.js';
import { splitByHash } from '../main/core/student/data.js';
import { classifyPaths, evaluateFolder, trainStudent } from '../main/core/student/service.js';

const here = dirname(fileURLToPath(import.meta.url));
const DATA = resolve(here, '..', '..', 'shared', 'data');
const IMAGE = /\.(png|jpe?g|tiff?)$/i;

interface Item {
  path: string;
  className: string;
  sha256: string;
}

function listSet(dir: string): Item[] {
  const items: Item[] = [];
  for (const c of readdirSync(dir).sort()) {
    const sub = join(dir, c);
    if (!statSync(sub).isDirectory()) continue;
    for (const f of readdirSync(sub).sort()) {
      if (!IMAGE.test(f)) continue;
      const p = join(sub, f);
      items.push({ path: p, className: c, sha256: createHash('sha256').update(readFileSync(p)).digest('hex') });
    }
  }
  return items;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      sets: { type: 'string', default: 'semi-defects,uhcs' },
      minutes: { type: 'string', default: '5' },
      preset: { type: 'string', default: 'default' },
      'torch-seconds': { type: 'string', default: '300' },
      'no-torch': { type: 'boolean', default: false },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  if (!existsSync(DATA)) {
    console.log(`accuracy: ${DATA} is absent; nothing to measure (the labelled sets live outside the repository)`);
    if (values.json) console.log(JSON.stringify({ skipped: true, reason: 'no data folder' }));
    return;
  }
  const results: Record<string, unknown>[] = [];
  for (const set of values.sets!.split(',')) {
    const dir = join(DATA, set);
    if (!existsSync(dir)) {
      console.log(`${set}: absent, skipped`);
      continue;
    }
    const items = listSet(dir);
    const { train, val } = splitByHash(items);
    const labels = [...new Set(items.map((i) => i.className))].sort();
    const work = mkdtempSync(join(tmpdir(), `emma-acc-${set}-`));
    try {
      // Held-out third as an ImageFolder tree of links (no copies of the data).
      const evalDir = join(work, 'eval');
      for (const it of val) {
        mkdirSync(join(evalDir, it.className), { recursive: true });
        symlinkSync(it.path, join(evalDir, it.className, `${it.sha256.slice(0, 12)}-${it.path.split('/').pop()}`));
      }
      const core = createCore({ dbPath: join(work, 'emma.sqlite'), mode: 'cli' });
      let student: Record<string, unknown>;
      try {
        const imp = await core.importNow({ paths: train.map((t) => t.path), labelsFromFolders: true });
        if (imp.failed.length) throw new Error(`${set}: ${imp.failed.length} training images failed to import`);
        const tr = await trainStudent(core.db, { dataDir: core.location.dataDir, minutes: Number(values.minutes), preset: values.preset, worker: true });
        const ev = await evaluateFolder(core.db, evalDir);
        // Classification latency (issue budget: <= 30 ms/image in a batch): 64 held-out files read, stem, head and
        // memory; the second pass is timed (the first opens the ONNX sessions).
        const batch = val.slice(0, 64).map((v) => v.path);
        await classifyPaths(core.db, batch);
        const t0 = performance.now();
        await classifyPaths(core.db, batch);
        const classifyMsPerImage = (performance.now() - t0) / batch.length;
        student = {
          accuracy: ev.accuracy,
          macroF1: ev.macroF1,
          n: ev.n,
          trainSeconds: tr.trainSeconds,
          innerValAccuracy: tr.valAccuracy,
          provider: tr.provider,
          confusion: ev.confusion,
          labels: ev.labels,
          classifyMsPerImage,
          classifyBatch: batch.length,
        };
      } finally {
        await core.close();
      }
      let torch: Record<string, unknown> | null = null;
      if (!values['no-torch']) {
        const lists = { train: join(work, 'train.tsv'), test: join(work, 'test.tsv') };
        writeFileSync(lists.train, train.map((t) => `${labels.indexOf(t.className)}\t${t.path}`).join('\n'));
        writeFileSync(lists.test, val.map((t) => `${labels.indexOf(t.className)}\t${t.path}`).join('\n'));
        const r = spawnSync(
          values.python!,
          [join(here, 'torch', 'ref_cnn.py'), '--train', lists.train, '--test', lists.test, '--seconds', values['torch-seconds']!, '--threads', '2'],
          { encoding: 'utf8' },
        );
        const line = r.stdout.trim().split('\n').pop() ?? '';
        torch = r.status === 0 && line.startsWith('{') ? JSON.parse(line) : { error: (r.stderr || r.error?.message || 'failed').slice(-300) };
      }
      const row = { set, trainImages: train.length, testImages: val.length, classes: labels.length, student, torchReferenceCnn: torch };
      results.push(row);
      const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(3) : '—');
      console.log(
        `${set}: train ${train.length} / test ${val.length}, ${labels.length} classes\n` +
          `  student (${values.preset}, ${values.minutes} min budget): accuracy ${f(student.accuracy)}, macro-F1 ${f(student.macroF1)}, trained in ${f(student.trainSeconds)} s on ${student.provider}; ` +
          `classify ${f(student.classifyMsPerImage)} ms/image (batch of ${String(student.classifyBatch)})\n` +
          (torch
            ? `  PyTorch 4-block CNN (${values['torch-seconds']} s, 2 threads): accuracy ${f(torch.accuracy)}, macro-F1 ${f(torch.macroF1)}${torch.error ? ` error: ${String(torch.error)}` : ''}`
            : '  PyTorch reference: skipped'),
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  if (values.json) console.log(JSON.stringify({ cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, results }));
}
