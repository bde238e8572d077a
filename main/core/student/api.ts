// The student domain as the contract offers it: training jobs (worker thread, progress with loss/ETA/provider, cancel),
// model versions (detail, activate / roll back with their predictions, compare on the same images) and
// classification jobs that store student proposals and the facts the chat reads (chat/api.ts answers from them).
// Nothing here imports Electron or React.
import { availableParallelism } from 'node:os';
import { loadStudent, providersFromEnv, StemExtractor, type GreyImage, type LoadedStudent } from '../../../native-models/index.js';
import { hasMasks } from '../measure/train-segmenter.js';
import type {
  ClassifyFilesRequest,
  ClassifyRequest,
  ClassifyResult,
  JobInfo,
  ModelActivation,
  ModelComparison,
  ModelCalibration,
  ModelDataSnapshot,
  ModelEvaluation,
  ModelExportInfo,
  ModelMetrics,
  ModelVersionDetail,
  ModelVersionSummary,
  TrainingPlan,
  TrainingProgress,
  TrainPhase,
  TrainPoint,
  TrainProgressDetail,
  TrainRequest,
} from '../contract.js';
import { nowIso, type Db } from '../db/database.js';
import type { JobManager } from '../jobs/job-manager.js';
import { calibrate } from './calibration.js';
import { labeledImages, type LabeledImage } from './data.js';
import { startStudentTraining } from './job.js';
import { classifyPaths, evaluateFolder, PRESETS, readForStudent, score, TrainingCancelled } from './service.js';
import { argmaxRows, classifyAll, CLASSIFY_CHUNK } from './classify.js';
import { activateVersion, activeVersion, getVersion, listVersions, type ModelVersion } from './versions.js';
import { countCached } from './features.js';
import { versionStemHash } from './quick.js';
import type { EventHub } from '../util/events.js';
import { audit } from '../teacher/settings.js';
import { exportVersion, importVersion, ModelTransferError } from './transfer.js';
import { choosePlan, estimateEta, formatDuration, PRESET_NAMES } from './plan.js';
import { estimateFromRates, readRates, recordRun, sharesFromRates } from './rates.js';
import { CoreError } from '../errors.js';
import type { ErrorCode } from '../contract.js';
import type { InferencePool } from '../host/inference-pool.js';
import { FactsStore, factsOfFeatures, type ImageFacts } from './image-facts.js';

export class StudentApiError extends CoreError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/** labels.source_ref of a student prediction (the review code reads the version from it). */
export const studentRef = (version: number) => `student v${version}`;

/** Loss points kept per run in its jobs row (and each 'job' event): enough for the chart, small to send. */
const MAX_POINTS = 400;
/** Stored class rows per prediction: every class with at least this probability, and always the top two. */
const MIN_STORED_P = 0.01;
const MAX_COMPARE_IMAGES = 300;

export interface ImageRowLite {
  id: number;
  path: string;
  width: number;
  databar_y: number | null;
  sha256: string;
}

export interface StudentApiDeps {
  db: Db;
  dbPath: string;
  dataDir: string;
  jobs: JobManager;
  events: EventHub;
  /** Who acts, for the audit log ('app', 'cli'). */
  actor?: string;
  /** After a version becomes active, classify the images it has not classified yet, as a background job. */
  autoClassify?: boolean;
  /** Where classification runs its model work (absent: in this thread). */
  pool?: InferencePool;
  /**
   * After something that may change the segmenter in use or the active version (an activation, a finished training
   * run, an imported version): the core re-warms its pool and measures again in the background. Never throws.
   */
  onModelsChanged?: () => void;
  /** Lab-server confinement of links met inside an evaluated folder (CoreOptions.allowLinkTarget). */
  allowLinkTarget?: (realPath: string) => boolean;
}

export class StudentApi {
  private trainingJob: number | null = null;
  private cached: { version: number; dir: string; student: LoadedStudent } | null = null;

  constructor(private readonly d: StudentApiDeps) {}

  // ---- training ----

