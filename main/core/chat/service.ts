// The grounded chat over an image: the question layer decides the intent (and a class slot), the classifier
// supplies the class content and its probability, the calibration and a measurement source the numbers, reviewed
// answers of images of the predicted class the process knowledge. Questions outside what was learnt are refused.
//
// Per model version it keeps the loaded classifier, a stem extractor and the intent model (fitted once from the
// version's intent.json, or for versions saved without one, from the built-in seeds and the library's reviewed
// questions), and per image the classifier's probabilities and nearest reviewed images.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudent, type LoadedStudent } from '../../../native-models/index.js';
import { StemExtractor } from '../../../native-models/index.js';
import type { Db } from '../db/database.js';
import { resolveImage } from '../student/language.js';
import { readForStudent } from '../student/service.js';
import { FactsStore, factsOfFeatures } from '../student/image-facts.js';
import type { InferencePool } from '../host/inference-pool.js';
import { activeVersion } from '../student/versions.js';
import { readEgress } from '../teacher/settings.js';
import type { ReviewedQuestion, TaughtParaphrase } from './augment.js';
import { fitIntents } from './fit.js';
import { acquisitionFacts, askedSetting, settingAnswer } from './acquisition.js';
import { anyDefectText, calibrationText, choiceText, describeText, processText, refusalText, whichClassText, yesNoText, type ClassProb } from './compose.js';
import { IntentModel, type IntentDecision } from './intent.js';
import { countsObjects, MEASURABLE, measurementSentence, NO_MEASUREMENTS, quantityAsked, type ImageMeasurement, type MeasurementSource } from './measure.js';
import { INTENT_FILE, libraryParaphrases, reviewedQuestions, type IntentFile } from './intent-file.js';
import { QA_KIND_INTENT, type Intent } from './seeds.js';
import { classMentions, normalise } from './text.js';

export interface GroundedEvidence {
  /** The classifier's prediction for the image (top 3). */
  readonly prediction: readonly ClassProb[];
  /** Reviewed images the student finds most similar (its memory), with their reviewed class. */
  readonly similar: readonly { readonly imageId: number; readonly className: string | null; readonly similarity: number }[];
  /** The measurement an answer used (null: none). */
  readonly measurement: ImageMeasurement | null;
  readonly pixelSizeNm: number | null;
  /** What the answer's content came from, in words. */
  readonly source: string;
}

/** What an answer was read as: an intent of the question layer, or a question about how the image was acquired. */
export type AnswerIntent = Intent | 'acquisition';

export interface GroundedAnswer {
  readonly text: string;
  /** The classifier's probability behind a class answer; low for refusals; null for a measurement (not a probability). */
  readonly confidence: number | null;
  /** The student version that answered; null when none is trained (measurement and calibration answers only). */
  readonly modelVersion: number | null;
  readonly intent: AnswerIntent;
  /** The question layer's probability for its intent; 1 for an acquisition question (read by the setting's name). */
  readonly intentProbability: number;
  readonly refused: boolean;
  readonly reason: string | null;
  /** Refused or unmeasurable with egress on: the chat offers to ask the teacher. */
  readonly offerTeacher: boolean;
  /** The class the answer is about (the prediction, or the class asked in a yes/no question). */
  readonly className: string | null;
  /** For yes/no questions: the answer. */
  readonly yes: boolean | null;
  readonly evidence: GroundedEvidence;
}

interface Loaded {
  readonly version: number;
  readonly dir: string;
  readonly student: LoadedStudent;
  readonly extractor: StemExtractor;
  readonly intents: IntentModel;
  readonly images: Map<string, { ranked: ClassProb[]; similar: GroundedEvidence['similar'] }>;
}

const loaded = new Map<string, Promise<Loaded>>();

function definitionsOf(db: Db, classes: readonly string[]): string[] {
  const byName = new Map(
    (db.prepare(`SELECT name, description FROM classes`).all() as { name: string; description: string }[]).map((r) => [r.name, r.description]),
  );
  return classes.map((c) => byName.get(c) ?? '').filter(Boolean);
}

