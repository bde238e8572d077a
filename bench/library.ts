// `npm run bench -- library [--json] [--images N]`: is the library smooth at 100,000 images?
// Seeds a real SQLite file with N image rows (pointing at real micrographs, so thumbnails render on demand),
// serves the built UI, scrolls the grid in Debian's Chromium and reports frame times, next to the same
// scroll on an empty page in the same browser as the reference (what the machine gives with no work at all).
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../main/core/api.js';
import { nowIso } from '../main/core/db/database.js';
import { ensureClass } from '../main/core/library/importer.js';
import { startServer } from '../main/server/http-server.js';
import { launchChromium } from '../tests/support/browser.js';
import { tempDir } from '../tests/support/paths.js';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sharedData = process.env.EMMA_SHARED_DATA ?? resolve(repoRoot, '../shared/data');

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const i = argv.indexOf('--images');
  const n = i >= 0 ? Number(argv[i + 1]) : 100_000;
  const rendererDir = join(repoRoot, 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('run `npm run build` first');
  const sources = readdirSync(join(sharedData, 'uhcs', 'pearlite')).map((f) => join(sharedData, 'uhcs', 'pearlite', f));

  const t = tempDir('emma-bench-library-');
  const core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser' });
  const seedStart = Date.now();
  const insert = core.db.prepare(
    `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, pixel_size_nm, magnification, imported_at)
     VALUES (?, ?, ?, 1, 'jpeg', 645, 475, 8, 12.5, 5000, ?)`,
  );
  const label = core.db.prepare(
    `INSERT INTO labels (image_id, class_id, source, source_ref, status, created_at) VALUES (?, ?, 'human', 'bench', 'accepted', ?)`,
  );
  const classes = ['network', 'pearlite', 'spheroidite'].map((c) => ensureClass(core.db, c));
  const now = nowIso();
  core.db.transaction(() => {
    for (let k = 0; k < n; k++) {
      const id = Number(insert.run(k.toString(16).padStart(64, '0'), sources[k % sources.length], `img-${k}.jpg`, now).lastInsertRowid);
      if (k % 2 === 0) label.run(id, classes[k % 3], now);
    }
  })();
  const seedSeconds = (Date.now() - seedStart) / 1000;

  // Core query latency at the far end of the library, with and without a label filter.
  const timeQuery = async (f: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      const s = process.hrtime.bigint();
      await f();
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    return percentile(times, 50);
  };
  const pageLastMs = await timeQuery(() => core.api.listImages({ offset: n - 200, limit: 200 }));
  const pageFilteredMs = await timeQuery(() => core.api.listImages({ offset: 0, limit: 200, filter: { kind: 'class', className: 'pearlite' } }));

  const server = await startServer({ core, rendererDir });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.openUrl);
  await page.getByTestId('thumb').first().waitFor();

  // Scroll in steps and record frame intervals with requestAnimationFrame. The page script is a string because
  // tsx's transform would otherwise inject helpers the page does not have.
  const SCROLL = `async (sel) => {
    const el = sel
      ? [...document.querySelectorAll(sel)].find((e) => e.scrollHeight > e.clientHeight + 10)
      : document.scrollingElement;
    const frames = [];
    let last = performance.now();
    let running = true;
    const tick = (t) => { frames.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    const max = el.scrollHeight - el.clientHeight;
    for (let k = 0; k < 240; k++) {
      el.scrollTop = Math.min(max, el.scrollTop + 900);
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    el.scrollTop = max;
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    return { frames: frames.slice(1), reachedEnd: el.scrollTop >= max - 2, domNodes: document.getElementsByTagName('*').length };
  }`;
  type ScrollResult = { frames: number[]; reachedEnd: boolean; domNodes: number };
  const grid = (await page.evaluate(`(${SCROLL})(${JSON.stringify('[data-testid="library-grid"], [data-testid="library-grid"] *')})`)) as ScrollResult;
  // The end of the library really shows its last images.
  await page.waitForFunction(`[...document.querySelectorAll('[data-testid="thumb"]')].some((e) => e.getAttribute('data-image-id') === '${n}')`, undefined, {
    timeout: 20_000,
  });
  const refPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await refPage.setContent('<div style="height:2000000px">reference</div>');
  const reference = ((await refPage.evaluate(`(${SCROLL})(null)`)) as ScrollResult).frames;
  await browser.close();
  await server.close();
  await core.close();
  t.cleanup();

  const result = {
    images: n,
    cores: cpus().length,
    seedSeconds,
    listLastPageMs: pageLastMs,
    listFilteredPageMs: pageFilteredMs,
    gridFrameMsP50: percentile(grid.frames, 50),
    gridFrameMsP95: percentile(grid.frames, 95),
    gridFrameMsMax: Math.max(...grid.frames),
    referenceFrameMsP50: percentile(reference, 50),
    referenceFrameMsP95: percentile(reference, 95),
    ratioP95: percentile(grid.frames, 95) / percentile(reference, 95),
    reachedEnd: grid.reachedEnd,
    domNodes: grid.domNodes,
  };
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(`library of ${n} images (seeded in ${seedSeconds.toFixed(1)} s), ${result.cores} cores, headless Chromium`);
    console.log(`  listImages last page ${pageLastMs.toFixed(1)} ms, filtered first page ${pageFilteredMs.toFixed(1)} ms (median of 20)`);
    console.log(
      `  grid scroll, 240 steps of 900 px: frame p50 ${result.gridFrameMsP50.toFixed(1)} ms, p95 ${result.gridFrameMsP95.toFixed(1)} ms, max ${result.gridFrameMsMax.toFixed(0)} ms; ${result.domNodes} DOM nodes`,
    );
    console.log(
      `  reference (empty page, same scroll): p50 ${result.referenceFrameMsP50.toFixed(1)} ms, p95 ${result.referenceFrameMsP95.toFixed(1)} ms; p95 ratio ${result.ratioP95.toFixed(2)}`,
    );
  }
}