  plan(request: TrainRequest): TrainingPlan {
    const items = labeledImages(this.d.db);
    const classes: Record<string, number> = {};
    for (const it of items) classes[it.className] = (classes[it.className] ?? 0) + 1;
    const cores = availableParallelism();
    const provider = expectedProvider(this.d.db);
    // A quick update starts from the active version: its stem, and the features cached for it.
    const active = activeVersion(this.d.db);
    const stem = active?.dir ? versionStemHash(active) : null;
    const from =
      active && stem
        ? {
            from: active.id,
            cached: countCached(
              this.d.db,
              stem,
              items.map((i) => i.sha256),
            ),
            preset: (PRESET_NAMES as readonly string[]).includes(active.preset) ? active.preset : undefined,
          }
        : null;
    const quick = request.quick === true;
    const choice = choosePlan({
      images: items.length,
      classes: Object.keys(classes).length,
      cores,
      provider,
      preset: request.preset,
      minutes: request.minutes,
      quick: quick && from ? from : undefined,
    });
    // This machine's measured speed, once a run of this preset and mode has completed here.
    const rates = readRates(this.d.db, choice.preset, quick && !!from);
    if (rates) {
      choice.estimatedSeconds = estimateFromRates(rates, items.length);
      if (request.minutes === undefined) choice.minutes = Math.min(30, Math.max(1, Math.ceil((choice.estimatedSeconds * 2) / 60)));
      choice.reason = `${choice.reason.replace(/; about .*$/, '')}; about ${formatDuration(choice.estimatedSeconds)} from ${rates.runs} measured run${rates.runs === 1 ? '' : 's'} on this machine, limit ${choice.minutes} min`;
    } else {
      choice.reason = `${choice.reason} (from the built-in table: no run of this preset measured on this machine yet)`;
    }
    // A quick update over exactly the data the active version learned from would only copy it.
    const unchanged =
      quick && active && from
        ? sameData(active.dataSnapshot, items) &&
          // Reviewed texts (captions, Q&A pairs, chat corrections) are data too: any review decision since counts.
          this.d.db.prepare(`SELECT 1 FROM review_decisions WHERE at > ? LIMIT 1`).get(active.createdAt) === undefined
        : false;
    const n = Object.keys(classes).length;
    // Masks without 2 label classes: Train trains the particle segmenter alone (and says so in the outcome).
    const masksOnly = n < 2 && !quick && hasMasks(this.d.db);
    const blocked =
      n < 2 && !masksOnly
        ? `The student needs reviewed labels of at least 2 classes (found ${n} class${n === 1 ? '' : 'es'} in ${items.length} labelled images). Import a labelled folder or review teacher proposals first.`
        : this.trainingJob !== null
          ? `A training run is already going (job #${this.trainingJob}).`
          : quick && !from
            ? 'A quick update starts from the active version, and there is none: train once without it first.'
            : unchanged && active
              ? `Nothing new since v${active.id}: the same ${items.length} reviewed images with the same labels. A quick update would make an identical version, so none is made. Review or import more images, then update.`
              : null;
    return {
      ...choice,
      images: items.length,
      classes,
      provider,
      cores,
      presets: [...PRESET_NAMES],
      blocked,
      quick,
      quickFrom: from?.from ?? null,
      cachedImages: from?.cached ?? null,
    };
  }

