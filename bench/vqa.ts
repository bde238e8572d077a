// `npm run bench -- vqa [--set semi-defects] [--images N] [--preset default] [--json]`
// The student's question answering against the local teacher test double (deterministic answers derived from the
// image's class, calibration and measurable properties). Real micrographs are imported into a fresh database; the
// double proposes a class, a caption and 5 Q&A pairs per image; the proposals of the training 2/3 (split by content
// hash, stratified by the proposed class) are accepted by a reviewer, the held-out 1/3 stays unreviewed (the student
// never sees it). The student trains (classifier + vision-language part, one model version) and answers every held-out
// question; its answers are scored against the double's: exact match (case and surrounding space ignored) and
// token-F1 (SQuAD-style: lower case, punctuation dropped, bag of words). Latency: wall time of `answer()` per call,
// p50/p95 over all held-out questions, split into the first question about an image (measurements + stem + image
// encoder) and follow-up questions (cached image tokens: the decoder alone).
// Chat history: every held-out question that has an earlier held-out question on the same image is asked again as a
// follow-up, with that previous turn (the double's question and answer) as `history`; both scores are reported on
// the same questions (`followUp.withoutHistory` / `followUp.withHistory`).
import { parseArgs } from 'node:util';
import { ReviewService } from '../main/core/review/service.js';
import { splitByHash } from '../main/core/student/data.js';
import { answer, closeLanguageModels } from '../main/core/student/language.js';
import { trainStudent } from '../main/core/student/service.js';
import { makeHarness, pickDistinct } from '../tests/integration/teacher/harness.js';

