// `npm run bench -- measure [--json] [--folds K]`: particle segmentation and measurement on the masked
// TiO2 SEM images of ../shared/data/sem-tiff (sem/ + masks/), by LEAVE-ONE-OUT for the learnt segmenter
// (trained on the other images' masks, scored on the held-out one), next to the classical default and a
// Python reference (Otsu + distance-transform watershed with Debian's python3-skimage), in the same run.
// Figures per method, means over the images: image IoU (foreground, data bar excluded), instance F1 at
// IoU >= 0.5, count error % (all particles, edge-cut included), whole-count error % (particles not cut by the
// edge, the count the product reports, against the mask's by the same rule), median-ECD error % (whole particles, nm),
// time per image (median; what measureGray does: segmentation, particle table, line metrology; decode excluded;
// the learnt segmenter's ONNX sessions opened before the clock starts, as the product caches them).
// The JSON gives per image the counts and median ECDs found and in the mask (signed: a bias shows there).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectWithGray } from '../main/core/library/inspect.js';
import { measureGray } from '../main/core/measure/index.js';
import { writeSegmenter } from '../main/core/measure/segmenter-store.js';
import { InferencePool } from '../main/core/host/inference-pool.js';
import { scoreSegmentation } from '../main/core/measure/evaluate.js';
import { readMaskFile } from '../main/core/measure/mask-file.js';
import { distribution, measureParticles } from '../main/core/measure/particles.js';
import { preparePixelModel, trainPixelModel, type PixelModel } from '../main/core/measure/pixel-model.js';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sharedData = process.env.EMMA_SHARED_DATA ?? resolve(repoRoot, '../shared/data');

interface Img {
  name: string;
  path: string;
  gray: Uint8Array;
  width: number;
  height: number;
  areaHeight: number;
  pixelSizeNm: number | null;
  ref: Int32Array;
}

const fmtNm = (v: number | null) => (v === null ? '-' : v.toFixed(0));

interface PerImage {
  image: string;
  imageIoU: number;
  f1: number;
  /** Every particle (cut by the image edge or not) against every mask particle. */
  countErrorPct: number;
  /** The count the product reports (particles not cut by the image edge), against the mask's by the same rule. */
  wholeCountErrorPct: number;
  medianEcdErrorPct: number | null;
  /** Signed, to see a bias: particles found and in the mask, median ECD (nm, whole particles) found and in the mask. */
  count: { found: number; reference: number; wholeFound: number; wholeReference: number };
  medianEcd: { found: number | null; reference: number | null };
  seconds: number;
  /** CPU seconds of this process for the same work (single-threaded: closer to an idle core's wall time under load). */
  cpuSeconds: number | null;
}

// What the product measures per image (segmentation, particle table, line metrology), decode excluded.
const asInput = (img: Img) => ({
  gray: img.gray,
  width: img.width,
  height: img.height,
  pixelSizeNm: img.pixelSizeNm,
  dataBar: img.areaHeight < img.height ? { y: img.areaHeight, height: img.height - img.areaHeight } : null,
});

const cpuNow = (): number => process.cpuUsage().user / 1e6;

function score(img: Img, pred: Int32Array, seconds: number, cpuSeconds: number | null = null): PerImage {
  const s = scoreSegmentation(pred, img.ref, img.width, img.areaHeight);
  const pp = measureParticles(pred, img.width, img.height, img.areaHeight, img.pixelSizeNm);
  const pr = measureParticles(img.ref, img.width, img.height, img.areaHeight, img.pixelSizeNm);
  const wp = pp.filter((p) => !p.touchesEdge);
  const wr = pr.filter((p) => !p.touchesEdge);
  const mp = distribution(wp.map((p) => p.ecd)).median;
  const mr = distribution(wr.map((p) => p.ecd)).median;
  return {
    image: img.name,
    imageIoU: s.imageIoU,
    f1: s.f1,
    countErrorPct: (100 * Math.abs(pp.length - pr.length)) / Math.max(1, pr.length),
    wholeCountErrorPct: (100 * Math.abs(wp.length - wr.length)) / Math.max(1, wr.length),
    medianEcdErrorPct: mp !== null && mr !== null ? (100 * Math.abs(mp - mr)) / mr : null,
    count: { found: pp.length, reference: pr.length, wholeFound: wp.length, wholeReference: wr.length },
    medianEcd: { found: mp, reference: mr },
    seconds,
    cpuSeconds,
  };
}