async function load(db: Db, version: number, dir: string, pool?: InferencePool): Promise<Loaded> {
  const student = loadStudent(dir);
  const classes = student.manifest.labels;
  let reviewed: readonly ReviewedQuestion[];
  let paraphrases: readonly TaughtParaphrase[];
  const file = join(dir, INTENT_FILE);
  if (existsSync(file)) {
    const f = JSON.parse(readFileSync(file, 'utf8')) as IntentFile;
    if (f.format !== 'emma-intent' || f.version !== 1) throw new Error(`${file}: not an intent file this program reads`);
    reviewed = f.reviewed;
    // A file written before teacher paraphrases existed has none: its model is fitted as it was.
    paraphrases = f.paraphrases ?? [];
  } else {
    // A version saved before the question layer existed: the library's reviewed questions of now.
    reviewed = reviewedQuestions(db);
    paraphrases = libraryParaphrases(db);
  }
  const definitions = definitionsOf(db, classes);
  // Fitting takes seconds of JavaScript (measured 2-3 s for 8 classes and 480 reviewed questions): in the pool when
  // the core has one, so its thread keeps answering the review and library calls meanwhile. A worker that fails (or a
  // pool closing) costs only the wait: the model is then fitted here, as without a pool.
  const fromPool = pool
    ? await pool.intents({ classes, reviewed, definitions, paraphrases }).then(
        (d) => IntentModel.fromData(d),
        () => null,
      )
    : null;
  const intents = fromPool ?? fitIntents(classes, reviewed, definitions, paraphrases);
  return { version, dir, student, extractor: new StemExtractor(student.stem), intents, images: new Map() };
}

async function active(db: Db, pool?: InferencePool): Promise<Loaded> {
  const v = activeVersion(db);
  if (!v || !v.dir) throw new Error('no active student model: run `emma train` first');
  let p = loaded.get(v.dir);
  if (!p) {
    p = load(db, v.id, v.dir, pool);
    loaded.set(v.dir, p);
    p.catch(() => loaded.delete(v.dir!));
  }
  return p;
}

/** Loads the active version's chat state now (the first question then costs no fitting). */
export async function warmChat(db: Db, pool?: InferencePool): Promise<void> {
  await active(db, pool);
}

export async function closeChatModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) {
    try {
      await (await p).extractor.close();
    } catch {
      /* nothing held */
    }
  }
}

/**
 * The classifier's probabilities and nearest reviewed images for an image: from memory, else from the version's
 * stored facts (written when the library was classified), else computed — in the inference pool when the core has
 * one (the core's thread stays free), inline otherwise — and stored for the next question.
 */
async function imageFacts(
  db: Db,
  l: Loaded,
  img: Awaited<ReturnType<typeof resolveImage>>,
  pool?: InferencePool,
): Promise<{ ranked: ClassProb[]; similar: GroundedEvidence['similar'] }> {
  const key = `${img.path}\u0000${img.databar_y}`;
  const hit = l.images.get(key);
  if (hit) return hit;
  const store = img.sha256 ? new FactsStore(db, l.version, l.student.manifest.labels.length) : null;
  let raw = store?.get(img.sha256) ?? null;
  if (!raw) {
    const dataBar = { y: img.databar_y, width: img.width };
    if (pool) {
      raw = await pool.facts({ versionDir: l.dir, path: img.path, dataBar });
    } else {
      const grey = await readForStudent(img.path, dataBar, l.student.stem.config.maxSide);
      raw = (await factsOfFeatures(l.student, await l.extractor.extract(grey), 1))[0];
    }
    try {
      store?.put([[img.sha256, raw]]);
    } catch {
      // A read-only or busy database only costs the next question a recomputation.
    }
  }
  const L = l.student.manifest.labels;
  const ranked = L.map((c, j) => ({ className: c, probability: raw.probs[j] })).sort((a, b) => b.probability - a.probability);
  const refs = l.student.manifest.memoryRefs;
  const bySha = db.prepare(`SELECT id FROM images WHERE sha256 = ?`).pluck();
  const similar: { imageId: number; className: string | null; similarity: number }[] = [];
  for (const n of raw.near) {
    const sha = refs[n.index];
    if (!sha || sha === img.sha256) continue;
    const id = bySha.get(sha) as number | undefined;
    if (id === undefined) continue;
    similar.push({ imageId: id, className: L[l.student.classifier.memoryLabels[n.index]] ?? null, similarity: n.similarity });
    if (similar.length >= 3) break;
  }
  const facts = { ranked, similar };
  if (l.images.size > 4096) l.images.clear();
  l.images.set(key, facts);
  return facts;
}

/** A no-defect class of the taxonomy, if it has one (for "are there defects?"). */
function noDefectClass(classes: readonly string[]): string | null {
  return classes.find((c) => /^(clean|none|no[ _-]?defects?|normal|good|ok|defect[ _-]?free|pass)$/i.test(c)) ?? null;
}

const DEFECT_WORD = /\b(defects?|defective|flaws?|faults?|faulty|anomal(y|ies)|problems?|damaged?|irregularit(y|ies))\b/i;

