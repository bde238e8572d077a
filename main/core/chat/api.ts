// The chat domain as the contract offers it: grounded answers about an image (saved as a conversation, or once for
// `emma ask`), the teacher asked from the chat, corrections that become reviewed Q&A, similar images from the
// student's memory and find-by-text over the stored predictions. The numbers come from the classifier, the calibration
// and the measurements (chat/service.ts); the student domain (student/api.ts) owns the active version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nearest, StemExtractor } from '../../../native-models/index.js';
import type {
  AnswerGrounding,
  AskOnceRequest,
  AskStudentRequest,
  ChatCorrection,
  ChatMessage,
  ChatTeacherRequest,
  SimilarImage,
  StudentAnswer,
  StudentCapabilities,
  TeacherAskResult,
  TextSearchResult,
} from '../contract.js';
import { nowIso, type Db } from '../db/database.js';
import { CoreError } from '../errors.js';
import type { InferencePool } from '../host/inference-pool.js';
import type { JobManager } from '../jobs/job-manager.js';
import { getImage } from '../library/queries.js';
import type { ReviewService } from '../review/service.js';
import type { ImageRowLite, StudentApi } from '../student/api.js';
import { studentRef } from '../student/api.js';
import { FactsStore, NEAREST_KEPT } from '../student/image-facts.js';
import { NoLanguageModel, type Turn } from '../student/language.js';
import { readForStudent } from '../student/service.js';
import { activeVersion } from '../student/versions.js';
import { buildPredictionIndex, classTexts, learnMatchThreshold, rankIndex, textToClasses, type ClassText, type PredictionIndex } from './find.js';
import type { MeasurementSource } from './measure.js';
import { askGrounded, type GroundedAnswer } from './service.js';
import { displayName } from './text.js';

/** Images a text search classifies first when the active version has not classified them. */
const TEXT_SEARCH_CLASSIFY = 500;

interface ChatRow {
  id: number;
  image_id: number;
  role: ChatMessage['role'];
  text: string;
  confidence: number | null;
  model_ref: string | null;
  reply_to: number | null;
  annotation_id: number | null;
  created_at: string;
  grounding_json: string | null;
}

const toChat = (r: ChatRow): ChatMessage => ({
  id: r.id,
  imageId: r.image_id,
  role: r.role,
  text: r.text,
  confidence: r.confidence,
  modelRef: r.model_ref,
  replyTo: r.reply_to,
  annotationId: r.annotation_id,
  createdAt: r.created_at,
  grounding: groundingFromJson(r.grounding_json),
});

/**
 * A saved answer's grounding, or null when there is none or what is saved is not one (a file edited by hand, a
 * future format): the answer's text still shows; its evidence is never made up.
 */
export function groundingFromJson(json: string | null): AnswerGrounding | null {
  if (json === null) return null;
  let g: unknown;
  try {
    g = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof g !== 'object' || g === null) return null;
  const o = g as Record<string, unknown>;
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
  const ok =
    typeof o.intent === 'string' &&
    typeof o.intentProbability === 'number' &&
    typeof o.refused === 'boolean' &&
    strOrNull(o.reason) &&
    typeof o.offerTeacher === 'boolean' &&
    strOrNull(o.className) &&
    (o.yes === null || typeof o.yes === 'boolean') &&
    Array.isArray(o.prediction) &&
    o.prediction.every(
      (p: unknown) =>
        typeof p === 'object' &&
        p !== null &&
        typeof (p as { className?: unknown }).className === 'string' &&
        typeof (p as { probability?: unknown }).probability === 'number',
    ) &&
    Array.isArray(o.similar) &&
    o.similar.every(
      (x: unknown) =>
        typeof x === 'object' &&
        x !== null &&
        Number.isInteger((x as { imageId?: unknown }).imageId) &&
        typeof (x as { similarity?: unknown }).similarity === 'number' &&
        strOrNull((x as { className?: unknown }).className),
    ) &&
    strOrNull(o.measurement) &&
    numOrNull(o.pixelSizeNm) &&
    typeof o.source === 'string';
  return ok ? (o as unknown as AnswerGrounding) : null;
}

