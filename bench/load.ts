// `npm run bench -- load [--set uhcs] [--concurrent 25] [--rounds 2] [--minutes 1] [--images 406] [--json]`
// Chat under load (issue 12, point 9): the core started in its worker thread exactly as `emma serve` and the app start
// it (startCoreWorker, with its inference pool), a labelled set imported and a student trained on the training split;
// then rounds of N concurrent askStudent calls, each on a held-out image not asked about before, with mixed questions
// (which class, yes/no, how many / how large, describe), in two phases:
//   1. cold: images never classified (decode + stem + head run for each question, in the pool);
//   2. classified: after the classification the app runs after an activation or an import (startClassify), so
//      class questions read stored facts; count and size questions still measure each image once (the first time).
//   3. measured: the core restarted as the app starts it (autoMeasure, prewarm): its background job measures the
//      images with no stored summary, and once it has finished, count and size questions read stored summaries.
//      Asked about training images (never asked about before: the held-out ones are used up by phases 1 and 2).
// Latency = wall time of each call as the client sees it.
import { cpus, loadavg } from 'node:os';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { closeChatModels } from '../main/core/chat/service.js';
import { StudentApi } from '../main/core/student/api.js';
import { ReviewService } from '../main/core/review/service.js';
import { splitByHash } from '../main/core/student/data.js';
import { closeLanguageModels } from '../main/core/student/language.js';
import { makeHarness, pickDistinct } from '../tests/integration/teacher/harness.js';
import { startCoreWorker } from '../main/core/host/client.js';