  startTraining(request: TrainRequest): JobInfo {
    if (request.preset !== undefined && !PRESETS[request.preset]) {
      throw new StudentApiError('invalid_arguments', `unknown preset '${request.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
    }
    const plan = this.plan(request);
    if (plan.blocked) throw new StudentApiError('invalid_state', plan.blocked);
    const { dbPath, dataDir, jobs, events } = this.d;
    const info = jobs.start('train', { preset: plan.preset, minutes: plan.minutes, quick: plan.quick }, async (ctx) => {
      this.trainingJob = ctx.id;
      const t0 = performance.now();
      // The run's progress lives in its jobs row (ctx.progress), nowhere else: it survives a restart and every
      // window reads the same. `clock` is this run's own bookkeeping for the ETA.
      const state: TrainProgressDetail & { done: number; total: number } = {
        phase: null,
        done: 0,
        total: 0,
        elapsedS: 0,
        etaS: plan.estimatedSeconds,
        provider: plan.provider,
        preset: plan.preset,
        points: [],
      };
      const clock: { phaseStartS: number; finished: Partial<Record<TrainPhase, number>> } = { phaseStartS: 0, finished: {} };
      const curve = new ThinnedCurve(MAX_POINTS);
      const report = (message: string) => {
        const { done: _d, total: _t, ...detail } = state;
        ctx.progress(state.done, state.total, message, { ...detail, points: curve.points() });
      };
      const quick = plan.quick;
      const shares = sharesFromRates(readRates(this.d.db, plan.preset, quick));
      const run = startStudentTraining(dbPath, { dataDir, preset: plan.preset, minutes: plan.minutes, jobId: ctx.id, quick }, (p) => {
        const t = (performance.now() - t0) / 1000;
        if (p.phase !== state.phase) {
          if (state.phase) clock.finished[state.phase] = t - clock.phaseStartS;
          state.phase = p.phase;
          clock.phaseStartS = t;
        }
        state.done = p.done;
        state.total = p.total;
        state.elapsedS = t;
        state.etaS = estimateEta({
          phase: p.phase,
          done: p.done,
          total: p.total,
          elapsedS: t,
          phaseStartS: clock.phaseStartS,
          finished: clock.finished,
          estimatedS: plan.estimatedSeconds,
          quick,
          shares,
          limitS: plan.minutes * 60,
        });
        // The language half reports its steps under phase 'final' with part 'language' (a curve of its own).
        const part = (p as { part?: string }).part;
        if (p.loss !== undefined && (p.phase === 'head' || p.phase === 'final')) {
          curve.add({ t, phase: part === 'language' ? 'language' : p.phase, step: p.done, steps: p.total, loss: p.loss });
        }
        report(trainMessage(state, curve.last()));
      });
      ctx.signal.addEventListener('abort', () => run.cancel(), { once: true });
      try {
        const outcome = await run.result;
        state.provider = outcome.provider;
        state.etaS = 0;
        state.elapsedS = (performance.now() - t0) / 1000;
        if (state.phase) clock.finished[state.phase] = state.elapsedS - clock.phaseStartS;
        // A run cut short by its limit did less work than a full one: its speed would mislead the next estimate.
        if (outcome.status === 'completed' && state.elapsedS < plan.minutes * 60) recordRun(this.d.db, plan.preset, quick, plan.images, clock.finished);
        state.done = state.total;
        report(
          outcome.note
            ? `version ${outcome.modelVersion}: ${outcome.note}; ${outcome.segmenter?.note ?? ''}`
            : `version ${outcome.modelVersion}: validation accuracy ${pct(outcome.valAccuracy)} on ${outcome.provider}${outcome.activated ? ', now active' : ', not activated'}${outcome.segmenter ? `; ${outcome.segmenter.note}` : ''}`,
        );
        events.emit({ type: 'library-changed' });
        if (outcome.activated) this.classifyAfterActivation();
        // A new segmenter is in use even when the version is not activated (a segmenter-only run).
        this.modelsChanged();
        return { ...outcome, classes: [...outcome.classes] };
      } catch (e) {
        // A failed or cancelled run has no result (JobResults): its row keeps the error and the last progress.
        state.etaS = null;
        state.elapsedS = (performance.now() - t0) / 1000;
        report(e instanceof TrainingCancelled || ctx.signal.aborted ? 'cancelled' : `failed: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      } finally {
        this.trainingJob = null;
      }
    });
    return info;
  }

  /** A training job's progress, from its jobs row (the same after a restart, in any process that opens the file). */
  trainingProgress(jobId: number): TrainingProgress {
    const job = this.d.jobs.get(jobId);
    if (job.kind !== 'train') throw new StudentApiError('invalid_arguments', `job #${jobId} is not a training job`);
    const train = job.progress.train;
    const outcome = job.result;
    if (train) return { ...train, jobId, done: job.progress.done, total: job.progress.total ?? 0, outcome };
    // A row written by an Emma from before progress details were stored: what the row says.
    const params = (this.d.db.prepare(`SELECT params_json FROM jobs WHERE id = ?`).pluck().get(jobId) as string | undefined) ?? '{}';
    const p = JSON.parse(params) as { preset?: string };
    return {
      jobId,
      phase: null,
      done: job.progress.done,
      total: job.progress.total ?? 0,
      elapsedS: 0,
      etaS: null,
      provider: outcome?.provider ?? 'cpu',
      preset: p.preset ?? 'default',
      points: [],
      outcome,
    };
  }

  // ---- versions ----

  listVersions(): ModelVersionSummary[] {
    return listVersions(this.d.db).map(summary).reverse();
  }

  async version(id: number): Promise<ModelVersionDetail> {
    const v = this.mustVersion(id);
    const calibration = (v.metrics.calibration as ModelCalibration | undefined) ?? (await this.recalibrate(v));
    const snap = v.dataSnapshot as { images?: number; classes?: Record<string, number>; split?: string; train?: [number, number][]; val?: [number, number][] };
    const labelIds = [...(snap.train ?? []), ...(snap.val ?? [])].map(([, l]) => l);
    const sources: Record<string, number> = {};
    const rows = this.d.db
      .prepare(`SELECT source, source_ref, status, decision_id FROM labels WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(labelIds)) as { source: string; source_ref: string | null; status: string; decision_id: number | null }[];
    for (const r of rows) {
      const key = r.source === 'human' ? (r.source_ref === 'folder import' ? 'human (folder import)' : 'human (operator)') : `${r.source} (${r.status})`;
      sources[key] = (sources[key] ?? 0) + 1;
    }
    const missing = labelIds.length - rows.length;
    if (missing > 0) sources['(labels since deleted)'] = missing;
    const data: ModelDataSnapshot = {
      images: snap.images ?? labelIds.length,
      train: snap.train?.length ?? 0,
      val: snap.val?.length ?? 0,
      classes: snap.classes ?? {},
      sources,
      split: snap.split ?? '',
      importedFrom: typeof v.dataSnapshot.importedFrom === 'string' ? v.dataSnapshot.importedFrom : null,
    };
    const m = v.metrics as { val?: ModelMetrics; headSteps?: number };
    const metrics: ModelMetrics | null = m.val
      ? { n: m.val.n, accuracy: m.val.accuracy, macroF1: m.val.macroF1, perClass: m.val.perClass, confusion: m.val.confusion, labels: [...m.val.labels] }
      : null;
    return {
      ...summary(v),
      data,
      hyperparams: v.hyperparams,
      metrics,
      headSteps: m.headSteps ?? null,
      calibration,
      dir: v.dir,
      onnxPath: v.onnxPath,
      predictions: this.newestPredictionCounts().get(studentRef(v.id)) ?? 0,
    };
  }

  /**
   * Versions trained before calibration was recorded: the shipped model on the version's validation images, now
   * (10 bins), stored with the metrics so that it is computed once. Null without validation images or files.
   */
  private async recalibrate(v: ModelVersion): Promise<ModelCalibration | null> {
    const val = (v.dataSnapshot.val as [number, number][] | undefined) ?? [];
    if (v.status !== 'completed' || !v.dir || val.length === 0) return null;
    const rows = this.d.db
      .prepare(
        `SELECT i.path, i.width, i.databar_y, c.name FROM json_each(?) j JOIN labels l ON l.id = json_extract(j.value, '$[1]')
           JOIN images i ON i.id = l.image_id JOIN classes c ON c.id = l.class_id`,
      )
      .all(JSON.stringify(val)) as { path: string; width: number; databar_y: number | null; name: string }[];
    try {
      const s = loadStudent(v.dir);
      const L = s.manifest.labels;
      const items = rows.filter((r) => L.includes(r.name));
      if (items.length === 0) return null;
      const probs = await classifyAll(s, items, (r, maxSide) => readForStudent(r.path, { y: r.databar_y, width: r.width }, maxSide), {
        describe: (r) => r.path,
      });
      const cal: ModelCalibration = {
        ...calibrate(
          probs,
          items.map((r) => L.indexOf(r.name)),
          L.length,
          10,
        ),
        source: 'recomputed',
      };
      this.d.db
        .prepare(`UPDATE model_versions SET metrics_json = json_set(metrics_json, '$.calibration', json(?)) WHERE id = ?`)
        .run(JSON.stringify(cal), v.id);
      return cal;
    } catch {
      return null;
    }
  }

  /** Images per model version whose newest student prediction it made. */
  private newestPredictionCounts(): Map<string, number> {
    const rows = this.d.db
      .prepare(
        `SELECT ref, count(*) AS n FROM (SELECT image_id, source_ref AS ref, max(id) FROM labels WHERE source = 'student' AND decision_id IS NULL GROUP BY image_id) GROUP BY ref`,
      )
      .all() as { ref: string | null; n: number }[];
    return new Map(rows.map((r) => [r.ref ?? '', r.n]));
  }

  activate(id: number): ModelActivation {
    const v = this.mustVersion(id);
    if (v.status !== 'completed') throw new StudentApiError('invalid_state', `model version ${id} is ${v.status}; only a completed version can be active`);
    if (v.hyperparams.mode === 'segmenter') {
      throw new StudentApiError(
        'invalid_state',
        `model version ${id} holds only the particle segmenter (no classifier); measurement uses it without activation`,
      );
    }
    const db = this.d.db;
    const previous = activeVersion(db)?.id ?? null;
    const ref = studentRef(id);
    let restored = 0;
    db.transaction(() => {
      activateVersion(db, id);
      // Images whose newest prediction is another version's, and which this version classified: show its prediction again
      // (copied as new rows: labels are append-only; the copy keeps the version and the probabilities).
      const images = db
        .prepare(
          `SELECT n.image_id FROM (SELECT image_id, source_ref, max(id) FROM labels WHERE source = 'student' AND decision_id IS NULL GROUP BY image_id) n
           WHERE coalesce(n.source_ref, '') != ? AND EXISTS (SELECT 1 FROM labels l WHERE l.image_id = n.image_id AND l.source = 'student' AND l.source_ref = ? AND l.decision_id IS NULL)`,
        )
        .pluck()
        .all(ref, ref) as number[];
      const rowsOf = db.prepare(
        `SELECT class_id, confidence FROM labels WHERE image_id = ? AND source = 'student' AND source_ref = ? AND decision_id IS NULL
           AND created_at = (SELECT max(created_at) FROM labels WHERE image_id = ? AND source = 'student' AND source_ref = ? AND decision_id IS NULL)
         ORDER BY coalesce(confidence, 0), id`,
      );
      const insert = db.prepare(
        `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at) VALUES (?, ?, 'student', ?, 'proposed', ?, ?)`,
      );
      const now = nowIso();
      for (const img of images) {
        for (const r of rowsOf.all(img, ref, img, ref) as { class_id: number; confidence: number | null }[])
          insert.run(img, r.class_id, ref, r.confidence, now);
        restored++;
      }
    })();
    this.cached = null;
    const other = [...this.newestPredictionCounts()].filter(([r]) => r !== ref).reduce((s, [, n]) => s + n, 0);
    this.d.events.emit({ type: 'library-changed' });
    this.classifyAfterActivation();
    this.modelsChanged();
    return { active: summary(this.mustVersion(id)), previous, restoredPredictions: restored, otherPredictions: other };
  }

  async compare(a: number, b: number): Promise<ModelComparison> {
    const va = this.mustVersion(a);
    const vb = this.mustVersion(b);
    for (const v of [va, vb])
      if (v.status !== 'completed' || !v.dir) throw new StudentApiError('invalid_state', `model version ${v.id} is ${v.status}: nothing to compare`);
    const seen = new Set<number>();
    const valIds = (v: ModelVersion) => ((v.dataSnapshot.val as [number, number][] | undefined) ?? []).map(([img]) => img);
    for (const v of [va, vb])
      for (const key of ['train', 'val']) for (const [img] of (v.dataSnapshot[key] as [number, number][] | undefined) ?? []) seen.add(img);
    const fresh = labeledImages(this.d.db).filter((it) => !seen.has(it.imageId) && va.labels.includes(it.className) && vb.labels.includes(it.className));
    const recall = (v: ModelVersion, c: string) => (v.metrics.val as ModelMetrics | undefined)?.perClass[c]?.recall ?? null;
    const classes = [...new Set([...va.labels, ...vb.labels])].sort();
    if (fresh.length >= 5) {
      const sample = fresh.slice(0, MAX_COMPARE_IMAGES);
      const pa = await this.predictWith(va, sample);
      const pb = await this.predictWith(vb, sample);
      const labels = [...new Set([...classes, ...sample.map((s) => s.className)])].sort();
      const idx = new Map(labels.map((l, i) => [l, i]));
      const truth = sample.map((s) => idx.get(s.className)!);
      const sa = score(
        truth,
        pa.map((p) => idx.get(p)!),
        labels,
      );
      const sb = score(
        truth,
        pb.map((p) => idx.get(p)!),
        labels,
      );
      const agreement = { both: 0, onlyA: 0, onlyB: 0, neither: 0 };
      const disagreements: ModelComparison['disagreements'] = [];
      sample.forEach((s, i) => {
        const okA = pa[i] === s.className;
        const okB = pb[i] === s.className;
        if (okA && okB) agreement.both++;
        else if (okA) agreement.onlyA++;
        else if (okB) agreement.onlyB++;
        else agreement.neither++;
        if (pa[i] !== pb[i] && disagreements.length < 50) disagreements.push({ imageId: s.imageId, truth: s.className, a: pa[i], b: pb[i] });
      });
      return {
        a,
        b,
        basis: 'held-out',
        n: sample.length,
        note: `Scored now on ${sample.length} reviewed image${sample.length === 1 ? '' : 's'} that neither version trained on${fresh.length > sample.length ? ` (first ${sample.length} of ${fresh.length})` : ''}.`,
        accuracy: { a: sa.accuracy, b: sb.accuracy },
        macroF1: { a: sa.macroF1, b: sb.macroF1 },
        perClassRecall: labels.map((c) => ({
          className: c,
          a: sa.perClass[c]?.n ? sa.perClass[c].recall : null,
          b: sb.perClass[c]?.n ? sb.perClass[c].recall : null,
        })),
        agreement,
        disagreements,
      };
    }
    const same = sameSet(valIds(va), valIds(vb)) && valIds(va).length > 0;
    const acc = (v: ModelVersion) => (typeof v.metrics.valAccuracy === 'number' ? v.metrics.valAccuracy : null);
    const f1 = (v: ModelVersion) => (typeof v.metrics.valMacroF1 === 'number' ? v.metrics.valMacroF1 : null);
    return {
      a,
      b,
      basis: same ? 'same-split' : 'recorded',
      n: same ? valIds(va).length : null,
      note: same
        ? `Both versions were validated on the same ${valIds(va).length} held-out images (their split runs); no reviewed image is new to both, so nothing is scored again.`
        : `Not comparable on the same images: v${a} was validated on ${valIds(va).length} images, v${b} on ${valIds(vb).length}, and only ${fresh.length} reviewed image${fresh.length === 1 ? ' is' : 's are'} new to both (5 needed). The figures are each version's own validation.`,
      accuracy: { a: acc(va), b: acc(vb) },
      macroF1: { a: f1(va), b: f1(vb) },
      perClassRecall: classes.map((c) => ({ className: c, a: recall(va, c), b: recall(vb, c) })),
      agreement: null,
      disagreements: [],
    };
  }

  exportVersion(id: number, outDir: string): ModelExportInfo {
    const r = transferred(() => exportVersion(this.d.db, id, outDir));
    audit(this.d.db, this.d.actor ?? 'app', 'model.export', { version: id, dir: r.dir, files: r.files, bytes: r.bytes });
    return r;
  }

  async importVersion(dir: string): Promise<ModelVersionSummary> {
    try {
      const id = await importVersion(this.d.db, this.d.dataDir, dir);
      audit(this.d.db, this.d.actor ?? 'app', 'model.import', { version: id, from: dir });
      this.modelsChanged(); // an imported segmenter-only version measures from now on
      this.d.events.emit({ type: 'library-changed' });
      return summary(this.mustVersion(id));
    } catch (e) {
      audit(this.d.db, this.d.actor ?? 'app', 'model.import.refused', { from: dir, reason: e instanceof Error ? e.message : String(e) });
      throw e instanceof ModelTransferError ? new StudentApiError(e.code, e.message) : e;
    }
  }

  private async predictWith(v: ModelVersion, items: readonly LabeledImage[]): Promise<string[]> {
    const s = loadStudent(v.dir!);
    const L = s.manifest.labels;
    const probs = await classifyAll(s, items, (it, maxSide) => readForStudent(it.path, { y: it.databarY, width: it.width }, maxSide), {
      describe: (it) => it.path,
    });
    return argmaxRows(probs, L.length, items.length).map((j) => L[j]);
  }

  private mustVersion(id: number): ModelVersion {
    const v = getVersion(this.d.db, id);
    if (!v) throw new StudentApiError('not_found', `No model version ${id}.`);
    return v;
  }

  /** The active version, loaded once per activation (the chat answers with the same one). */
  active(): { version: number; dir: string; student: LoadedStudent } {
    const v = activeVersion(this.d.db);
    if (!v || !v.dir) throw new StudentApiError('invalid_state', 'No active student model yet: train one in the Train view (or `emma train`).');
    if (this.cached?.version !== v.id) this.cached = { version: v.id, dir: v.dir, student: loadStudent(v.dir) };
    return this.cached;
  }

  // ---- classification and search ----

  /**
   * The queue, the grid and the chat need the active version's predictions: classify what it has not classified
   * (new or changed images; the job skips the rest) in the background, after an activation or an import (app and
   * server only: `autoClassify`). Never fails what triggered it.
   */
  classifyPending(): void {
    this.classifyAfterActivation();
  }

  private modelsChanged(): void {
    try {
      this.d.onModelsChanged?.();
    } catch {
      // background work only: never fails the activation or the run that triggered it
    }
  }

  private classifyAfterActivation(): void {
    if (!this.d.autoClassify) return;
    try {
      // A classification under way here or in another live process covers the library; a dead process's job does not.
      const running = this.d.jobs.runningOf(['classify']).length + this.d.jobs.runningElsewhere(['classify']).length > 0;
      if (!running) this.startClassify({});
    } catch {
      // No loadable active version: the Train view says so; nothing to classify with.
    }
  }

  startClassify(request: ClassifyRequest): JobInfo {
    const { version, dir, student } = this.active();
    const { db, events } = this.d;
    const store = new FactsStore(db, version, student.manifest.labels.length);
    const ref = studentRef(version);
    return this.d.jobs.start('classify', { ...request, modelVersion: version }, async (ctx) => {
      const all = request.imageIds
        ? (db
            .prepare(`SELECT id, path, width, databar_y, sha256 FROM images WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`)
            .all(JSON.stringify(request.imageIds)) as ImageRowLite[])
        : (db.prepare(`SELECT id, path, width, databar_y, sha256 FROM images ORDER BY id`).all() as ImageRowLite[]);
      const newest = db
        .prepare(`SELECT source_ref FROM labels WHERE image_id = ? AND source = 'student' AND decision_id IS NULL ORDER BY id DESC LIMIT 1`)
        .pluck();
      const todo = request.force ? all : all.filter((r) => newest.get(r.id) !== ref);
      const result: ClassifyResult = { modelVersion: version, classified: 0, skipped: all.length - todo.length, failed: [], classes: {}, cancelled: false };
      const L = student.manifest.labels;
      const classIds = L.map((name) => classId(db, name));
      const insert = db.prepare(
        `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at) VALUES (?, ?, 'student', ?, 'proposed', ?, ?)`,
      );
      ctx.progress(
        0,
        todo.length,
        `classifying ${todo.length} image${todo.length === 1 ? '' : 's'} with v${version}${result.skipped ? ` (${result.skipped} already done by it)` : ''}`,
      );
      let lastEmit = Date.now();
      for (let k = 0; k < todo.length; k += CLASSIFY_CHUNK) {
        if (ctx.signal.aborted) {
          result.cancelled = true;
          break;
        }
        const chunk = todo.slice(k, k + CLASSIFY_CHUNK);
        const ok = await this.chunkFacts(student, dir, chunk, store, (row, e) =>
          result.failed.push({ imageId: row.id, error: e instanceof Error ? e.message : String(e) }),
        );
        if (ok.length) {
          const probs = new Float32Array(ok.length * L.length);
          ok.forEach((o, i) => probs.set(o.facts.probs, i * L.length));
          const now = nowIso();
          db.transaction(() => {
            ok.forEach(({ row }, i) => {
              const p = Array.from(probs.subarray(i * L.length, (i + 1) * L.length));
              const order = p.map((x, j) => j).sort((x, y) => p[y] - p[x]);
              const keep = order.filter((j, rank) => rank < 2 || p[j] >= MIN_STORED_P);
              // Lowest first, so the newest row of the image is its top class (what the grid and the review show).
              for (const j of [...keep].reverse()) insert.run(row.id, classIds[j], ref, p[j], now);
              result.classes[L[order[0]]] = (result.classes[L[order[0]]] ?? 0) + 1;
              result.classified++;
            });
          })();
        }
        ctx.progress(Math.min(todo.length, k + chunk.length), todo.length, `classified ${result.classified} of ${todo.length} with v${version}`);
        if (Date.now() - lastEmit > 1500) {
          lastEmit = Date.now();
          events.emit({ type: 'library-changed' });
        }
        await yieldThread();
      }
      events.emit({ type: 'library-changed' });
      return result;
    });
  }

  /** Image files classified as a job (`emma classify`); the result lists them in order, nothing is stored. */
  startClassifyFiles(request: ClassifyFilesRequest): JobInfo {
    const version = this.activeId();
    return this.d.jobs.start('classify', { files: request.paths.length, modelVersion: version }, async (ctx) => {
      ctx.progress(0, request.paths.length, `classifying ${request.paths.length} file${request.paths.length === 1 ? '' : 's'} with v${version}`);
      const r = await classifyPaths(this.d.db, request.paths, {
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total, `classified ${done} of ${total} with v${version}`),
      });
      const classes: Record<string, number> = {};
      for (const x of r.results) classes[x.label] = (classes[x.label] ?? 0) + 1;
      return {
        modelVersion: r.modelVersion,
        classified: r.results.length,
        skipped: 0,
        failed: [],
        classes,
        cancelled: false,
        files: r.results.map((x) => ({ ...x })),
      };
    });
  }

  /** The active version scored on `<dir>/<class>/<image>` as a job (`emma eval`). */
  startEvaluation(dir: string): JobInfo {
    const version = this.activeId();
    return this.d.jobs.start('classify', { evaluate: dir, modelVersion: version }, async (ctx) => {
      const e = await evaluateFolder(this.d.db, dir, {
        allowLinkTarget: this.d.allowLinkTarget,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total, `evaluated ${done} of ${total} with v${version}`),
      });
      const evaluation: ModelEvaluation = { ...e, labels: [...e.labels] };
      return { modelVersion: e.modelVersion, classified: e.n, skipped: 0, failed: [], classes: {}, cancelled: false, evaluation };
    });
  }

  /** The active version's id, or the command line's words for why there is none. */
  activeId(): number {
    const v = activeVersion(this.d.db);
    if (!v || !v.dir) throw new StudentApiError('invalid_state', 'no active student model: run `emma train` first');
    return v.id;
  }

  /**
   * Facts (probabilities, nearest memory rows) of a chunk of images: stored ones as they are, the rest in the
   * inference pool (every image of the chunk at once, the core's thread free) or, without a pool, here in one batch.
   * Unreadable images are reported through `failed` and left out.
   */
  private async chunkFacts(
    student: LoadedStudent,
    dir: string | null,
    all: readonly ImageRowLite[],
    store: FactsStore,
    failed: (row: ImageRowLite, e: unknown) => void,
  ): Promise<{ row: ImageRowLite; facts: ImageFacts }[]> {
    const stored: { row: ImageRowLite; facts: ImageFacts }[] = [];
    const rows: ImageRowLite[] = [];
    for (const row of all) {
      const f = store.get(row.sha256);
      if (f) stored.push({ row, facts: f });
      else rows.push(row);
    }
    const computed = await this.computeFacts(student, dir, rows, failed);
    // The chat reads the same numbers later (image-facts.ts): its answers cannot disagree with the grid.
    try {
      store.put(computed.map((o) => [o.row.sha256, o.facts] as const));
    } catch {
      // A cache: failing to keep the facts only costs the chat a recomputation.
    }
    return [...stored, ...computed];
  }

  private async computeFacts(
    student: LoadedStudent,
    dir: string | null,
    rows: readonly ImageRowLite[],
    failed: (row: ImageRowLite, e: unknown) => void,
  ): Promise<{ row: ImageRowLite; facts: ImageFacts }[]> {
    const pool = this.d.pool;
    const maxSide = student.stem.config.maxSide;
    if (pool && dir) {
      const got = await Promise.all(
        rows.map((row) =>
          pool.facts({ versionDir: dir, path: row.path, dataBar: { y: row.databar_y, width: row.width } }, 'batch').then(
            (facts) => ({ row, facts }),
            (e: unknown) => (failed(row, e), null),
          ),
        ),
      );
      return got.filter((g): g is { row: ImageRowLite; facts: ImageFacts } => g !== null);
    }
    const ok: { row: ImageRowLite; img: GreyImage }[] = [];
    for (const row of rows) {
      try {
        ok.push({ row, img: await readForStudent(row.path, { y: row.databar_y, width: row.width }, maxSide) });
      } catch (e) {
        failed(row, e);
      }
    }
    if (!ok.length) return [];
    const ex = new StemExtractor(student.stem);
    try {
      const facts = await factsOfFeatures(student, await ex.extractAll(ok.map((o) => o.img)), ok.length);
      return ok.map((o, i) => ({ row: o.row, facts: facts[i] }));
    } finally {
      await ex.close();
    }
  }
}