export interface ChatApiDeps {
  db: Db;
  jobs: JobManager;
  review: ReviewService;
  /** The active version and classification jobs (a text search classifies what the version has not). */
  student: StudentApi;
  /** The teacher's interactive ask (egress is checked there). */
  teacherAsk: (request: { imageId: number; question: string; streamId?: string }) => Promise<TeacherAskResult>;
  /** Measurements for size/count/spacing questions (main/core/measure); default: none, answers say so. */
  measurements?: MeasurementSource;
  /** Where answers run their model work (absent: in this thread). */
  pool?: InferencePool;
}

export class ChatApi {
  /** Find by text: class texts, learnt threshold and the stored predictions of the active version. */
  private textIndex: { version: number; rows: number; ct: ClassText[]; threshold: number; ix: PredictionIndex } | null = null;

  constructor(private readonly d: ChatApiDeps) {}

  /** One grounded answer about a library image or a file, saved nowhere (`emma ask`). */
  async askOnce(request: AskOnceRequest): Promise<StudentAnswer> {
    const unsupported = (note: string): StudentAnswer => ({
      supported: false,
      answer: null,
      confidence: null,
      modelVersion: null,
      note,
      question: null,
      message: null,
    });
    try {
      // A version trained without reviewed text answers nothing (as in the chat).
      const v = activeVersion(this.d.db);
      if (v?.dir && !(JSON.parse(readFileSync(join(v.dir, 'student.json'), 'utf8')) as { language?: unknown }).language) throw new NoLanguageModel(v.id);
      const a = await askGrounded(this.d.db, request.image, request.question, { measurements: this.d.measurements });
      return {
        supported: true,
        answer: a.text,
        confidence: a.confidence,
        modelVersion: a.modelVersion,
        note: a.refused ? a.reason : null,
        question: null,
        message: null,
        grounding: groundingOf(a),
      };
    } catch (e) {
      if (e instanceof NoLanguageModel) return unsupported(e.message);
      throw e;
    }
  }

  async similar(imageId: number, k: number): Promise<SimilarImage[]> {
    const { student } = this.d.student.active();
    const row = this.d.db.prepare(`SELECT id, path, width, databar_y, sha256 FROM images WHERE id = ?`).get(imageId) as ImageRowLite | undefined;
    if (!row) throw new CoreError('not_found', `No image with id ${imageId}.`);
    const near = await this.nearestOf(row, k + 1);
    const refs = student.manifest.memoryRefs;
    const bySha = this.d.db.prepare(`SELECT id FROM images WHERE sha256 = ?`).pluck();
    const out: SimilarImage[] = [];
    for (const n of near) {
      const sha = refs[n.index];
      if (!sha || sha === row.sha256) continue;
      const id = bySha.get(sha) as number | undefined;
      if (id === undefined) continue;
      const label = student.manifest.labels[student.classifier.memoryLabels[n.index]] ?? null;
      const { path: _p, metadata: _m, labels: _l, ...image } = getImage(this.d.db, id);
      out.push({ image, similarity: n.similarity, className: label });
      if (out.length >= k) break;
    }
    return out;
  }

  /**
   * The `want` nearest memory rows of an image: from the facts the classification stored when they reach that far
   * (a row read), else computed in the inference pool (the core's thread stays free), else here.
   */
  private async nearestOf(row: ImageRowLite, want: number): Promise<readonly { index: number; similarity: number }[]> {
    const { version, dir, student } = this.d.student.active();
    const stored = want <= NEAREST_KEPT ? new FactsStore(this.d.db, version, student.manifest.labels.length).get(row.sha256) : null;
    if (stored && stored.near.length >= want) return stored.near.slice(0, want);
    const dataBar = { y: row.databar_y, width: row.width };
    if (this.d.pool) return (await this.d.pool.facts({ versionDir: dir, path: row.path, dataBar, nearest: want })).near;
    const img = await readForStudent(row.path, dataBar, student.stem.config.maxSide);
    const ex = new StemExtractor(student.stem);
    try {
      return nearest(student.classifier, await ex.extract(img), want);
    } finally {
      await ex.close();
    }
  }