/** The most frequent reviewed process answer on images reviewed as `className` (answers with digits left out: numbers come from measurements). */
function reviewedProcessAnswer(db: Db, l: Loaded, className: string): { answer: string; agree: number; of: number } | null {
  const rows = db
    .prepare(
      `SELECT a.question, a.qa_kind, a.answer FROM annotations a
       JOIN labels lb ON lb.image_id = a.image_id AND lb.status IN ('accepted', 'edited') AND lb.source IN ('human', 'teacher')
       JOIN classes c ON c.id = lb.class_id
      WHERE a.kind = 'qa' AND a.status = 'accepted' AND a.source IN ('teacher', 'human') AND c.name = ?`,
    )
    .all(className) as { question: string | null; qa_kind: string | null; answer: string }[];
  const counts = new Map<string, { text: string; n: number }>();
  let of = 0;
  for (const r of rows) {
    const intent = r.qa_kind ? QA_KIND_INTENT[r.qa_kind] : r.question ? l.intents.decide(r.question).intent : null;
    if (intent !== 'process' || /\d/.test(r.answer)) continue;
    of++;
    const k = normalise(r.answer);
    const c = counts.get(k) ?? { text: r.answer.trim(), n: 0 };
    c.n++;
    counts.set(k, c);
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n)[0];
  return best ? { answer: best.text, agree: best.n, of } : null;
}

export interface AskOptions {
  readonly measurements?: MeasurementSource;
  /** Where the image's model work runs (the core's inference pool); absent: in the calling thread. */
  readonly pool?: InferencePool;
}

type Base = Pick<GroundedAnswer, 'modelVersion' | 'intent' | 'intentProbability' | 'evidence'>;

/** A question the intent model read as about the calibration but that counts things in the image is a measurement. */
function routed(decision: IntentDecision, q: string): IntentDecision {
  return decision.intent === 'calibration' && !decision.outOfScope && countsObjects(q) ? { ...decision, intent: 'measure' } : decision;
}

/** A calibration question names the pixel size or the frame; the acquisition settings are for the rest. */
const CALIBRATION_WORDS = /\b(pixels?|px|scale|calibrat\w*|field of view|fov|per pixel|frame size|image size)\b/i;

/**
 * How the image was acquired (acquisition.ts). Not for a question that names a class of the taxonomy, a measurement
 * question, or a calibration question about the pixel size or the frame (those have their own answers); the question
 * layer itself is no guide here, since its seeds teach that instrument settings nobody recorded are out of scope.
 * Null when the question names no acquisition setting.
 */
async function acquisitionReply(
  db: Db,
  img: Awaited<ReturnType<typeof resolveImage>>,
  q: string,
  decision: IntentDecision,
  classes: readonly string[],
  base: Base,
): Promise<GroundedAnswer | null> {
  const consult = decision.intent !== 'measure' && !(decision.intent === 'calibration' && CALIBRATION_WORDS.test(q)) && classMentions(q, classes).length === 0;
  const setting = consult ? askedSetting(q) : null;
  if (!setting) return null;
  const a = settingAnswer(setting, await acquisitionFacts(db, img));
  const common = { ...base, intent: 'acquisition' as const, intentProbability: 1, className: null, yes: null };
  // The teacher sees the pixels only, so it is not offered for a setting the file does not state.
  if (!a.text) {
    return {
      ...common,
      text: refusalText(a.missing!, false),
      confidence: 0,
      refused: true,
      reason: a.missing,
      offerTeacher: false,
      evidence: { ...base.evidence, source: 'nothing (refused)' },
    };
  }
  return { ...common, text: a.text, confidence: 1, refused: false, reason: null, offerTeacher: false, evidence: { ...base.evidence, source: a.source } };
}

