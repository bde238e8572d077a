// `npm run bench -- review [--json] [--images N] [--presses N] [--look-ms MS]`: the review action round-trip.
// Seeds a real SQLite file with N images (pointing at real micrographs, so previews render) that all carry an open
// teacher proposal (label, output, caption, two Q&A pairs), serves the built UI, opens Review in Debian's Chromium
// and presses review keys (mostly a, some x, space and "3 then a"), waiting a short look time after each image as
// an operator would. Measured in the page: from the key event's timestamp to the first frame after the next image
// is in the DOM (a requestAnimationFrame that sees it, then a message posted from it, which runs after that
// frame's paint). The reference is the same key press and the same measurement on a page that only swaps a text
// on keydown: what the browser and the measurement cost with no work at all. Also: the core's decideReview and
// getReviewQueue times at this size.
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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

function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

// Installed before the app's scripts: its keydown listener (capture, on window) runs before the app's.
// Strings, because tsx's transform would otherwise inject helpers the page does not have.
const PROBE = `(() => {
  window.__emmaLatencies = [];
  window.__emmaArm = null;
  const sel = () => document.querySelector('[data-testid="review-stage"]') || document.getElementById('ref-stage');
  const shown = () => { const s = sel(); if (!s) return null; const img = s.querySelector('img'); return (img && !img.complete) ? null : s.getAttribute('data-image-id'); };
  window.addEventListener('keydown', (e) => {
    if (!window.__emmaArm) return;
    const arm = window.__emmaArm; window.__emmaArm = null;
    const t0 = e.timeStamp;
    const before = arm.before;
    const check = () => {
      const now = shown();
      if (now && now !== before) {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => window.__emmaLatencies.push({ key: e.key, ms: performance.now() - t0, id: now });
        ch.port2.postMessage(0);
      } else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, true);
})()`;

const REFERENCE_PAGE = `<!doctype html><html><body><div id="ref-stage" data-image-id="0">image 0</div><script>
  let n = 0;
  window.addEventListener('keydown', () => { n++; const s = document.getElementById('ref-stage'); s.setAttribute('data-image-id', String(n)); s.textContent = 'image ' + n; });
</script></body></html>`;