  /** Library images ranked by what a text describes (see searchText); empty when nothing is a good match. */
  async findByText(text: string, k: number): Promise<SimilarImage[]> {
    return (await this.searchText(text, k)).results;
  }

  /**
   * Find by text, grounded in the classifier (main/core/chat/find.ts): ranks the images the active version has
   * classified by the probability that they show the class the text means, from their stored predictions (no image
   * is encoded per query). `only`: restrict to these images (the benchmark's held-out set).
   */
  async searchText(text: string, k: number, only?: ReadonlySet<number>): Promise<TextSearchResult> {
    const caps = this.capabilities();
    if (!caps.findByText) throw new CoreError('not_supported', caps.note);
    const { version, student } = this.d.student.active();
    const L = student.manifest.labels;
    // Images the active version has not classified yet are classified once (a classify job, at most
    // TEXT_SEARCH_CLASSIFY per search), so their class probabilities are stored; queries then read only those.
    const toClassify = this.d.db
      .prepare(`SELECT id FROM images WHERE id NOT IN (SELECT image_id FROM labels WHERE source = 'student' AND source_ref = ?) ORDER BY id LIMIT ?`)
      .pluck()
      .all(studentRef(version), TEXT_SEARCH_CLASSIFY) as number[];
    if (toClassify.length > 0) await this.d.jobs.wait(this.d.student.startClassify({ imageIds: toClassify }).id);
    const rows = this.d.db
      .prepare(`SELECT count(*) FROM labels WHERE source = 'student' AND source_ref = ? AND decision_id IS NULL`)
      .pluck()
      .get(studentRef(version)) as number;
    if (!this.textIndex || this.textIndex.version !== version || this.textIndex.rows !== rows) {
      const ct = classTexts(this.d.db, L);
      this.textIndex = { version, rows, ct, threshold: learnMatchThreshold(this.d.db, ct), ix: buildPredictionIndex(this.d.db, version, L) };
    }
    const { ct, threshold, ix } = this.textIndex;
    const total = this.d.db.prepare(`SELECT count(*) FROM images`).pluck().get() as number;
    const tc = textToClasses(text, ct);
    const readAs = L.map((c, j) => ({ className: c, weight: tc.q[j] }))
      .filter((r) => r.weight >= 0.05)
      .sort((a, b) => b.weight - a.weight);
    const base = { match: tc.match, threshold, searched: ix.ids.length, notClassified: Math.max(0, total - ix.ids.length), modelVersion: version };
    const unclassified =
      base.notClassified > 0
        ? ` ${base.notClassified} image${base.notClassified === 1 ? ' is' : 's are'} not classified by v${version} yet and were not searched (run Classify).`
        : '';
    if (tc.match < threshold) {
      return {
        ...base,
        results: [],
        noGoodMatch: true,
        readAs: [],
        note: `No good match: "${text}" matches none of the classes (${L.map(displayName).join(', ')}) well enough (similarity ${tc.match.toFixed(2)} < ${threshold.toFixed(2)}).${unclassified}`,
      };
    }
    const ranked = rankIndex(ix, tc.q, k, only);
    const results = ranked.map(({ imageId, score }) => {
      const { path: _p, metadata: _m, labels: _l, ...image } = getImage(this.d.db, imageId);
      return { image, similarity: score, className: image.label?.className ?? null };
    });
    const noGoodMatch = results.length === 0;
    const weak = !noGoodMatch && results[0].similarity < 0.5;
    return {
      ...base,
      results,
      noGoodMatch,
      readAs,
      note: `${noGoodMatch ? 'No good match: no image was searched. ' : weak ? 'Weak matches only: no image is more likely than not to show it. ' : ''}Read as ${readAs
        .slice(0, 3)
        .map((r) => `${displayName(r.className)} (${Math.round(100 * r.weight)}%)`)
        .join(', ')}; score = the classifier's probability of that class (v${version}).${unclassified}`,
    };
  }