/** A size / count / spacing question: the numbers come only from the measurement source, or Emma says it cannot. */
async function measurementAnswer(
  img: Awaited<ReturnType<typeof resolveImage>>,
  q: string,
  o: AskOptions,
  base: Base,
  egress: boolean,
  /** The measurement, already started by the caller. */
  started?: Promise<ImageMeasurement | null>,
): Promise<GroundedAnswer> {
  const pixelNm = img.pixel_size_nm;
  const quantity = quantityAsked(q);
  const common = { ...base, className: null, yes: null };
  if (quantity === null) {
    // Worded like a measurement, but asking for a quantity no measurement here reports (composition, resistance…).
    const why = `it asks for a quantity Emma does not measure (it measures ${MEASURABLE})`;
    return {
      ...common,
      text: refusalText(why, egress),
      confidence: 0,
      refused: true,
      reason: why,
      offerTeacher: egress,
      evidence: { ...base.evidence, source: 'nothing (refused)' },
    };
  }
  const m = img.id > 0 ? await (started ?? (o.measurements ?? NO_MEASUREMENTS).measure(img.id)) : null;
  const sentence = m ? measurementSentence(m, quantity) : null;
  if (!m || !sentence) {
    const what = {
      count: 'particle count',
      size: 'size measurement',
      spacing: 'line measurement',
      width: 'line measurement',
      roughness: 'line-edge roughness',
    }[quantity];
    const why = `I can't measure that in this image yet (no ${what} is available for it)`;
    const scale = pixelNm === null ? ' The image has no calibration either.' : ` Its pixel size is ${Number(pixelNm.toPrecision(4))} nm.`;
    return {
      ...common,
      text: `${why}.${scale}${egress ? ' You can ask the teacher instead.' : ''}`,
      confidence: null,
      refused: true,
      reason: why,
      offerTeacher: egress,
      evidence: { ...base.evidence, measurement: m, source: 'no measurement' },
    };
  }
  return {
    ...common,
    text: sentence,
    confidence: null,
    refused: false,
    reason: null,
    offerTeacher: false,
    evidence: { ...base.evidence, measurement: m, source: `measurement: ${m.method}` },
  };
}

// Without a trained student (a new library, or one with particle masks and no class labels) the question layer
// still runs on its built-in seed wordings, so measurement and calibration questions get their answers.
let seedIntents: { key: string; model: IntentModel } | null = null;
function intentsWithoutStudent(db: Db): { classes: string[]; model: IntentModel } {
  const classes = db.prepare(`SELECT name FROM classes ORDER BY name`).pluck().all() as string[];
  const defs = definitionsOf(db, classes);
  const taught = libraryParaphrases(db);
  const key = [...classes, ...defs, ...taught.map((p) => `${p.intent}:${p.text}`)].join('\u0000');
  if (seedIntents?.key !== key) seedIntents = { key, model: fitIntents(classes, [], defs, taught) };
  return { classes, model: seedIntents.model };
}

async function askWithoutStudent(db: Db, image: number | string, q: string, o: AskOptions): Promise<GroundedAnswer> {
  const img = await resolveImage(db, image);
  const { classes, model } = intentsWithoutStudent(db);
  const decision = routed(model.decide(q), q);
  const egress = readEgress(db).enabled;
  const pixelNm = img.pixel_size_nm;
  const base: Base = {
    modelVersion: null,
    intent: decision.intent,
    intentProbability: decision.probability,
    evidence: { prediction: [], similar: [], measurement: null, pixelSizeNm: pixelNm, source: 'no student model' },
  };
  const refuse = (why: string, intent: Intent = decision.intent): GroundedAnswer => ({
    ...base,
    intent,
    text: refusalText(why, egress),
    confidence: Math.min(0.2, decision.probability * 0.2),
    refused: true,
    reason: why,
    offerTeacher: egress,
    className: null,
    yes: null,
    evidence: { ...base.evidence, source: 'nothing (refused)' },
  });
  const acquisition = await acquisitionReply(db, img, q, decision, classes, base);
  if (acquisition) return acquisition;
  if (decision.outOfScope) return refuse(decision.why ?? 'it is outside what I learnt', 'oos');
  if (decision.intent === 'measure') return measurementAnswer(img, q, o, base, egress);
  if (decision.intent === 'calibration') {
    return {
      ...base,
      text: calibrationText(pixelNm, img.width, img.databar_y && img.databar_y > 0 ? img.databar_y : img.height),
      confidence: pixelNm === null ? null : 1,
      refused: false,
      reason: null,
      offerTeacher: false,
      className: null,
      yes: null,
      evidence: { ...base.evidence, source: "the image's calibration metadata" },
    };
  }
  return refuse('no student model is trained yet, so I cannot tell what this image shows (press Train once images are reviewed)');
}