function transferred<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof ModelTransferError ? new StudentApiError(e.code, e.message) : e;
  }
}

function summary(v: ModelVersion): ModelVersionSummary {
  const acc = v.metrics.valAccuracy;
  const f1 = v.metrics.valMacroF1;
  return {
    id: v.id,
    parentId: v.parentId,
    status: v.status,
    active: v.active,
    preset: v.preset,
    mode: v.hyperparams.mode === 'quick' ? 'quick' : 'full',
    classes: v.labels,
    images: typeof v.dataSnapshot.images === 'number' ? v.dataSnapshot.images : null,
    valAccuracy: typeof acc === 'number' ? acc : null,
    valMacroF1: typeof f1 === 'number' ? f1 : null,
    provider: v.provider,
    durationS: v.durationS,
    error: v.error,
    createdAt: v.createdAt,
    finishedAt: v.finishedAt,
  };
}

function expectedProvider(db: Db): string {
  let env: string[] | undefined;
  try {
    env = providersFromEnv();
  } catch {
    env = undefined;
  }
  if (env?.length) return env[0];
  const last = listVersions(db)
    .filter((v) => v.status === 'completed' && v.provider)
    .at(-1);
  return last?.provider ?? 'cpu';
}

function classId(db: Db, name: string): number {
  const id = db.prepare(`SELECT id FROM classes WHERE name = ?`).pluck().get(name) as number | undefined;
  if (id !== undefined) return id;
  return Number(db.prepare(`INSERT INTO classes (name, created_at) VALUES (?, ?)`).run(name, nowIso()).lastInsertRowid);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

function trainMessage(s: Pick<TrainProgressDetail, 'phase' | 'etaS' | 'provider'> & { done: number; total: number }, loss: TrainPoint | undefined): string {
  const parts = [`${s.phase ?? 'starting'} ${s.done}/${s.total}`];
  if (loss && (s.phase === 'head' || s.phase === 'final')) parts.push(`loss ${loss.loss.toFixed(3)}`);
  if (s.etaS !== null) parts.push(`ETA ${Math.round(s.etaS)} s`);
  parts.push(s.provider);
  return parts.join(' · ');
}

/**
 * A loss curve of at most `max` points over the whole run: when full, every other point goes and only every
 * 2nd (then 4th...) new one is kept, so the curve keeps its start and shape and the jobs row stays small.
 */
class ThinnedCurve {
  private readonly kept: TrainPoint[] = [];
  private stride = 1;
  private seen = 0;
  private newest: TrainPoint | undefined;

  constructor(private readonly max: number) {}

  add(p: TrainPoint): void {
    this.newest = p;
    if (this.seen++ % this.stride !== 0) return;
    this.kept.push(p);
    if (this.kept.length > this.max) {
      const half = this.kept.filter((_, i) => i % 2 === 0);
      this.kept.splice(0, this.kept.length, ...half);
      this.stride *= 2;
    }
  }

  last(): TrainPoint | undefined {
    return this.newest;
  }

  /** The kept points, and always the newest one (the chart's last loss is the current one). */
  points(): TrainPoint[] {
    const out = [...this.kept];
    if (this.newest && out.at(-1) !== this.newest) out.push(this.newest);
    return out;
  }
}

/** Whether the reviewed images and their labels are exactly those a version was trained on (its data snapshot). */
function sameData(snapshot: Record<string, unknown>, items: readonly { imageId: number; labelId: number }[]): boolean {
  const snap = snapshot as { train?: [number, number][]; val?: [number, number][] };
  const had = [...(snap.train ?? []), ...(snap.val ?? [])];
  if (had.length === 0 || had.length !== items.length) return false;
  const keys = new Set(had.map(([img, label]) => `${img}:${label}`));
  return items.every((i) => keys.has(`${i.imageId}:${i.labelId}`));
}

const yieldThread = () => new Promise<void>((resolve) => setImmediate(resolve));
