// `npm run bench -- vqa [--set semi-defects|uhcs] [--images N] [--preset default] [--minutes M] [--json]`
// The student's chat on images it never saw, asked in wordings it never trained on.
//
// Data: N real micrographs of ../shared/data/<set> (spread over the class folders) are imported into a fresh
// database; the teacher test double proposes a class, a caption and 5 Q&A pairs per image in its fixed template
// wordings. The training 2/3 (split by content hash, stratified by the true folder class) is reviewed: the
// proposals accepted with the true class. The held-out 1/3 stays unreviewed. The student trains through the
// one-click Train path (StudentApi.startTraining, a worker thread), the active version classifies the library
// (StudentApi.startClassify: the stored predictions are the same-run classifier), and then answers, on every
// held-out image, questions whose wordings come from bench/vqa-heldout-questions.json (written before the question
// layer was tuned; never trained on). Scores:
// - class named correctly: which-class questions, the first class name in the answer = the folder class;
// - agreement: the class the answer names (or, for yes/no, whether it says yes to the predicted class) = the
//   classifier's stored prediction;
// - yes/no accuracy against the folder class, on balanced positives (the true class asked) and negatives (another
//   class asked; a catch-all class named "other" is never asked about);
// - stutter rate over every answer (main/core/chat/wellformed.ts: repeated 3-grams or words, spliced words, letter
//   runs, punctuation glued to words, no terminal punctuation);
// - out-of-scope refusal rate (refused, "I can't answer that…"), and the false-refusal rate on in-scope questions;
// - expected calibration error of class answers (confidence = the classifier's probability; 10 equal-width bins,
//   with the reliability table);
// - answer latency p50/p95 (askGrounded wall time after the version's chat state is loaded; first question about
//   an image includes reading it and the stem, follow-ups are cached);
// - find by text: precision@10 of each class's definition text over the held-out images, the no-good-match rate on
//   the out-of-scope wordings, and the ranking time at 10,000 images (synthetic class-probability rows).
import { chatMeasurement } from '../main/core/chat/measure.js';
import { measureLibraryImage } from '../main/core/measure/service.js';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { askGrounded, closeChatModels, warmChat, type GroundedAnswer } from '../main/core/chat/service.js';
import { rankIndex, textToClasses, classTexts, type PredictionIndex } from '../main/core/chat/find.js';
import { REFUSAL } from '../main/core/chat/compose.js';
import { displayName } from '../main/core/chat/text.js';
import { stutterReasons } from '../main/core/chat/wellformed.js';
import { StudentApi } from '../main/core/student/api.js';
import { ChatApi } from '../main/core/chat/api.js';
import { ReviewService } from '../main/core/review/service.js';
import { splitByHash } from '../main/core/student/data.js';
import { answer as decoderAnswer, closeLanguageModels } from '../main/core/student/language.js';
import { makeHarness, pickDistinct } from '../tests/integration/teacher/harness.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Heldout {
  whichClass: string[];
  yesNo: string[];
  measure: string[];
  calibration: string[];
  describe: string[];
  process: string[];
  outOfScope: string[];
}

/** Definitions for the uhcs classes (no built-in taxonomy covers them). */
const UHCS = [
  { name: 'network', description: 'Proeutectoid cementite forming a continuous network along prior austenite grain boundaries.' },
  { name: 'pearlite', description: 'Colonies of alternating lamellae of ferrite and cementite.' },
  { name: 'spheroidite', description: 'Cementite as small rounded particles dispersed in a ferrite matrix.' },
];

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

export function singular(name: string): string {
  return name
    .split(' ')
    .map((w, i, all) => (i < all.length - 1 ? w : /(ches|shes|sses|xes)$/.test(w) ? w.slice(0, -2) : /[^s]s$/.test(w) ? w.slice(0, -1) : w))
    .join(' ');
}