/** Answers a question about an image (library id or file path) with the active version, grounded as described above. */
export async function askGrounded(db: Db, image: number | string, question: string, o: AskOptions = {}): Promise<GroundedAnswer> {
  const q = question.trim();
  if (!q) throw new Error('the question is empty');
  const v = activeVersion(db);
  if (!v || !v.dir) return askWithoutStudent(db, image, q, o);
  const l = await active(db, o.pool);
  const img = await resolveImage(db, image);
  const decision = routed(l.intents.decide(q), q);
  // A count or size question: its measurement runs beside the classifier's facts (both in the pool), not after.
  const measured =
    decision.intent === 'measure' && !decision.outOfScope && img.id > 0 && quantityAsked(q) !== null
      ? (o.measurements ?? NO_MEASUREMENTS).measure(img.id)
      : undefined;
  measured?.catch(() => undefined); // (awaited below; a failure of the facts first must not leave it unhandled)
  // How the image was taken is read from the file, before (and without) running the classifier on it.
  const acquisition = await acquisitionReply(db, img, q, decision, l.student.manifest.labels, {
    modelVersion: l.version,
    intent: decision.intent,
    intentProbability: decision.probability,
    evidence: { prediction: [], similar: [], measurement: null, pixelSizeNm: img.pixel_size_nm, source: 'the file' },
  });
  if (acquisition) return acquisition;
  const facts = await imageFacts(db, l, img, o.pool);
  const { ranked } = facts;
  const top = ranked[0];
  const classes = l.student.manifest.labels;
  const defs = new Map(
    (db.prepare(`SELECT name, description FROM classes`).all() as { name: string; description: string }[]).map((r) => [r.name, r.description]),
  );
  const egress = readEgress(db).enabled;
  const pixelNm = img.pixel_size_nm;
  const base = {
    modelVersion: l.version,
    intent: decision.intent,
    intentProbability: decision.probability,
    evidence: { prediction: ranked.slice(0, 3), similar: facts.similar, measurement: null, pixelSizeNm: pixelNm, source: 'the classifier' } as GroundedEvidence,
  };
  const refuse = (why: string, intent: Intent = decision.intent): GroundedAnswer => ({
    ...base,
    intent,
    text: refusalText(why, egress),
    confidence: Math.min(0.2, decision.probability * 0.2),
    refused: true,
    reason: why,
    offerTeacher: egress,
    className: null,
    yes: null,
    evidence: { ...base.evidence, source: 'nothing (refused)' },
  });
  if (decision.outOfScope) return refuse(decision.why ?? 'it is outside what I learnt', 'oos');
  const mentions = classMentions(q, classes).map((m) => m.className);
  const answerWith = (a: Partial<GroundedAnswer> & { text: string }): GroundedAnswer => ({
    ...base,
    confidence: null,
    refused: false,
    reason: null,
    offerTeacher: false,
    className: null,
    yes: null,
    ...a,
  });
  switch (decision.intent) {
    case 'which':
      return answerWith({ text: whichClassText(ranked, defs), confidence: top.probability, className: top.className });
    case 'yesno': {
      if (mentions.length >= 2) {
        const c = choiceText(mentions, ranked);
        return answerWith({ text: c.text, confidence: c.confidence, className: c.className });
      }
      if (mentions.length === 1) {
        const y = yesNoText(mentions[0], ranked);
        return answerWith({ text: y.text, confidence: y.confidence, className: mentions[0], yes: y.yes });
      }
      const clean = noDefectClass(classes);
      if (clean && DEFECT_WORD.test(q)) {
        const y = anyDefectText(clean, ranked);
        return answerWith({ text: y.text, confidence: y.confidence, className: y.yes ? top.className : clean, yes: y.yes });
      }
      return refuse(`it asks about something that is not one of the classes I know (${classes.join(', ')})`);
    }
    case 'calibration':
      return answerWith({
        text: calibrationText(pixelNm, img.width, img.databar_y && img.databar_y > 0 ? img.databar_y : img.height),
        confidence: pixelNm === null ? null : 1,
        evidence: { ...base.evidence, source: "the image's calibration metadata" },
      });
    case 'describe':
      return answerWith({
        text: describeText(ranked, defs, pixelNm, img.width, img.databar_y && img.databar_y > 0 ? img.databar_y : img.height),
        confidence: top.probability,
        className: top.className,
        evidence: { ...base.evidence, source: 'the classifier and the calibration' },
      });
    case 'process': {
      const r = reviewedProcessAnswer(db, l, top.className);
      if (!r) return refuse(`no reviewed answer about the process exists for images like this one (${top.className})`);
      return answerWith({
        text: processText(top, r.answer, r.agree, r.of),
        confidence: top.probability * (r.agree / r.of),
        className: top.className,
        evidence: { ...base.evidence, source: `reviewed answers of ${r.of} ${top.className} images` },
      });
    }
    case 'measure':
      return measurementAnswer(img, q, o, base, egress, measured);
    default:
      return refuse('it is outside what I learnt', 'oos');
  }
}