  capabilities(): StudentCapabilities {
    const v = activeVersion(this.d.db);
    if (!v) {
      return {
        activeVersion: null,
        classify: false,
        similar: false,
        answer: false,
        findByText: false,
        note: 'No active student model yet: train one in the Train view.',
      };
    }
    let language: boolean;
    try {
      language = (this.d.student.active().student.manifest as { language?: unknown }).language != null;
    } catch {
      language = false; // the active version's files cannot be read: it answers nothing
    }
    return {
      activeVersion: v.id,
      classify: true,
      similar: true,
      answer: language,
      findByText: language,
      note: language
        ? `The active model (v${v.id}) answers questions about an image, classifies it and finds similar images, on this PC.`
        : `The active model (v${v.id}) classifies images and finds similar ones, but cannot answer questions or search by text: it was trained without reviewed captions or Q&A pairs. Review some (or correct teacher answers) and train again; nothing is made up meanwhile. Ask the teacher instead where egress is on.`,
    };
  }

  // ---- chat ----

  listChat(imageId: number): ChatMessage[] {
    getImage(this.d.db, imageId);
    return (this.d.db.prepare(`SELECT * FROM chat_messages WHERE image_id = ? ORDER BY id`).all(imageId) as ChatRow[]).map(toChat);
  }