const QUESTIONS = [
  'What kind of microstructure is this?',
  'Is there any {class} in this image?',
  'How many particles are there?',
  'How large are the features, in nm?',
  'Describe this micrograph.',
];

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN;
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      set: { type: 'string', default: 'uhcs' },
      concurrent: { type: 'string', default: '25' },
      rounds: { type: 'string', default: '2' },
      minutes: { type: 'string', default: '1' },
      images: { type: 'string', default: '406' },
    },
  });
  const n = Number(values.concurrent);
  const rounds = Number(values.rounds);
  const load0 = loadavg()[0];
  {
    // The vqa benchmark's one-click path: teacher run (the teacher double: template captions and Q&A), the training
    // split accepted with true classes, a student trained; the held-out images were never reviewed nor classified,
    // so nothing about them is cached (features, embeddings) when they are asked about.
    const files = await pickDistinct(values.set!, Number(values.images));
    const truthOf = new Map(files.map((f) => [f, basename(dirname(f))]));
    const h = await makeHarness({ files, double: { latencyMs: 0 }, taxonomy: 'semi-defects' });
    let dbPath: string;
    let asked: number[];
    let trainedOn: number;
    let trainIds: number[];
    try {
      if (values.set !== 'semi-defects') {
        const known = [...new Set(truthOf.values())].sort();
        for (const c of known) h.teacher.upsertClass({ name: c, description: `${c} microstructure` });
        await h.teacher.updateConfig({ classNames: known });
      }
      const job = await h.teacher.startRun({});
      const done = await h.jobs.wait(job.id);
      if (done.state !== 'done') throw new Error(`teacher run ${done.state}: ${done.error}`);
      const rows = h.db.prepare(`SELECT id, sha256, path FROM images ORDER BY id`).all() as { id: number; sha256: string; path: string }[];
      const { train, val } = splitByHash(rows.map((r) => ({ imageId: r.id, sha256: r.sha256, className: truthOf.get(r.path)! })));
      const review = new ReviewService(h.db, h.events, 'bench');
      for (const it of train) review.decide({ imageId: it.imageId, action: 'accept', className: it.className, reviewer: 'bench' });
      const api = new StudentApi({ db: h.db, dbPath: h.dbPath, dataDir: h.dir, jobs: h.jobs, events: h.events, actor: 'bench' });
      const tj = api.startTraining({ minutes: Number(values.minutes) });
      const tr = await h.jobs.wait(tj.id);
      if (tr.state !== 'done') throw new Error(`training ${tr.state}: ${tr.error}`);
      asked = val.map((v) => v.imageId);
      trainedOn = train.length;
      trainIds = train.map((t) => t.imageId);
      if (asked.length < 2 * n * rounds) throw new Error(`need ${2 * n * rounds} held-out images, the split has ${asked.length}: raise --images`);
      dbPath = h.dbPath;
    } catch (e) {
      await h.close();
      throw e;
    }
    // The harness's own chat models go; its database connection stays open (a second connection, as another Emma
    // process would hold) until the end, because closing the harness removes its folder.
    await closeChatModels();
    await closeLanguageModels();
    let core = await startCoreWorker({ dbPath, mode: 'cli' });
    try {
      const classes = (await core.api.listClasses()).map((c) => c.className);
      type Round = { phase: string; round: number; p50: number; p95: number; max: number; errors: number; wall: number };
      const perRound: Round[] = [];
      const byPhase = new Map<string, { all: number[]; byKind: number[][] }>();
      const runRound = async (phase: string, round: number, ids: number[]) => {
        const t0 = performance.now();
        const results = await Promise.all(
          ids.map(async (imageId, k) => {
            const question = QUESTIONS[k % QUESTIONS.length].replace('{class}', classes[k % Math.max(1, classes.length)] ?? 'defect');
            const s = performance.now();
            try {
              const a = await core.api.askStudent({ imageId, question, history: [] });
              if (k === 0 && values.json !== true)
                console.log(`  sample (${phase}, round ${round}): ${question} → ${a.answer ?? a.note} (${a.confidence ?? '—'})`);
              // An answer the core could not give (no model, an error in the answer path) counts as an error, not a fast reply.
              return { ms: performance.now() - s, ok: a.supported && a.answer !== null, kind: k % QUESTIONS.length };
            } catch {
              return { ms: performance.now() - s, ok: false, kind: k % QUESTIONS.length };
            }
          }),
        );
        const ms = results.map((r) => r.ms);
        const ph = byPhase.get(phase) ?? { all: [], byKind: [] };
        byPhase.set(phase, ph);
        ph.all.push(...ms);
        for (const r of results) (ph.byKind[r.kind] ??= []).push(r.ms);
        perRound.push({
          phase,
          round,
          p50: pct(ms, 0.5),
          p95: pct(ms, 0.95),
          max: Math.max(...ms),
          errors: results.filter((r) => !r.ok).length,
          wall: performance.now() - t0,
        });
      };
      for (let round = 0; round < rounds; round++) await runRound('cold', round + 1, asked.slice(round * n, (round + 1) * n));
      // What the app does after an activation and after each import (autoClassify): classify the library.
      const c0 = performance.now();
      const cj = await core.api.startClassify({});
      for (;;) {
        const j = await core.api.getJob(cj.id);
        if (j.state === 'done') break;
        if (j.state !== 'running' && j.state !== 'queued') throw new Error(`classification ${j.state}: ${j.error}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const classifyS = (performance.now() - c0) / 1000;
      for (let round = 0; round < rounds; round++) await runRound('classified', round + 1, asked.slice((rounds + round) * n, (rounds + round + 1) * n));
      // 3. The app's start on this library: pre-warm and the background measurement, then questions.
      await core.close();
      core = await startCoreWorker({ dbPath, mode: 'cli', background: { autoMeasure: true, autoMeasureDelayMs: 0, prewarm: true } });
      const m0 = performance.now();
      let measured: { state: string; result: unknown; progress: { done: number; total: number | null } } | undefined;
      for (;;) {
        const jobs = await core.api.listJobs(10);
        measured = jobs.find((j) => j.kind === 'measure');
        if (measured && measured.state !== 'running' && measured.state !== 'queued') break;
        if (!measured && performance.now() - m0 > 60_000) throw new Error('no background measurement started within a minute');
        await new Promise((r) => setTimeout(r, 500));
      }
      const measureS = (performance.now() - m0) / 1000;
      const bg = (measured.result as { background?: { measured: number; total: number } } | null)?.background;
      if (measured.state !== 'done') throw new Error(`background measurement ${measured.state}`);
      if (trainIds.length < n * rounds) throw new Error(`need ${n * rounds} training images for the measured phase, the split has ${trainIds.length}`);
      for (let round = 0; round < rounds; round++) await runRound('measured', round + 1, trainIds.slice(round * n, (round + 1) * n));
      const phases = [...byPhase.entries()].map(([phase, ph]) => ({
        phase,
        p50: pct(ph.all, 0.5),
        p95: pct(ph.all, 0.95),
        byKind: QUESTIONS.map((q, k) => ({ question: q, p50: pct(ph.byKind[k] ?? [], 0.5), p95: pct(ph.byKind[k] ?? [], 0.95), n: ph.byKind[k]?.length ?? 0 })),
      }));
      const out = {
        set: values.set,
        images: files.length,
        concurrent: n,
        rounds: perRound,
        phases,
        classifyLibraryS: classifyS,
        measureLibraryS: measureS,
        measuredInBackground: bg ?? null,
        cores: cpus().length,
        loadAverageStart: load0,
        loadAverageEnd: loadavg()[0],
      };
      console.log(
        `load: ${values.set} (${files.length} images; student trained on ${trainedOn} reviewed, ${values.minutes} min budget; asked about held-out images, each once), core in its worker thread with its inference pool (startCoreWorker)`,
      );
      for (const r of perRound)
        console.log(
          `  ${r.phase} round ${r.round}: ${n} concurrent askStudent: p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, max ${r.max.toFixed(0)} ms, errors ${r.errors}, all answered in ${r.wall.toFixed(0)} ms`,
        );
      console.log(`  classifying the library between the phases (the app's background job): ${classifyS.toFixed(1)} s for ${files.length} images`);
      console.log(
        `  measuring the library in the background after a restart (pre-warm, then the 'measure' job): ${measureS.toFixed(1)} s, ${bg ? `${bg.measured} of ${bg.total} images measured (the rest had summaries from phases 1-2)` : 'no result'}`,
      );
      for (const ph of phases) {
        console.log(`  ${ph.phase}: p50 ${ph.p50.toFixed(0)} ms, p95 ${ph.p95.toFixed(0)} ms`);
        // Concurrent calls queue behind each other, so these say which questions cost the most, not each one's own time.
        for (const k of ph.byKind) console.log(`    "${k.question}": p50 ${k.p50.toFixed(0)} ms, p95 ${k.p95.toFixed(0)} ms (n=${k.n})`);
      }
      console.log(`  ${cpus().length} cores, load average ${load0.toFixed(2)} → ${out.loadAverageEnd.toFixed(2)}`);
      if (values.json) console.log(JSON.stringify(out));
    } finally {
      await core.close();
    }
    await h.close();
  }
}