/** The first class of `classes` named in a text (display names, whole words, earliest position). */
export function firstClassIn(text: string, classes: readonly string[]): string | null {
  const t = text.toLowerCase();
  let best: { c: string; at: number } | null = null;
  for (const c of classes) {
    const m = new RegExp(
      `\\b${displayName(c)
        .toLowerCase()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`,
    ).exec(t);
    if (m && (!best || m.index < best.at)) best = { c, at: m.index };
  }
  return best?.c ?? null;
}

export function reliability(items: { confidence: number; correct: boolean }[], bins = 10) {
  const table = Array.from({ length: bins }, (_, b) => ({ from: b / bins, to: (b + 1) / bins, n: 0, meanConfidence: 0, accuracy: 0 }));
  for (const it of items) {
    const b = Math.min(bins - 1, Math.floor(it.confidence * bins));
    table[b].n++;
    table[b].meanConfidence += it.confidence;
    table[b].accuracy += it.correct ? 1 : 0;
  }
  let ece = 0;
  for (const r of table) {
    if (r.n === 0) continue;
    r.meanConfidence /= r.n;
    r.accuracy /= r.n;
    ece += (r.n / items.length) * Math.abs(r.accuracy - r.meanConfidence);
  }
  return { ece, table: table.filter((r) => r.n > 0) };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      set: { type: 'string', default: 'semi-defects' },
      images: { type: 'string', default: '240' },
      preset: { type: 'string', default: 'default' },
      json: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      decoder: { type: 'string', default: '40' },
    },
  });
  const log = (s: string) => {
    if (!values.json) console.log(s);
    else console.error(s);
  };
  const H = JSON.parse(readFileSync(join(here, 'vqa-heldout-questions.json'), 'utf8')) as Heldout;
  const files = await pickDistinct(values.set!, Number(values.images));
  const truthOf = new Map(files.map((f) => [f, basename(dirname(f))]));
  const h = await makeHarness({ files, double: { latencyMs: 0 }, taxonomy: 'semi-defects' });
  const tStart = performance.now();
  try {
    if (values.set !== 'semi-defects') {
      const known = new Set(truthOf.values());
      for (const c of UHCS.filter((u) => known.has(u.name))) h.teacher.upsertClass(c);
      await h.teacher.updateConfig({ classNames: [...known].sort() });
    }
    const job = await h.teacher.startRun({});
    const done = await h.jobs.wait(job.id);
    if (done.state !== 'done') throw new Error(`teacher run ${done.state}: ${done.error}`);
    const rows = h.db.prepare(`SELECT id, sha256, path FROM images ORDER BY id`).all() as { id: number; sha256: string; path: string }[];
    const items = rows.map((r) => ({ imageId: r.id, sha256: r.sha256, className: truthOf.get(r.path)! }));
    const { train, val } = splitByHash(items);
    const review = new ReviewService(h.db, h.events, 'bench');
    for (const it of train) review.decide({ imageId: it.imageId, action: 'accept', className: it.className, reviewer: 'bench' });
    log(`${values.set}: ${files.length} images; reviewed ${train.length} (teacher double's template wordings, true classes), ${val.length} held out`);
    const measurements = { measure: async (imageId: number) => chatMeasurement(await measureLibraryImage(h.db, imageId)) };
    const api = new StudentApi({ db: h.db, dbPath: h.dbPath, dataDir: h.dir, jobs: h.jobs, events: h.events, actor: 'bench' });
    const chat = new ChatApi({
      db: h.db,
      jobs: h.jobs,
      review,
      student: api,
      teacherAsk: async () => {
        throw new Error('the benchmark does not ask the teacher');
      },
      // The product's measurement source (particle analysis, line metrology), as createCore wires it.
      measurements,
    });
    const t1 = performance.now();
    const tj = api.startTraining({ preset: values.preset, ...(values.minutes ? { minutes: Number(values.minutes) } : {}) });
    const tr = await h.jobs.wait(tj.id);
    if (tr.state !== 'done') throw new Error(`training ${tr.state}: ${tr.error}`);
    const trainS = (performance.now() - t1) / 1000;
    const cj = api.startClassify({});
    const cr = await h.jobs.wait(cj.id);
    if (cr.state !== 'done') throw new Error(`classify ${cr.state}: ${cr.error}`);
    const version = chat.capabilities().activeVersion!;
    const classes = (await api.version(version)).classes;
    const predicted = new Map(
      (
        h.db
          .prepare(
            `SELECT image_id, c.name FROM labels l JOIN classes c ON c.id = l.class_id WHERE l.id IN (SELECT max(id) FROM labels WHERE source = 'student' AND source_ref = ? GROUP BY image_id)`,
          )
          .all(`student v${version}`) as { image_id: number; name: string }[]
      ).map((r) => [r.image_id, r.name]),
    );
    const classifierAcc = val.filter((v) => predicted.get(v.imageId) === v.className).length / val.length;
    log(
      `trained v${version} in ${trainS.toFixed(1)} s (one-click path); classifier on the ${val.length} held-out images: ${(100 * classifierAcc).toFixed(1)}%`,
    );
    const tw = performance.now();
    await warmChat(h.db);
    const warmMs = performance.now() - tw;
    // ---- the questions ----
    const askable = classes.filter((c) => c.toLowerCase() !== 'other');
    const fill = (w: string, c: string) => w.replace(/\{class\}/g, displayName(c)).replace(/\{singular\}/g, singular(displayName(c)));
    type Q = { kind: 'which' | 'yes' | 'no' | 'measure' | 'calibration' | 'describe' | 'process' | 'oos'; question: string; asked?: string };
    const all: { imageId: number; truth: string; pred: string | undefined; q: Q; a: GroundedAnswer; ms: number; first: boolean }[] = [];
    for (const [i, v] of val.entries()) {
      const qs: Q[] = [
        { kind: 'which', question: H.whichClass[(2 * i) % H.whichClass.length] },
        { kind: 'which', question: H.whichClass[(2 * i + 1) % H.whichClass.length] },
        { kind: 'measure', question: H.measure[i % H.measure.length] },
        { kind: 'oos', question: H.outOfScope[i % H.outOfScope.length] },
        { kind: 'oos', question: H.outOfScope[(i + 11) % H.outOfScope.length] },
      ];
      if (askable.includes(v.className)) qs.push({ kind: 'yes', question: fill(H.yesNo[i % H.yesNo.length], v.className), asked: v.className });
      const others = askable.filter((c) => c !== v.className);
      if (askable.includes(v.className) && others.length) {
        const neg = others[i % others.length];
        qs.push({ kind: 'no', question: fill(H.yesNo[(i + 3) % H.yesNo.length], neg), asked: neg });
      }
      const extra = (['calibration', 'describe', 'process'] as const)[i % 3];
      qs.push({ kind: extra, question: H[extra][Math.floor(i / 3) % H[extra].length] });
      for (const [k, q] of qs.entries()) {
        const t = performance.now();
        const a = await askGrounded(h.db, v.imageId, q.question, { measurements });
        all.push({ imageId: v.imageId, truth: v.className, pred: predicted.get(v.imageId), q, a, ms: performance.now() - t, first: k === 0 });
      }
    }
    const refused = (a: GroundedAnswer) => a.refused || a.text.startsWith(REFUSAL);
    const which = all.filter((x) => x.q.kind === 'which');
    const named = which.map((x) => firstClassIn(x.a.text, classes));
    const yn = all.filter((x) => x.q.kind === 'yes' || x.q.kind === 'no');
    const saysYes = (t: string) => /^yes\b/i.test(t.trim());
    const saysNo = (t: string) => /^no\b/i.test(t.trim());
    const ynCorrect = (x: (typeof yn)[number]) => (x.q.kind === 'yes' ? saysYes(x.a.text) : saysNo(x.a.text));
    const pos = yn.filter((x) => x.q.kind === 'yes');
    const neg = yn.filter((x) => x.q.kind === 'no');
    const agreeWhich = which.filter((x, k) => named[k] === x.pred).length;
    const agreeYn = yn.filter((x) => (saysYes(x.a.text) ? x.q.asked === x.pred : saysNo(x.a.text) && x.q.asked !== x.pred)).length;
    const oos = all.filter((x) => x.q.kind === 'oos');
    const inScope = all.filter((x) => ['which', 'yes', 'no', 'calibration', 'describe'].includes(x.q.kind));
    const stutters = all.filter((x) => stutterReasons(x.a.text).length > 0);
    const measure = all.filter((x) => x.q.kind === 'measure');
    const cal = reliability(which.map((x, k) => ({ confidence: x.a.confidence ?? 0, correct: named[k] === x.truth })));
    const ms = all.map((x) => x.ms);
    const byKind = Object.fromEntries(
      ['which', 'yes', 'no', 'measure', 'calibration', 'describe', 'process', 'oos'].map((k) => {
        const xs = all.filter((x) => x.q.kind === k);
        return [
          k,
          {
            n: xs.length,
            refused: xs.filter((x) => refused(x.a)).length,
            intents: count(xs.map((x) => (refused(x.a) ? `refused:${x.a.intent}` : x.a.intent))),
          },
        ];
      }),
    );
    // ---- the decoder's free text (the language part alone), for comparison ----
    const dec: { question: string; text: string; stutter: string[] }[] = [];
    for (const x of all.slice(0, Number(values.decoder))) {
      const d = await decoderAnswer(h.db, x.imageId, x.q.question);
      dec.push({ question: x.q.question, text: d.text, stutter: stutterReasons(d.text) });
    }
    // ---- find by text ----
    const heldIds = new Set(val.map((v) => v.imageId));
    const truthById = new Map(val.map((v) => [v.imageId, v.className]));
    const defs = new Map(
      (h.db.prepare(`SELECT name, description FROM classes`).all() as { name: string; description: string }[]).map((r) => [r.name, r.description]),
    );
    const perClass: Record<string, { heldOut: number; precisionAt10: number; precisionAtMin: number; noGoodMatch: boolean }> = {};
    const searchMs: number[] = [];
    for (const c of classes) {
      const text = defs.get(c) || displayName(c);
      const t = performance.now();
      const r = await chat.searchText(text, 10, heldIds);
      searchMs.push(performance.now() - t);
      const nc = val.filter((v) => v.className === c).length;
      const hits = r.results.filter((x) => truthById.get(x.image.id) === c).length;
      perClass[c] = { heldOut: nc, precisionAt10: hits / 10, precisionAtMin: nc ? hits / Math.min(10, nc) : NaN, noGoodMatch: r.noGoodMatch };
    }
    const oosTexts = [...new Set(H.outOfScope)].slice(0, 12).concat(['weather forecast']);
    let noMatch = 0;
    for (const t of oosTexts) if ((await chat.searchText(t, 10, heldIds)).noGoodMatch) noMatch++;
    // 10,000 images: synthetic class-probability rows (random, normalised), the same ranking code.
    const C = classes.length;
    const N = 10_000;
    const probs = new Float32Array(N * C);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < N; i++) {
      let z = 0;
      for (let j = 0; j < C; j++) {
        const e = -Math.log(rnd() + 1e-9);
        probs[i * C + j] = e;
        z += e;
      }
      for (let j = 0; j < C; j++) probs[i * C + j] /= z;
    }
    const ix: PredictionIndex = { version, ids: Int32Array.from({ length: N }, (_, i) => i + 1), probs, classes, rows: N * C };
    const ct = classTexts(h.db, classes);
    const synth: number[] = [];
    for (let r = 0; r < 30; r++) {
      const t = performance.now();
      const tc = textToClasses(defs.get(classes[r % C]) ?? classes[r % C], ct);
      rankIndex(ix, tc.q, 10);
      synth.push(performance.now() - t);
    }
    const p10 = Object.values(perClass).map((x) => x.precisionAt10);
    const pmin = Object.values(perClass)
      .map((x) => x.precisionAtMin)
      .filter((x) => !Number.isNaN(x));
    const out = {
      set: values.set,
      images: files.length,
      reviewedImages: train.length,
      heldOutImages: val.length,
      preset: values.preset,
      modelVersion: version,
      trainSeconds: trainS,
      classifierAccuracy: classifierAcc,
      chatLoadMs: warmMs,
      classNamedCorrectly: {
        n: which.length,
        rate: named.filter((c, k) => c === which[k].truth).length / which.length,
        answered: which.filter((x) => !refused(x.a)).length,
        rateAmongAnswered: named.filter((c, k) => c === which[k].truth && !refused(which[k].a)).length / Math.max(1, which.filter((x) => !refused(x.a)).length),
      },
      agreement: {
        n: which.length + yn.length,
        rate: (agreeWhich + agreeYn) / (which.length + yn.length),
        whichClass: agreeWhich / which.length,
        yesNo: agreeYn / yn.length,
        disagreements: yn
          .filter((x) => !(saysYes(x.a.text) ? x.q.asked === x.pred : saysNo(x.a.text) && x.q.asked !== x.pred))
          .slice(0, 6)
          .map((x) => ({ q: x.q.question, a: x.a.text, storedPrediction: x.pred, chatPrediction: x.a.evidence.prediction[0] })),
      },
      yesNo: {
        n: yn.length,
        positives: pos.length,
        negatives: neg.length,
        accuracyPositives: pos.filter(ynCorrect).length / pos.length,
        accuracyNegatives: neg.filter(ynCorrect).length / neg.length,
        balancedAccuracy: (pos.filter(ynCorrect).length / pos.length + neg.filter(ynCorrect).length / neg.length) / 2,
      },
      stutter: {
        n: all.length,
        rate: stutters.length / all.length,
        examples: stutters.slice(0, 5).map((x) => ({ q: x.q.question, a: x.a.text, why: stutterReasons(x.a.text) })),
      },
      outOfScope: {
        n: oos.length,
        refused: oos.filter((x) => refused(x.a)).length / oos.length,
        missed: oos
          .filter((x) => !refused(x.a))
          .slice(0, 8)
          .map((x) => ({ q: x.q.question, a: x.a.text })),
      },
      inScopeFalseRefusals: { n: inScope.length, rate: inScope.filter((x) => refused(x.a)).length / inScope.length },
      measurement: {
        n: measure.length,
        saidCannotMeasure: measure.filter((x) => /can't measure/.test(x.a.text)).length / measure.length,
        refusedAsOutOfScope: measure.filter((x) => x.a.intent === 'oos').length / measure.length,
      },
      calibration: cal,
      latencyMs: {
        n: ms.length,
        p50: quantile(ms, 0.5),
        p95: quantile(ms, 0.95),
        firstQuestion: {
          p50: quantile(
            all.filter((x) => x.first).map((x) => x.ms),
            0.5,
          ),
          p95: quantile(
            all.filter((x) => x.first).map((x) => x.ms),
            0.95,
          ),
        },
        followUp: {
          p50: quantile(
            all.filter((x) => !x.first).map((x) => x.ms),
            0.5,
          ),
          p95: quantile(
            all.filter((x) => !x.first).map((x) => x.ms),
            0.95,
          ),
        },
      },
      byKind,
      decoder: { n: dec.length, stutterRate: dec.filter((d) => d.stutter.length).length / Math.max(1, dec.length), examples: dec.slice(0, 4) },
      findByText: {
        meanPrecisionAt10: mean(p10),
        meanPrecisionAtMin10: mean(pmin),
        perClass,
        oosNoGoodMatch: { n: oosTexts.length, rate: noMatch / oosTexts.length },
        queryMsLibrary: { n: searchMs.length, p50: quantile(searchMs, 0.5), max: Math.max(...searchMs) },
        queryMs10k: { n: synth.length, p50: quantile(synth, 0.5), p95: quantile(synth, 0.95) },
      },
      examples: all
        .filter((_, k) => k % 37 === 0)
        .slice(0, 12)
        .map((x) => ({ kind: x.q.kind, truth: x.truth, q: x.q.question, a: x.a.text, confidence: x.a.confidence })),
      benchSeconds: (performance.now() - tStart) / 1000,
    };
    const f = (x: number) => (100 * x).toFixed(1);
    log(
      `class named correctly ${f(out.classNamedCorrectly.rate)}% (n=${which.length}) vs classifier ${f(classifierAcc)}% (n=${val.length}); among the ${out.classNamedCorrectly.answered} not refused ${f(out.classNamedCorrectly.rateAmongAnswered)}%`,
    );
    log(`answer agrees with prediction ${f(out.agreement.rate)}% (n=${out.agreement.n})`);
    log(
      `yes/no balanced ${f(out.yesNo.balancedAccuracy)}% (pos ${f(out.yesNo.accuracyPositives)}% n=${pos.length}, neg ${f(out.yesNo.accuracyNegatives)}% n=${neg.length})`,
    );
    log(`stutter ${f(out.stutter.rate)}% (n=${all.length}); decoder free text ${f(out.decoder.stutterRate)}% (n=${dec.length})`);
    log(
      `out-of-scope refused ${f(out.outOfScope.refused)}% (n=${oos.length}); in-scope false refusals ${f(out.inScopeFalseRefusals.rate)}% (n=${inScope.length})`,
    );
    log(
      `measurement questions: "can't measure" ${f(out.measurement.saidCannotMeasure)}% (n=${measure.length}; the product's particle analysis and line metrology answer the rest)`,
    );
    log(
      `ECE of class answers ${cal.ece.toFixed(3)}; reliability: ${cal.table.map((r) => `[${r.from.toFixed(1)},${r.to.toFixed(1)}) n=${r.n} conf ${r.meanConfidence.toFixed(2)} acc ${r.accuracy.toFixed(2)}`).join('; ')}`,
    );
    log(
      `latency ms p50 ${out.latencyMs.p50.toFixed(1)} p95 ${out.latencyMs.p95.toFixed(1)} (first question about an image p50 ${out.latencyMs.firstQuestion.p50.toFixed(1)}, follow-ups p50 ${out.latencyMs.followUp.p50.toFixed(1)}); chat load ${warmMs.toFixed(0)} ms once`,
    );
    log(
      `find by text: mean P@10 ${mean(p10).toFixed(3)}, mean P@min(10,n) ${mean(pmin).toFixed(3)}; OOS texts "no good match" ${f(out.findByText.oosNoGoodMatch.rate)}%; query ${out.findByText.queryMsLibrary.p50.toFixed(1)} ms (library), ${out.findByText.queryMs10k.p50.toFixed(2)} ms p50 at 10,000 images`,
    );
    for (const [c, v] of Object.entries(perClass))
      log(
        `  ${c.padEnd(16)} held-out ${v.heldOut}  P@10 ${v.precisionAt10.toFixed(2)}  P@min ${v.precisionAtMin.toFixed(2)}${v.noGoodMatch ? '  (no good match)' : ''}`,
      );
    log(`by kind: ${JSON.stringify(byKind)}`);
    for (const e of out.examples) log(`  [${e.kind}, ${e.truth}] ${e.q}\n    → ${e.a} (${e.confidence === null ? '—' : e.confidence.toFixed(2)})`);
    for (const e of out.stutter.examples) log(`  stutter: ${e.q} → ${e.a} [${e.why.join('; ')}]`);
    log(`bench ${out.benchSeconds.toFixed(0)} s`);
    for (const e of out.outOfScope.missed) log(`  not refused: ${e.q} → ${e.a}`);
    for (const d of out.decoder.examples) log(`  decoder: ${d.question} → ${d.text}${d.stutter.length ? ` [${d.stutter.join('; ')}]` : ''}`);
    if (values.json) console.log(JSON.stringify(out));
  } finally {
    await closeChatModels();
    await closeLanguageModels();
    await h.close();
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function count(xs: string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[x] = (o[x] ?? 0) + 1;
  return o;
}