export function normalise(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function tokenF1(pred: string, truth: string): number {
  const toks = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}.]+/gu, ' ').replace(/\.(?!\d)/g, ' ').split(/\s+/).filter(Boolean);
  const p = toks(pred);
  const t = toks(truth);
  if (p.length === 0 || t.length === 0) return p.length === t.length ? 1 : 0;
  const count = new Map<string, number>();
  for (const x of t) count.set(x, (count.get(x) ?? 0) + 1);
  let common = 0;
  for (const x of p) {
    const n = count.get(x) ?? 0;
    if (n > 0) { common++; count.set(x, n - 1); }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / t.length;
  return (2 * precision * recall) / (precision + recall);
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    set: { type: 'string', default: 'semi-defects' }, images: { type: 'string', default: '300' }, preset: { type: 'string', default: 'default' },
    json: { type: 'boolean', default: false }, minutes: { type: 'string' },
  } });
  const n = Number(values.images);
  const log = (s: string) => { if (!values.json) console.log(s); else console.error(s); };
  const files = await pickDistinct(values.set!, n);
  const h = await makeHarness({ files, double: { latencyMs: 0 }, taxonomy: values.set === 'uhcs' ? 'uhcs' : 'semi-defects' });
  try {
    const t0 = performance.now();
    const job = await h.teacher.startRun({});
    const done = await h.jobs.wait(job.id);
    if (done.state !== 'done') throw new Error(`teacher run ${done.state}: ${done.error}`);
    log(`teacher double: ${files.length} images proposed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const review = new ReviewService(h.db, h.events, 'bench');
    const proposed = h.db.prepare(
      `SELECT i.id AS imageId, i.sha256, c.name AS className FROM labels l JOIN images i ON i.id = l.image_id JOIN classes c ON c.id = l.class_id
        WHERE l.source = 'teacher' AND l.status = 'proposed' ORDER BY i.id`,
    ).all() as { imageId: number; sha256: string; className: string }[];
    const { train, val } = splitByHash(proposed);
    for (const it of train) review.decide({ imageId: it.imageId, action: 'accept', reviewer: 'bench' });
    log(`accepted the proposals of ${train.length} training images; ${val.length} held out`);
    const t1 = performance.now();
    const r = await trainStudent(h.db, {
      dataDir: h.dir, preset: values.preset, minutes: values.minutes ? Number(values.minutes) : undefined, worker: false,
      onProgress: (p) => { if (p.part === 'language' && p.done % 250 === 0) log(`  language step ${p.done}/${p.total} loss ${p.loss?.toFixed(3)}`); },
    });
    const trainS = (performance.now() - t1) / 1000;
    log(`trained version ${r.modelVersion} in ${trainS.toFixed(1)} s: ${JSON.stringify(r.language)}`);
    const qa = (ids: number[]) => h.db.prepare(
      `SELECT image_id AS imageId, kind, qa_kind AS qaKind, question, answer FROM annotations
        WHERE image_id IN (${ids.join(',')}) AND source = 'teacher' ORDER BY image_id, id`,
    ).all() as { imageId: number; kind: string; qaKind: string | null; question: string | null; answer: string }[];
    type Tally = Record<string, { n: number; em: number; f1: number }>;
    const add = (t: Tally, kind: string, pred: string, truth: string) => {
      const k = (t[kind] ??= { n: 0, em: 0, f1: 0 });
      k.n++;
      k.em += normalise(pred) === normalise(truth) ? 1 : 0;
      k.f1 += tokenF1(pred, truth);
    };
    const summary = (t: Tally) => {
      const all = Object.values(t).reduce((a, b) => ({ n: a.n + b.n, em: a.em + b.em, f1: a.f1 + b.f1 }), { n: 0, em: 0, f1: 0 });
      return {
        n: all.n, exactMatch: all.em / all.n, tokenF1: all.f1 / all.n,
        perKind: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { n: v.n, exactMatch: v.em / v.n, tokenF1: v.f1 / v.n }])),
      };
    };
    const score = async (ids: number[], timed: boolean) => {
      const byKind: Tally = {};
      const plainFollow: Tally = {};
      const withHistory: Tally = {};
      const first: number[] = [];
      const follow: number[] = [];
      const followHistory: number[] = [];
      const tokens: number[] = [];
      const examples: { question: string; truth: string; answer: string; confidence: number }[] = [];
      const historyExamples: { history: string; question: string; truth: string; answer: string; withoutHistory: string }[] = [];
      let changed = 0;
      let used = 0;
      let prev: { imageId: number; question: string | null; answer: string } | null = null;
      for (const row of qa(ids).filter((x) => x.kind === 'qa')) {
        const t = performance.now();
        const a = await answer(h.db, row.imageId, row.question ?? '');
        const ms = performance.now() - t;
        if (timed) (row.imageId === prev?.imageId ? follow : first).push(ms);
        tokens.push(a.tokens);
        add(byKind, row.qaKind ?? 'qa', a.text, row.answer);
        if (examples.length < 10 && row.imageId % 7 === 0) examples.push({ question: row.question ?? '', truth: row.answer, answer: a.text, confidence: Number(a.confidence.toFixed(3)) });
        if (timed && prev && prev.imageId === row.imageId) {
          // The same question as a follow-up to the previous one (the double's turn as history).
          const t2 = performance.now();
          const b = await answer(h.db, row.imageId, row.question ?? '', [{ question: prev.question ?? '', answer: prev.answer }]);
          followHistory.push(performance.now() - t2);
          if (b.historyTurns > 0) used++;
          add(plainFollow, row.qaKind ?? 'qa', a.text, row.answer);
          add(withHistory, row.qaKind ?? 'qa', b.text, row.answer);
          if (b.text !== a.text) {
            changed++;
            if (historyExamples.length < 10) historyExamples.push({ history: prev.question ?? '', question: row.question ?? '', truth: row.answer, answer: b.text, withoutHistory: a.text });
          }
        }
        prev = row;
      }
      return {
        ...summary(byKind),
        followUp: timed ? {
          withoutHistory: summary(plainFollow), withHistory: summary(withHistory), historyUsed: used, answersChanged: changed,
          latencyMs: { p50: pct(followHistory, 0.5), p95: pct(followHistory, 0.95) }, examples: historyExamples,
        } : undefined,
        latencyMs: timed ? {
          firstQuestion: { n: first.length, p50: pct(first, 0.5), p95: pct(first, 0.95) },
          followUp: { n: follow.length, p50: pct(follow, 0.5), p95: pct(follow, 0.95) },
          all: { p50: pct([...first, ...follow], 0.5), p95: pct([...first, ...follow], 0.95) },
          meanTokens: tokens.reduce((a, b) => a + b, 0) / Math.max(1, tokens.length),
        } : undefined,
        examples,
      };
    };
    const heldOut = await score(val.map((v) => v.imageId), true);
    const training = await score(train.slice(0, 40).map((v) => v.imageId), false);
    const out = {
      set: values.set, images: files.length, trainImages: train.length, heldOutImages: val.length, preset: values.preset,
      modelVersion: r.modelVersion, trainSeconds: trainS, classifierValAccuracy: r.valAccuracy, language: r.language,
      heldOut, trainingSample: { n: training.n, exactMatch: training.exactMatch, tokenF1: training.tokenF1, perKind: training.perKind },
    };
    log(`held-out: n=${heldOut.n} exact-match ${(100 * heldOut.exactMatch).toFixed(1)}% token-F1 ${(100 * heldOut.tokenF1).toFixed(1)}%`);
    for (const [k, v] of Object.entries(heldOut.perKind)) log(`  ${k.padEnd(15)} n=${v.n} EM ${(100 * v.exactMatch).toFixed(1)}% F1 ${(100 * v.tokenF1).toFixed(1)}%`);
    const f = heldOut.followUp!;
    log(`follow-ups (n=${f.withHistory.n}): without history EM ${(100 * f.withoutHistory.exactMatch).toFixed(1)}% F1 ${(100 * f.withoutHistory.tokenF1).toFixed(1)}%;`
      + ` with the previous turn as history EM ${(100 * f.withHistory.exactMatch).toFixed(1)}% F1 ${(100 * f.withHistory.tokenF1).toFixed(1)}%`
      + ` (the turn fitted ${f.historyUsed} times; ${f.answersChanged} answers changed)`);
    for (const [k, v] of Object.entries(f.withHistory.perKind)) {
      const w = f.withoutHistory.perKind[k];
      log(`  ${k.padEnd(15)} n=${v.n} EM ${(100 * w.exactMatch).toFixed(1)}% -> ${(100 * v.exactMatch).toFixed(1)}%  F1 ${(100 * w.tokenF1).toFixed(1)}% -> ${(100 * v.tokenF1).toFixed(1)}%`);
    }
    for (const e of f.examples) log(`  [after: ${e.history}] Q: ${e.question}\n    truth: ${e.truth}\n    with history: ${e.answer}\n    without:      ${e.withoutHistory}`);
    log(`latency ms: ${JSON.stringify(heldOut.latencyMs)}`);
    log(`training images (first 40): EM ${(100 * training.exactMatch).toFixed(1)}% F1 ${(100 * training.tokenF1).toFixed(1)}%`);
    for (const e of heldOut.examples) log(`  Q: ${e.question}\n    truth:   ${e.truth}\n    student: ${e.answer} (${e.confidence})`);
    if (values.json) console.log(JSON.stringify(out));
  } finally {
    await closeLanguageModels();
    await h.close();
  }
}
