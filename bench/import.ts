// `npm run bench -- import [--json]`: import throughput and peak memory on the real folders, with thumbnails,
// next to a reference in the same run (sharp decode + thumbnail only, no hashing/metadata/database), so the
// ratio shows what the import pipeline costs on top of decoding.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sharedData = process.env.EMMA_SHARED_DATA ?? resolve(repoRoot, '../shared/data');
const FOLDERS = ['semi-defects', 'uhcs', 'sem-tiff', 'nffa'];

interface Measure {
  images: number;
  seconds: number;
  peakMiB: number;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) n += countFiles(p);
    else if (/\.(tiff?|png|jpe?g)$/i.test(name)) n++;
  }
  return n;
}

/** Runs one measurement in a fresh process so its peak RSS is its own. */
function child(mode: 'emma' | 'reference', folder: string): Measure {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, folder], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  if (r.status !== 0) throw new Error(`${mode} ${folder} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

async function childMain(mode: string, folder: string): Promise<void> {
  let started = process.hrtime.bigint();
  let images = 0;
  if (mode === 'emma') {
    const { createCore } = await import('../main/core/api.js');
    const dir = mkdtempSync(join(tmpdir(), 'emma-bench-'));
    const core = createCore({ dbPath: join(dir, 'emma.sqlite'), mode: 'cli' });
    // Time the import itself, not module loading and database creation.
    started = process.hrtime.bigint();
    const report = await core.importNow({ paths: [folder], labelsFromFolders: true });
    images = report.imported + report.duplicates + report.failed.length;
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  } else {
    const sharp = (await import('sharp')).default;
    started = process.hrtime.bigint();
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(tiff?|png|jpe?g)$/i.test(n)) files.push(p);
      }
    };
    walk(folder);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const f = files[next++];
        try {
          await sharp(f, { limitInputPixels: 2 ** 28 }).resize(256, 256, { fit: 'inside' }).jpeg().toBuffer();
        } catch {
          // Unreadable files count as processed, as the import reports them.
        }
        images++;
      }
    };
    await Promise.all([worker(), worker()]);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ images, seconds, peakMiB }));
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const rows = [];
  for (const name of FOLDERS) {
    const folder = join(sharedData, name);
    try {
      statSync(folder);
    } catch {
      console.error(`skipping ${name}: ${folder} not found`);
      continue;
    }
    const files = countFiles(folder);
    const emma = child('emma', folder);
    const ref = child('reference', folder);
    const row = {
      folder: name,
      files,
      emmaImagesPerSec: emma.images / emma.seconds,
      emmaPeakMiB: emma.peakMiB,
      referenceImagesPerSec: ref.images / ref.seconds,
      referencePeakMiB: ref.peakMiB,
      ratio: emma.seconds / emma.images / (ref.seconds / ref.images),
    };
    rows.push(row);
    if (!json) {
      console.log(
        `${name.padEnd(13)} ${String(files).padStart(4)} files  Emma import ${row.emmaImagesPerSec.toFixed(1)} img/s, peak ${row.emmaPeakMiB.toFixed(0)} MiB` +
          `  | reference decode+thumbnail ${row.referenceImagesPerSec.toFixed(1)} img/s, peak ${row.referencePeakMiB.toFixed(0)} MiB` +
          `  | time per image Emma/reference ${row.ratio.toFixed(2)}`,
      );
    }
  }
  const result = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', folders: rows };
  if (json) console.log(JSON.stringify(result));
  else console.log(`machine: ${result.cores} cores, ${result.cpu}`);
}

if (process.argv[2] === '--child') await childMain(process.argv[3], process.argv[4]);