/** Polls an expression in the page (the app's CSP forbids the eval that a string waitForFunction needs). */
async function waitFor(page: { evaluate(expr: string): Promise<unknown> }, expr: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expr))) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${expr}: ${JSON.stringify(await page.evaluate(`[window.__emmaArm, document.body.innerHTML.slice(0, 300)]`))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const n = arg(argv, '--images', 100_000);
  const presses = arg(argv, '--presses', 200);
  const lookMs = arg(argv, '--look-ms', 150);
  const rendererDir = join(repoRoot, 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('run `npm run build:renderer` first');
  const dir = join(sharedData, 'uhcs', 'pearlite');
  const sources = readdirSync(dir).map((f) => join(dir, f));

  const t = tempDir('emma-bench-review-');
  const core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser' });
  const db = core.db;
  const seedStart = Date.now();
  const classNames = ['bridges', 'clean', 'cracks', 'open', 'short', 'scratches'];
  const classes = classNames.map((c) => ensureClass(db, c));
  const now = nowIso();
  db.transaction(() => {
    const tpl = Number(
      db.prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, created_at) VALUES ('bench', 1, 's', 'u', ?)`).run(now).lastInsertRowid,
    );
    const runId = Number(
      db
        .prepare(
          `INSERT INTO teacher_runs (config_key, template_id, provider, endpoint_host, model, config_json, selection_json, state, created_at, updated_at)
           VALUES ('bench', ?, 'compatible', 'localhost', 'bench-model', '{}', '{}', 'done', ?, ?)`,
        )
        .run(tpl, now, now).lastInsertRowid,
    );
    const ref = `teacher run ${runId} · template bench@1 · bench-model`;
    const img = db.prepare(
      `INSERT INTO images (sha256, path, file_name, file_size, format, width, height, bit_depth, pixel_size_nm, magnification, imported_at)
       VALUES (?, ?, ?, 1, 'jpeg', 645, 475, 8, 12.5, 5000, ?)`,
    );
    const label = db.prepare(
      `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at) VALUES (?, ?, 'teacher', ?, 'proposed', ?, ?)`,
    );
    const out = db.prepare(
      `INSERT INTO teacher_outputs (run_id, image_id, config_key, template_id, status, class_name, confidence, parsed_json, label_id, created_at, updated_at)
       VALUES (?, ?, 'bench', ?, 'valid', ?, ?, ?, ?, ?, ?)`,
    );
    const ann = db.prepare(
      `INSERT INTO annotations (image_id, kind, qa_kind, question, answer, source, source_ref, status, teacher_output_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'teacher', ?, 'proposed', ?, ?, ?)`,
    );
    for (let k = 0; k < n; k++) {
      const id = Number(img.run(k.toString(16).padStart(64, '0'), sources[k % sources.length], `img-${k}.jpg`, now).lastInsertRowid);
      const c = k % classes.length;
      const conf = 0.5 + ((k * 7919) % 500) / 1000;
      const labelId = Number(label.run(id, classes[c], ref, conf, now).lastInsertRowid);
      const answer = { className: classNames[c], confidence: conf, rationale: `Bench rationale for image ${k}.`, caption: `Caption ${k}`, qa: [] };
      const outId = Number(out.run(runId, id, tpl, classNames[c], conf, JSON.stringify(answer), labelId, now, now).lastInsertRowid);
      ann.run(id, 'caption', null, null, `A pearlite micrograph, image ${k}.`, ref, outId, now, now);
      ann.run(id, 'qa', 'morphology', 'Describe the morphology.', 'Lamellar colonies.', ref, outId, now, now);
      ann.run(id, 'qa', 'size', 'What is the lamellar spacing?', 'About 200 nm at 12.5 nm/px.', ref, outId, now, now);
    }
  })();
  const seedSeconds = (Date.now() - seedStart) / 1000;

  // Core timings at this size (before the browser session adds decisions).
  const timeIt = async (f: () => Promise<unknown>, times = 15) => {
    const ms: number[] = [];
    for (let k = 0; k < times; k++) {
      const s = process.hrtime.bigint();
      await f();
      ms.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    return ms;
  };
  const queueMs = await timeIt(() => core.api.getReviewQueue({ queue: 'proposals', limit: 20, reviewer: 'bench' }));
  const activeMs = await timeIt(() => core.api.getReviewQueue({ queue: 'active', limit: 20, reviewer: 'bench' }), 5);
  const decideMs = await timeIt(async () => {
    // Images from the far half of the library (the browser session starts at the front).
    const id = Math.ceil(n / 2) + Math.floor(Math.random() * Math.floor(n / 2));
    await core.api.decideReview({ imageId: id, action: 'accept', reviewer: 'bench-core' });
  }, 30);

  const server = await startServer({ core, rendererDir });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  await page.goto(server.openUrl);
  await page.evaluate(`localStorage.setItem('emma.reviewer', 'bench')`);
  await page.getByTestId('nav-review').click();
  const stageId = () => page.evaluate(`document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id') || ''`) as Promise<string>;
  await waitFor(page, `!!document.querySelector('[data-testid="review-stage"]')?.getAttribute('data-image-id')`, 30_000);

  // The key sequence: mostly accept; every 7th a reject, every 11th a skip, every 13th "3" then accept (an edit).
  const plan: string[] = [];
  for (let k = 0; plan.length < presses; k++) plan.push(k % 7 === 3 ? 'x' : k % 11 === 5 ? ' ' : k % 13 === 8 ? '3a' : 'a');

  const pressAll = async (target: typeof page, current: () => Promise<string>, keys: string[]) => {
    for (const key of keys) {
      const before = await current();
      if (key.length === 2) {
        await target.keyboard.press(key[0]);
        await target.waitForTimeout(30);
      }
      await target.evaluate(`window.__emmaArm = { before: ${JSON.stringify(before)} }`);
      await target.keyboard.press(key[key.length - 1] === ' ' ? 'Space' : key[key.length - 1]);
      await waitFor(
        target,
        `window.__emmaArm === null && document.querySelector('[data-testid="review-stage"], #ref-stage')?.getAttribute('data-image-id') !== ${JSON.stringify(before)}`,
        20_000,
      );
      await target.waitForTimeout(lookMs);
    }
    return (await target.evaluate(`window.__emmaLatencies`)) as { key: string; ms: number; id: string }[];
  };

  const review = await pressAll(page, stageId, plan);
  const saved = (await page.evaluate(`document.querySelectorAll('[data-testid="review-history-item"][data-state="failed"]').length`)) as number;

  const refPage = await context.newPage();
  // A navigation (not setContent, whose document.open() drops the probe's listener).
  await refPage.goto(`data:text/html;base64,${Buffer.from(REFERENCE_PAGE).toString('base64')}`);
  const refId = () => refPage.evaluate(`document.getElementById('ref-stage').getAttribute('data-image-id')`) as Promise<string>;
  const reference = await pressAll(
    refPage,
    refId,
    plan.map((k) => k[k.length - 1]),
  );
  await browser.close();
  await server.close();
  const decided = core.db.prepare(`SELECT count(*) FROM review_decisions WHERE reviewer = 'bench'`).pluck().get() as number;
  await core.close();
  t.cleanup();

  if (process.env.EMMA_BENCH_DEBUG) console.error(JSON.stringify(review.map((r) => [r.key, Math.round(r.ms)])));
  const ms = review.map((r) => r.ms);
  const refMs = reference.map((r) => r.ms);
  const result = {
    images: n,
    presses: ms.length,
    lookMs,
    cores: cpus().length,
    loadAvg1: loadavg()[0],
    seedSeconds,
    actionMsP50: percentile(ms, 50),
    actionMsP95: percentile(ms, 95),
    actionMsMax: Math.max(...ms),
    referenceMsP50: percentile(refMs, 50),
    referenceMsP95: percentile(refMs, 95),
    overP95: percentile(ms, 95) - percentile(refMs, 95),
    targetMs: 50,
    meetsTarget: percentile(ms, 95) < 50,
    decisionsStored: decided,
    failedSaves: saved,
    coreQueueMsP50: percentile(queueMs, 50),
    coreActiveQueueMsP50: percentile(activeMs, 50),
    coreDecideMsP50: percentile(decideMs, 50),
    coreDecideMsP95: percentile(decideMs, 95),
  };
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(`review of ${n} images with open proposals (seeded in ${seedSeconds.toFixed(1)} s), ${result.cores} cores, headless Chromium`);
    console.log(
      `  key -> next image painted, ${ms.length} presses (${lookMs} ms look time): p50 ${result.actionMsP50.toFixed(1)} ms, p95 ${result.actionMsP95.toFixed(1)} ms, max ${result.actionMsMax.toFixed(1)} ms (target < 50 ms: ${result.meetsTarget ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  reference (a page that only swaps a text on keydown, same measurement): p50 ${result.referenceMsP50.toFixed(1)} ms, p95 ${result.referenceMsP95.toFixed(1)} ms`,
    );
    console.log(`  decisions stored ${decided}, failed saves ${saved}`);
    console.log(
      `  core: getReviewQueue(proposals, 20) p50 ${result.coreQueueMsP50.toFixed(1)} ms, active ${result.coreActiveQueueMsP50.toFixed(1)} ms; decideReview p50 ${result.coreDecideMsP50.toFixed(2)} ms, p95 ${result.coreDecideMsP95.toFixed(2)} ms`,
    );
  }
}