function summarise(rows: PerImage[]) {
  const mean = (f: (r: PerImage) => number | null) => {
    const v = rows.map(f).filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const t = rows.map((r) => r.seconds).sort((a, b) => a - b);
  const c = rows
    .map((r) => r.cpuSeconds)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  return {
    images: rows.length,
    imageIoU: mean((r) => r.imageIoU),
    f1: mean((r) => r.f1),
    countErrorPct: mean((r) => r.countErrorPct),
    wholeCountErrorPct: mean((r) => r.wholeCountErrorPct),
    medianEcdErrorPct: mean((r) => r.medianEcdErrorPct),
    secondsPerImage: t.length ? t[Math.floor(t.length / 2)] : null,
    cpuSecondsPerImage: c.length ? c[Math.floor(c.length / 2)] : null,
  };
}

function findPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import skimage, scipy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

function toPgm(img: Img): Buffer {
  const head = Buffer.from(`P5\n${img.width} ${img.areaHeight}\n255\n`, 'ascii');
  return Buffer.concat([head, Buffer.from(img.gray.subarray(0, img.width * img.areaHeight))]);
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const fi = argv.indexOf('--folds');
  const semDir = join(sharedData, 'sem-tiff', 'sem');
  const maskDir = join(sharedData, 'sem-tiff', 'masks');
  if (!existsSync(semDir) || !existsSync(maskDir)) {
    console.log(`measure bench: ${semDir} or ${maskDir} not found (set EMMA_SHARED_DATA); skipping`);
    return;
  }
  const load0 = loadavg();
  const imgs: Img[] = [];
  for (const f of readdirSync(semDir)
    .filter((x) => /\.tiff?$/i.test(x))
    .sort()) {
    const stem = f.replace(/\.tiff?$/i, '');
    const mp = [`${stem}_m.tif`, `${stem}.png`].map((m) => join(maskDir, m)).find((p) => existsSync(p));
    if (!mp) continue;
    const { info, gray } = await inspectWithGray(join(semDir, f));
    const mask = await readMaskFile(mp);
    const areaHeight = info.dataBar?.y ?? info.height;
    const ref = new Int32Array(mask.labels.length);
    ref.set(mask.labels.subarray(0, gray.width * areaHeight));
    imgs.push({ name: f, path: join(semDir, f), gray: gray.data, width: gray.width, height: gray.height, areaHeight, pixelSizeNm: info.pixelSizeNm, ref });
  }
  const folds = fi >= 0 ? Math.min(imgs.length, Number(argv[fi + 1])) : imgs.length;
  console.log(`measure bench: ${imgs.length} masked images from ${semDir}; learnt segmenter by leave-one-out over ${folds} folds`);

  const classical: PerImage[] = [];
  for (const img of imgs) {
    const t0 = performance.now();
    const c0 = cpuNow();
    const { labels: lab } = await measureGray(asInput(img), { segmenter: null });
    classical.push(score(img, lab, (performance.now() - t0) / 1000, cpuNow() - c0));
  }

  const learnt: PerImage[] = [];
  const trainSeconds: number[] = [];
  let lastModel: PixelModel | null = null;
  for (let k = 0; k < folds; k++) {
    const train = imgs
      .filter((_, i) => i !== k)
      .map((im) => ({
        gray: im.gray,
        width: im.width,
        areaHeight: im.areaHeight,
        labels: im.ref.subarray(0, im.width * im.areaHeight),
        pixelSizeNm: im.pixelSizeNm,
      }));
    const t0 = performance.now();
    const model = await trainPixelModel(train, { seed: 1 });
    trainSeconds.push((performance.now() - t0) / 1000);
    lastModel = model;
    const img = imgs[k];
    // Sessions open once per segmenter in the product (cached by weights); the time is per image.
    await preparePixelModel(model);
    const t1 = performance.now();
    const c1 = cpuNow();
    const { labels: lab } = await measureGray(asInput(img), { segmenter: model });
    learnt.push(score(img, lab, (performance.now() - t1) / 1000, cpuNow() - c1));
    console.log(
      `  fold ${k + 1}/${folds} (${img.name} held out): trained ${trainSeconds[k].toFixed(1)} s, IoU ${learnt[k].imageIoU.toFixed(3)}, F1 ${learnt[k].f1.toFixed(3)}, ` +
        `whole count ${learnt[k].count.wholeFound}/${learnt[k].count.wholeReference}, median ECD ${fmtNm(learnt[k].medianEcd.found)}/${fmtNm(learnt[k].medianEcd.reference)} nm; ` +
        `post-processing chosen on the training masks ${JSON.stringify(model.post)}`,
    );
  }

  let reference: PerImage[] | null = null;
  let referenceNote: string | null = null;
  const py = findPython();
  if (!py) {
    referenceNote = 'Python reference skipped: scikit-image not installed (apt-get install -y python3-skimage)';
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'emma-measure-bench-'));
    try {
      const pgms = imgs.map((img) => {
        const p = join(tmp, img.name.replace(/\.tiff?$/i, '.pgm'));
        writeFileSync(p, toPgm(img));
        return p;
      });
      const r = spawnSync(py, [join(repoRoot, 'bench', 'python', 'measure_ref.py'), tmp, ...pgms], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      });
      if (r.status !== 0) throw new Error(`Python reference failed: ${r.stderr}`);
      const parsed = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: Record<string, number>; cpu?: Record<string, number> };
      const times = parsed.seconds;
      reference = imgs.map((img) => {
        const base = img.name.replace(/\.tiff?$/i, '');
        const b = readFileSync(join(tmp, `${base}.i32`));
        const part = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        const lab = new Int32Array(img.width * img.height);
        lab.set(part);
        return score(img, lab, times[`${base}.pgm`] ?? NaN, parsed.cpu?.[`${base}.pgm`] ?? null);
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  // Throughput as the product measures a selection: every image file (decode included) through the inference
  // pool, one worker per core, with the last fold's segmenter; sessions warmed on one image first.
  let pool: { workers: number; images: number; secondsPerImage: number } | null = null;
  if (lastModel) {
    const dir = mkdtempSync(join(tmpdir(), 'emma-measure-pool-'));
    const workers = new InferencePool();
    try {
      const segmenterPath = await writeSegmenter(dir, lastModel);
      const ask = (path: string) => workers.measure({ path, segmenterPath, modelVersion: null }, 'batch');
      await Promise.all(Array.from({ length: workers.size }, () => ask(imgs[0].path)));
      const t0 = performance.now();
      await Promise.all(imgs.map((img) => ask(img.path)));
      pool = { workers: workers.size, images: imgs.length, secondsPerImage: (performance.now() - t0) / 1000 / imgs.length };
    } finally {
      await workers.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const load1 = loadavg();
  const out = {
    data: `${imgs.length} TiO2 SEM images with manual masks (sem-tiff/sem + sem-tiff/masks), 4-connected mask components > 5 px`,
    protocol: `learnt: leave-one-out over ${folds} folds (trained on the other ${imgs.length - 1} masks); classical and reference need no training`,
    learnt: {
      ...summarise(learnt),
      trainSecondsMedian: trainSeconds.sort((a, b) => a - b)[Math.floor(trainSeconds.length / 2)] ?? null,
      perImage: learnt,
      lastModelPost: lastModel?.post ?? null,
    },
    classical: { ...summarise(classical), perImage: classical },
    reference: reference
      ? { ...summarise(reference), perImage: reference, method: 'skimage: Gaussian σ 1, Otsu, fill holes, EDT, peak_local_max(min_distance 5), watershed' }
      : null,
    referenceNote,
    pool,
    loadAverage: { start: load0.map((v) => +v.toFixed(2)), end: load1.map((v) => +v.toFixed(2)) },
  };
  const f = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  // Two count errors: of every particle, and of the count the product reports (not cut by the edge; ISO 13322-1).
  console.log('\nmethod       image IoU  inst. F1  count err %  whole-count err %  median-ECD err %  s/image (wall)  CPU s/image');
  for (const [name, s] of [
    ['learnt', out.learnt],
    ['classical', out.classical],
    ['skimage ref', out.reference],
  ] as const) {
    if (!s) continue;
    console.log(
      `${name.padEnd(12)} ${f(s.imageIoU).padStart(9)} ${f(s.f1).padStart(9)} ${f(s.countErrorPct, 1).padStart(12)} ${f(s.wholeCountErrorPct, 1).padStart(18)} ${f(s.medianEcdErrorPct, 1).padStart(17)} ${f(s.secondsPerImage, 2).padStart(14)} ${f((s as { cpuSecondsPerImage?: number | null }).cpuSecondsPerImage ?? null, 2).padStart(12)}`,
    );
  }
  if (referenceNote) console.log(referenceNote);
  if (pool)
    console.log(
      `learnt, whole files through the inference pool (${pool.workers} workers, decode included, ${pool.images} images): ${f(pool.secondsPerImage, 2)} s/image`,
    );
  console.log(
    `learnt training: median ${f(out.learnt.trainSecondsMedian, 1)} s per fold; load average ${out.loadAverage.start.join(' ')} -> ${out.loadAverage.end.join(' ')}`,
  );
  if (json) console.log(JSON.stringify(out));
}