  private addMessage(m: Omit<ChatMessage, 'id' | 'createdAt' | 'grounding'> & { grounding?: AnswerGrounding | null }): ChatMessage {
    const id = Number(
      this.d.db
        .prepare(
          `INSERT INTO chat_messages (image_id, role, text, confidence, model_ref, reply_to, annotation_id, created_at, grounding_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(m.imageId, m.role, m.text, m.confidence, m.modelRef, m.replyTo, m.annotationId, nowIso(), m.grounding ? JSON.stringify(m.grounding) : null)
        .lastInsertRowid,
    );
    return toChat(this.d.db.prepare(`SELECT * FROM chat_messages WHERE id = ?`).get(id) as ChatRow);
  }

  /** The operator's question, saved before its answer (student or teacher) replies to it. */
  private addQuestion(imageId: number, text: string): ChatMessage {
    return this.addMessage({ imageId, role: 'user', text, confidence: null, modelRef: null, replyTo: null, annotationId: null });
  }

  private message(id: number): ChatMessage {
    const r = this.d.db.prepare(`SELECT * FROM chat_messages WHERE id = ?`).get(id) as ChatRow | undefined;
    if (!r) throw new CoreError('not_found', `No chat message ${id}.`);
    return toChat(r);
  }

  async ask(request: AskStudentRequest): Promise<StudentAnswer> {
    getImage(this.d.db, request.imageId);
    const caps = this.capabilities();
    if (!caps.answer) {
      // No student yet: sizes, counts, the calibration and the acquisition settings are still answered (measured or read, not learnt).
      const r =
        caps.activeVersion === null
          ? await askGrounded(this.d.db, request.imageId, request.question, { measurements: this.d.measurements, pool: this.d.pool })
          : null;
      if (r && (r.intent === 'measure' || r.intent === 'calibration' || (r.intent === 'acquisition' && !r.refused))) return this.saveAnswer(request, r);
      return { supported: false, answer: null, confidence: null, modelVersion: caps.activeVersion, note: caps.note, question: null, message: null };
    }
    const turns: Turn[] = [];
    if (request.history) {
      for (let i = 0; i + 1 < request.history.length; i++) {
        const [q, a] = [request.history[i], request.history[i + 1]];
        if (q.role === 'user' && a.role === 'student') turns.push({ question: q.text, answer: a.text });
      }
    } else {
      const saved = this.listChat(request.imageId);
      for (const a of saved) {
        if (a.role !== 'student' || a.replyTo == null) continue;
        const q = saved.find((m) => m.id === a.replyTo);
        if (q) turns.push({ question: q.text, answer: a.text });
      }
    }
    // Grounded answers (main/core/chat): intent + class slot, content from the classifier, numbers from the
    // calibration or a measurement. Single-turn by design, so earlier turns (`turns`) do not change them.
    void turns;
    return this.saveAnswer(request, await askGrounded(this.d.db, request.imageId, request.question, { measurements: this.d.measurements, pool: this.d.pool }));
  }

  /** Where chat answers take their sizes, counts and pitches from (the CLI asks with the same source). */
  get measurements(): MeasurementSource | undefined {
    return this.d.measurements;
  }

  private saveAnswer(request: AskStudentRequest, r: GroundedAnswer): StudentAnswer {
    const question = this.addQuestion(request.imageId, request.question);
    const modelRef = r.modelVersion === null ? null : `v${r.modelVersion}`;
    const grounding = groundingOf(r);
    const message = this.addMessage({
      imageId: request.imageId,
      role: 'student',
      text: r.text,
      confidence: r.confidence,
      modelRef,
      replyTo: question.id,
      annotationId: null,
      grounding,
    });
    return {
      supported: true,
      answer: r.text,
      confidence: r.confidence,
      modelVersion: r.modelVersion,
      note: r.refused ? r.reason : null,
      question,
      message,
      grounding,
    };
  }

  async askTeacher(request: ChatTeacherRequest): Promise<ChatMessage> {
    getImage(this.d.db, request.imageId);
    let questionId = request.replyTo ?? null;
    if (questionId !== null) {
      const q = this.message(questionId);
      if (q.imageId !== request.imageId || q.role !== 'user')
        throw new CoreError('invalid_arguments', `message ${questionId} is not a question about image ${request.imageId}`);
    }
    // Refused before anything is saved or sent while egress is off (the teacher checks it).
    const r = await this.d.teacherAsk({ imageId: request.imageId, question: request.question, streamId: request.streamId });
    if (questionId === null) questionId = this.addQuestion(request.imageId, request.question).id;
    return this.addMessage({
      imageId: request.imageId,
      role: 'teacher',
      text: r.answer,
      confidence: null,
      modelRef: r.model,
      replyTo: questionId,
      annotationId: null,
    });
  }

  correct(request: ChatCorrection): ChatMessage {
    const m = this.message(request.messageId);
    if (m.role !== 'student') throw new CoreError('invalid_arguments', `message ${m.id} is not a student answer`);
    const question = m.replyTo !== null ? this.message(m.replyTo).text : undefined;
    const decision = this.d.review.annotate({ imageId: m.imageId, kind: 'qa', question, answer: request.answer, reviewer: request.reviewer });
    const annotationId = decision.after.find((r) => r.table === 'annotations')?.id ?? null;
    return this.addMessage({
      imageId: m.imageId,
      role: 'correction',
      text: request.answer,
      confidence: null,
      modelRef: request.reviewer,
      replyTo: m.id,
      annotationId,
    });
  }
}

export function groundingOf(r: GroundedAnswer): AnswerGrounding {
  const e = r.evidence;
  return {
    intent: r.intent,
    intentProbability: r.intentProbability,
    refused: r.refused,
    reason: r.reason,
    offerTeacher: r.offerTeacher,
    className: r.className,
    yes: r.yes,
    prediction: e.prediction.map((p) => ({ ...p })),
    similar: e.similar.map((x) => ({ ...x })),
    measurement: e.measurement ? e.measurement.method : null,
    pixelSizeNm: e.pixelSizeNm,
    source: e.source,
  };
}
