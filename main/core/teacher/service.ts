// The teacher as one service that the API (and the CLI) drives: settings and the egress switch, the key provider,
// test connection, taxonomy and templates, batch runs as jobs, interactive streamed questions, and the records.
import sharp from 'sharp';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { JobInfo } from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { EventHub } from '../util/events.js';
import { calibrationText, extractJson } from './answer.js';
import { TeacherCallError, endpointHost } from './client.js';
import { KeyStoreUnavailableError, type TeacherKeyProvider } from './keys.js';
import { prepareImage } from './prepare.js';
import { loadImage, round6, runBatch } from './runner.js';
import { RunStopError, TeacherSession } from './session.js';
/** A connection test waits at most this long for a rate limit to pass before it reports "unknown". */
const PROBE_MAX_WAIT_MS = 30_000;
import { backoffMs, sleep } from './util.js';
import { audit, DEFAULT_CONFIG, readCapabilities, readConfig, readEgress, withOverrides, writeCapabilities, writeConfig, writeEgress } from './settings.js';
import { applyTaxonomySet, BUILTIN_TAXONOMIES, listTaxonomy, renameClass, resolveTaxonomy, upsertClass } from './taxonomy.js';
import { getTemplate, listTemplates, saveTemplate, templateRef } from './templates.js';
import type {
  TaxonomyClass,
  TaxonomySet,
  TeacherAskRequest,
  TeacherAskResult,
  TeacherAuditEntry,
  TeacherCapabilities,
  TeacherConfig,
  TeacherConfigPatch,
  TeacherOutput,
  TeacherOutputQuery,
  TeacherRunRequest,
  TeacherRunResult,
  TeacherRunSummary,
  TeacherSettings,
  TeacherStreamEvent,
  TeacherTemplate,
  TeacherTemplateDraft,
} from './types.js';
import { canonicalJson, sha256Hex } from './util.js';
import { STALE_MS } from '../jobs/owners.js';
import { priceFor } from './pricing.js';
import { CoreError } from '../errors.js';

export class EgressDisabledError extends CoreError<'egress_disabled'> {
  constructor() {
    super(
      'egress_disabled',
      'Teacher egress is off for this project, so no image or request may leave this PC. ' +
        'A lab lead can switch it on in the teacher settings (or with `emma teacher egress on`); nothing was sent.',
    );
  }
}

export class TeacherSetupError extends CoreError<'teacher_setup'> {
  constructor(message: string) {
    super('teacher_setup', message);
  }
}

export class TeacherBusyError extends CoreError<'teacher_busy'> {
  constructor(message: string) {
    super('teacher_busy', message);
  }
}

export class NotFoundError extends CoreError<'not_found'> {
  constructor(message: string) {
    super('not_found', message);
  }
}

export interface TeacherServiceOptions {
  db: Db;
  jobs: JobManager;
  events: EventHub;
  keyProvider: TeacherKeyProvider;
  /** Who acts, for the audit log ('app', 'cli', an operator name). */
  actor?: string;
  /** After a cancel, requests in flight may finish for this long (they are paid for) before being aborted. */
  cancelGraceMs?: number;
  random?: () => number;
  /** First retry delay of the exponential backoff (doubling, with full jitter, up to 30 s). */
  backoffBaseMs?: number;
}

/** Configuration overrides for one call (CLI flags, env); never stored. */
export type TeacherOverrides = TeacherConfigPatch;

interface RunRow {
  id: number;
  job_id: number | null;
  config_key: string;
  template_id: number;
  provider: TeacherConfig['provider'];
  endpoint_host: string;
  model: string;
  config_json: string;
  selection_json: string;
  state: TeacherRunSummary['state'];
  stop_detail: string | null;
  budget_usd: number | null;
  budget_tokens: number | null;
  /** Migration 010; null for runs started before it. */
  planned_images: number | null;
  created_at: string;
  updated_at: string;
}

export class TeacherService {
  private readonly db: Db;
  private readonly jobs: JobManager;
  private readonly events: EventHub;
  private readonly keys: TeacherKeyProvider;
  private readonly actor: string;
  private readonly cancelGraceMs: number;
  private readonly random: () => number;
  private readonly backoffBaseMs: number;
  /** Configurations with a batch in progress: a second one would pay twice for the same images. */
  private readonly busy = new Set<string>();

  constructor(o: TeacherServiceOptions) {
    this.db = o.db;
    this.jobs = o.jobs;
    this.events = o.events;
    this.keys = o.keyProvider;
    this.actor = o.actor ?? 'app';
    this.cancelGraceMs = o.cancelGraceMs ?? 5000;
    this.random = o.random ?? Math.random;
    this.backoffBaseMs = o.backoffBaseMs ?? 500;
    // A run whose job is no longer live (its process died: the job was marked interrupted) is not going now. A run
    // of another live process keeps going; one not yet tied to a job is judged by its age (see jobs/owners.ts).
    this.db
      .prepare(
        `UPDATE teacher_runs SET state = 'failed', stop_detail = 'interrupted: Emma stopped during this run; resume it'
       WHERE state = 'running' AND CASE WHEN job_id IS NULL THEN updated_at < ?
         ELSE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = teacher_runs.job_id AND j.state IN ('queued', 'running')) END`,
      )
      .run(new Date(Date.now() - STALE_MS).toISOString());
  }

  // ---- settings, key, egress ----

  async getSettings(overrides: TeacherOverrides = {}): Promise<TeacherSettings> {
    const config = withOverrides(readConfig(this.db), overrides);
    let keyConfigured: boolean;
    try {
      keyConfigured = (await this.keys.getKey()) !== null;
    } catch {
      keyConfigured = false;
    }
    return {
      config,
      egress: readEgress(this.db),
      keyConfigured,
      keySource: this.keys.describe(),
      capabilities: readCapabilities(this.db, endpointHost(config), config.model),
    };
  }

  async updateConfig(patch: TeacherConfigPatch): Promise<TeacherSettings> {
    if (patch.classNames) resolveTaxonomy(this.db, patch.classNames);
    if (patch.templateName) getTemplate(this.db, patch.templateName, patch.templateVersion ?? null);
    writeConfig(this.db, patch, this.actor);
    return this.getSettings();
  }

  /** `person`: who switched it (recorded as the actor); the binding it came through is kept beside it. */
  async setEgress(enabled: boolean, person?: string): Promise<TeacherSettings> {
    const who = person?.trim();
    writeEgress(this.db, enabled, who || this.actor, who ? { via: this.actor } : {});
    return this.getSettings();
  }

  async setApiKey(key: string | null): Promise<TeacherSettings> {
    if (!this.keys.setKey) throw new KeyStoreUnavailableError('this mode cannot store an API key safely: set OPENAI_API_KEY or use a key file');
    await this.keys.setKey(key);
    audit(this.db, this.actor, key ? 'teacher.key.set' : 'teacher.key.cleared', { source: this.keys.describe() });
    return this.getSettings();
  }

  private requireEgress(): void {
    if (!readEgress(this.db).enabled) throw new EgressDisabledError();
  }

  private async openSession(config: TeacherConfig): Promise<TeacherSession> {
    this.requireEgress();
    let key: string | null;
    try {
      key = await this.keys.getKey();
    } catch (e) {
      throw new TeacherSetupError((e as Error).message);
    }
    if (!key) {
      throw new TeacherSetupError(
        `no API key for the teacher (${this.keys.describe()}): set OPENAI_API_KEY, pass --api-key-file, or enter a key in the settings`,
      );
    }
    try {
      return new TeacherSession(this.db, config, key, this.actor, this.random, this.backoffBaseMs);
    } catch (e) {
      throw new TeacherSetupError(e instanceof TeacherCallError ? e.message : String((e as Error).message));
    }
  }

  // ---- test connection ----

  /** Probes reachability, image input, json_schema, json_object and streaming with tiny synthetic requests. */
  async testConnection(overrides: TeacherOverrides = {}): Promise<TeacherCapabilities> {
    const config = withOverrides(readConfig(this.db), overrides);
    const session = await this.openSession({ ...config, maxAttempts: 2, requestTimeoutMs: Math.min(config.requestTimeoutMs, 60_000) });
    const notes: string[] = [];
    const ctx = { purpose: 'probe' as const, runId: null, image: null, maxAttempts: 2 };
    const caps: TeacherCapabilities = {
      endpoint: session.endpoint,
      model: config.model,
      reachable: false,
      vision: null,
      jsonSchema: null,
      jsonObject: null,
      streaming: null,
      notes,
      probedAt: nowIso(),
    };
    const fail = (what: string, e: unknown) => {
      const msg = e instanceof TeacherCallError || e instanceof RunStopError ? e.message : session.scrub(String((e as Error)?.message ?? e));
      notes.push(`${what}: ${msg}`);
    };
    try {
      const r = await session.request([{ role: 'user', content: 'Reply with the single word OK.' }], ctx, { structured: false, maxTokens: 10 });
      caps.reachable = true;
      notes.push(`text: answered ${JSON.stringify(r.content.slice(0, 40))}`);
    } catch (e) {
      fail('text', e);
      writeCapabilities(this.db, caps);
      audit(this.db, this.actor, 'teacher.test', { endpoint: caps.endpoint, model: caps.model, reachable: false });
      return caps;
    }
    // Vision: left half white, right half black; a model that sees answers "left".
    try {
      const half = Buffer.alloc(64 * 64);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) half[y * 64 + x] = 255;
      const png = await sharp(half, { raw: { width: 64, height: 64, channels: 1 } })
        .png()
        .toBuffer();
      const r = await session.request(
        [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Which half of this image is white, left or right? Reply with one word.' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}`, detail: 'low' } },
            ],
          },
        ],
        ctx,
        { structured: false, maxTokens: 10 },
      );
      caps.vision = true;
      notes.push(
        /left/i.test(r.content)
          ? 'vision: image accepted and seen correctly'
          : `vision: image accepted, but the answer was ${JSON.stringify(r.content.slice(0, 40))}`,
      );
    } catch (e) {
      caps.vision = e instanceof TeacherCallError && e.kind === 'rejected' ? false : null;
      fail('vision', e);
    }
    const probeSchema = { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } };
    // Transient failures (429 with Retry-After, 5xx, network) are retried as a run's requests are, so a busy
    // server does not leave the answer "unknown"; each attempt is recorded.
    const probeAttempts = Math.max(2, Math.min(config.maxAttempts, 5));
    const probeJson = async (format: 'json_schema' | 'json_object', attempt = 1): Promise<boolean | null> => {
      try {
        const r = await session.client.chat({
          messages: [{ role: 'user', content: 'Reply with the JSON object {"ok": true} and nothing else.' }],
          format,
          jsonSchema: { name: 'probe', schema: probeSchema },
          maxTokens: 20,
          temperature: 0,
          timeoutMs: Math.min(config.requestTimeoutMs, 60_000),
        });
        const v = extractJson(r.content) as { ok?: unknown } | null;
        this.recordProbe(session, format, r.status, 'ok', null, r.promptTokens, r.completionTokens, r.raw);
        if (v && v.ok === true) {
          notes.push(`${format}: supported`);
          return true;
        }
        notes.push(`${format}: accepted but the answer was not the requested JSON (the server may ignore it)`);
        return false;
      } catch (e) {
        const err = e as TeacherCallError;
        this.recordProbe(session, format, err.status ?? null, err.kind ?? 'error', err.message, 0, 0, err.body ?? null);
        const wait = err.retryAfterMs ?? backoffMs(attempt, this.random, this.backoffBaseMs);
        if (err instanceof TeacherCallError && err.retryable && attempt < probeAttempts && wait <= PROBE_MAX_WAIT_MS) {
          notes.push(`${format}: attempt ${attempt} met ${err.status ?? err.kind}; retrying in ${(wait / 1000).toFixed(1)} s`);
          await sleep(wait);
          return probeJson(format, attempt + 1);
        }
        fail(format, e);
        return err.kind === 'rejected' ? false : null;
      }
    };
    caps.jsonSchema = await probeJson('json_schema');
    caps.jsonObject = await probeJson('json_object');
    try {
      let deltas = 0;
      await session.request(
        [{ role: 'user', content: 'Reply with the single word OK.' }],
        { ...ctx, onDelta: () => deltas++ },
        { structured: false, maxTokens: 10 },
      );
      caps.streaming = deltas > 0;
      notes.push(`streaming: ${deltas} delta(s)`);
    } catch (e) {
      caps.streaming = false;
      fail('streaming', e);
    }
    writeCapabilities(this.db, caps);
    audit(this.db, this.actor, 'teacher.test', {
      endpoint: caps.endpoint,
      model: caps.model,
      reachable: caps.reachable,
      vision: caps.vision,
      jsonSchema: caps.jsonSchema,
      jsonObject: caps.jsonObject,
      streaming: caps.streaming,
    });
    return caps;
  }

  private recordProbe(
    session: TeacherSession,
    format: string,
    status: number | null,
    outcome: string,
    error: string | null,
    promptTokens: number,
    completionTokens: number,
    raw: string | null,
  ): void {
    const cost = session.price ? (promptTokens * session.price.inputPerMTok + completionTokens * session.price.outputPerMTok) / 1e6 : 0;
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO teacher_requests (run_id, image_id, image_sha256, purpose, attempt, response_format, endpoint_host, model,
             started_at, http_status, outcome, error, prompt_tokens, completion_tokens, cost_usd, raw_response)
           VALUES (NULL, NULL, NULL, 'probe', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          format,
          session.endpoint,
          session.config.model,
          nowIso(),
          status,
          outcome,
          error && session.scrub(error),
          promptTokens,
          completionTokens,
          cost,
          raw && session.scrub(raw),
        ).lastInsertRowid,
    );
    audit(this.db, this.actor, 'teacher.request', {
      requestId: id,
      runId: null,
      purpose: 'probe',
      imageSha256: null,
      endpoint: session.endpoint,
      model: session.config.model,
      promptTokens,
      completionTokens,
      costUsd: cost,
      outcome,
      httpStatus: status,
    });
  }

  // ---- taxonomy and templates ----

  listTaxonomySets(): TaxonomySet[] {
    return BUILTIN_TAXONOMIES.map((s) => ({ ...s, classes: s.classes.map((c) => ({ ...c })) }));
  }

  /**
   * Adds a built-in set to the classes; 'replace' (the default) makes it the teacher's whole taxonomy, 'merge' adds
   * its classes to the ones the teacher already answers with.
   */
  async applyTaxonomySet(setId: string, mode: 'replace' | 'merge' = 'replace'): Promise<TeacherSettings> {
    const before = resolveTaxonomy(this.db, readConfig(this.db).classNames).map((c) => c.name);
    const names = applyTaxonomySet(this.db, setId);
    const next = mode === 'merge' ? [...before, ...names.filter((n) => !before.includes(n))] : names;
    writeConfig(this.db, { classNames: next }, this.actor);
    audit(this.db, this.actor, 'teacher.taxonomy.apply', { set: setId, mode, dropped: before.filter((n) => !next.includes(n)) });
    return this.getSettings();
  }

  renameClass(from: string, to: string): TaxonomyClass[] {
    const { from: old, to: name } = renameClass(this.db, from, to);
    const config = readConfig(this.db);
    if (config.classNames.includes(old)) writeConfig(this.db, { classNames: config.classNames.map((n) => (n === old ? name : n)) }, this.actor);
    audit(this.db, this.actor, 'taxonomy.rename', { from: old, to: name });
    return listTaxonomy(this.db);
  }

  listTaxonomy(): TaxonomyClass[] {
    return listTaxonomy(this.db);
  }

  upsertClass(cls: TaxonomyClass): TaxonomyClass[] {
    const existed = listTaxonomy(this.db).find((c) => c.name === cls.name.trim());
    upsertClass(this.db, cls, true);
    audit(this.db, this.actor, 'taxonomy.class', {
      name: cls.name.trim(),
      created: !existed,
      description: cls.description.trim().slice(0, 1000),
      ...(existed ? { previousDescription: existed.description } : {}),
    });
    return listTaxonomy(this.db);
  }

  listTemplates(): TeacherTemplate[] {
    return listTemplates(this.db);
  }

  saveTemplate(t: TeacherTemplateDraft): TeacherTemplate {
    const saved = saveTemplate(this.db, t);
    audit(this.db, this.actor, 'teacher.template', { template: templateRef(saved) });
    return saved;
  }

  // ---- batch runs ----

  /** Starts a batch as a job; refuses at once (nothing sent) when egress is off or the setup is incomplete. */
  async startRun(request: TeacherRunRequest, overrides: TeacherOverrides = {}): Promise<JobInfo> {
    const prepared = await this.prepareRun(request, overrides);
    this.busy.add(prepared.configKey);
    let job: JobInfo;
    try {
      job = this.jobs.start('teacher', { ...request, runId: prepared.runId }, async (ctx) => {
        try {
          this.db
            .prepare(`UPDATE teacher_runs SET job_id = ?, state = 'running', stop_detail = NULL, updated_at = ? WHERE id = ?`)
            .run(ctx.id, nowIso(), prepared.runId);
          let result: TeacherRunResult;
          try {
            result = await runBatch(this.db, prepared.session, prepared.plan, { signal: ctx.signal, progress: ctx.progress });
          } catch (e) {
            const msg = prepared.session.scrub((e as Error).message ?? String(e));
            this.finishRun(prepared.runId, 'failed', msg);
            throw new Error(msg, { cause: e });
          }
          this.finishRun(prepared.runId, result.stopped, result.stopDetail);
          if (result.stopped === 'failed') throw new Error(`teacher run ${prepared.runId} stopped: ${result.stopDetail}`);
          return result;
        } finally {
          this.busy.delete(prepared.configKey);
          this.events.emit({ type: 'library-changed' });
        }
      });
    } catch (e) {
      this.busy.delete(prepared.configKey);
      throw e;
    }
    return job;
  }

  private finishRun(runId: number, state: TeacherRunSummary['state'], detail: string | null): void {
    this.db.prepare(`UPDATE teacher_runs SET state = ?, stop_detail = ?, updated_at = ? WHERE id = ?`).run(state, detail, nowIso(), runId);
    audit(this.db, this.actor, 'teacher.run.end', { runId, state, detail });
  }

  private async prepareRun(request: TeacherRunRequest, overrides: TeacherOverrides) {
    this.requireEgress();
    let config: TeacherConfig;
    let selection: number[] | null;
    let runId: number | null = null;
    let budgetUsd = request.budgetUsd ?? null;
    let budgetTokens = request.budgetTokens ?? null;
    if (request.resumeRunId !== undefined) {
      const run = this.runRow(request.resumeRunId);
      if (run.state === 'running' && this.busy.has(run.config_key)) throw new TeacherBusyError(`teacher run ${run.id} is still running`);
      config = { ...(JSON.parse(run.config_json) as TeacherConfig), ...pickRuntime(overrides) };
      selection = JSON.parse(run.selection_json) as number[] | null;
      runId = run.id;
      budgetUsd = request.budgetUsd ?? run.budget_usd;
      budgetTokens = request.budgetTokens ?? run.budget_tokens;
    } else {
      config = withOverrides(readConfig(this.db), overrides);
      selection = request.imageIds ?? null;
    }
    if (request.concurrency !== undefined) config = { ...config, concurrency: request.concurrency };
    // Runs stored before the setting existed resume with the default.
    const paraphraseCount = config.paraphraseCount ?? DEFAULT_CONFIG.paraphraseCount;
    const template = getTemplate(this.db, config.templateName, config.templateVersion);
    const classes = resolveTaxonomy(this.db, config.classNames);
    if (classes.length < 2) {
      throw new TeacherSetupError('the teacher taxonomy needs at least two classes: apply a built-in set or add classes first');
    }
    const session = await this.openSession(config);
    if (budgetUsd !== null && !session.price) {
      throw new TeacherSetupError(
        `a cost budget needs a price for model ${config.model}: add its price (US$ per 1M input/output tokens) in the Teacher view or with 'emma teacher price', or set a token budget instead`,
      );
    }
    const configKey = sha256Hex(
      canonicalJson({
        provider: config.provider,
        endpoint: session.endpoint,
        model: config.model,
        azureApiVersion: config.provider === 'azure' ? config.azureApiVersion : null,
        template: template.id,
        classes,
        qaCount: config.qaCount,
        maxImageSide: config.maxImageSide,
        imageDetail: config.imageDetail,
        sendMetadata: config.sendMetadata,
      }),
    );
    if (this.busy.has(configKey)) throw new TeacherBusyError('a teacher run with this configuration is already running');

    const now = nowIso();
    if (runId === null) {
      runId = Number(
        this.db
          .prepare(
            `INSERT INTO teacher_runs (config_key, template_id, provider, endpoint_host, model, config_json, selection_json, state,
               budget_usd, budget_tokens, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`,
          )
          .run(
            configKey,
            template.id,
            config.provider,
            session.endpoint,
            config.model,
            JSON.stringify(config),
            JSON.stringify(selection),
            budgetUsd,
            budgetTokens,
            now,
            now,
          ).lastInsertRowid,
      );
    } else {
      this.db
        .prepare(`UPDATE teacher_runs SET budget_usd = ?, budget_tokens = ?, config_key = ?, updated_at = ? WHERE id = ?`)
        .run(budgetUsd, budgetTokens, configKey, now, runId);
    }
    // The run's own image count (what it set out to answer: limit applied, finished images skipped), shown in the
    // runs table; a resumed run adds what it still has to do to what its earlier jobs reached.
    const recordPlanned = (todoCount: number) => {
      const reached = (this.db.prepare(`SELECT count(DISTINCT image_id) AS n FROM teacher_outputs WHERE run_id = ?`).get(runId) as { n: number }).n;
      this.db.prepare(`UPDATE teacher_runs SET planned_images = ? WHERE id = ?`).run(reached + todoCount, runId);
    };

    const ids = selection ?? (this.db.prepare(`SELECT id FROM images ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
    // Images with a final answer for this configuration are not asked (or paid for) again.
    const finished = new Set(
      (
        this.db
          .prepare(`SELECT image_id FROM teacher_outputs WHERE config_key = ? AND (status = 'valid' OR (status = 'invalid' AND ? = 0))`)
          .all(configKey, request.retryInvalid ? 1 : 0) as { image_id: number }[]
      ).map((r) => r.image_id),
    );
    let todo = ids.filter((id) => !finished.has(id));
    const skipped = ids.length - todo.length;
    if (request.limit !== undefined) todo = todo.slice(0, request.limit);
    recordPlanned(todo.length);
    const spent = this.db
      .prepare(`SELECT coalesce(sum(cost_usd), 0) AS usd, coalesce(sum(prompt_tokens + completion_tokens), 0) AS tokens FROM teacher_requests WHERE run_id = ?`)
      .get(runId) as { usd: number; tokens: number };
    audit(this.db, this.actor, 'teacher.run.start', {
      runId,
      endpoint: session.endpoint,
      model: config.model,
      template: templateRef(template),
      images: todo.length,
      skipped,
      budgetUsd,
      budgetTokens,
      resumed: request.resumeRunId !== undefined,
    });
    return {
      runId,
      configKey,
      session,
      plan: {
        runId,
        configKey,
        template,
        classes,
        imageIds: todo,
        concurrency: config.concurrency,
        budgetUsd,
        budgetTokens,
        spentUsd: spent.usd,
        spentTokens: spent.tokens,
        skipped,
        cancelGraceMs: this.cancelGraceMs,
        paraphrase: paraphraseCount > 0 ? { count: paraphraseCount, actor: this.actor } : null,
      },
    };
  }

  private runRow(id: number): RunRow {
    const row = this.db.prepare(`SELECT * FROM teacher_runs WHERE id = ?`).get(id) as RunRow | undefined;
    if (!row) throw new NotFoundError(`No teacher run with id ${id}.`);
    return row;
  }

  listRuns(limit: number): TeacherRunSummary[] {
    const rows = this.db.prepare(`SELECT * FROM teacher_runs ORDER BY id DESC LIMIT ?`).all(limit) as RunRow[];
    return rows.map((r) => this.summary(r));
  }

  getRun(id: number): TeacherRunSummary {
    return this.summary(this.runRow(id));
  }

  private summary(r: RunRow): TeacherRunSummary {
    const outs = this.db
      .prepare(
        `SELECT sum(status = 'valid') AS valid, sum(status = 'invalid') AS invalid, sum(status = 'failed') AS failed, count(*) AS n
         FROM teacher_outputs WHERE run_id = ?`,
      )
      .get(r.id) as { valid: number | null; invalid: number | null; failed: number | null; n: number };
    const reqs = this.db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c, coalesce(sum(cost_usd), 0) AS usd
         FROM teacher_requests WHERE run_id = ?`,
      )
      .get(r.id) as { n: number; p: number; c: number; usd: number };
    const selection = JSON.parse(r.selection_json) as number[] | null;
    let template: string;
    try {
      const t = this.db.prepare(`SELECT name, version FROM teacher_templates WHERE id = ?`).get(r.template_id) as { name: string; version: number };
      template = templateRef(t);
    } catch {
      template = String(r.template_id);
    }
    return {
      id: r.id,
      jobId: r.job_id,
      state: r.state,
      stopDetail: r.stop_detail,
      provider: r.provider,
      endpointHost: r.endpoint_host,
      model: r.model,
      template,
      configKey: r.config_key,
      images: r.planned_images ?? selection?.length ?? outs.n,
      valid: outs.valid ?? 0,
      invalid: outs.invalid ?? 0,
      failed: outs.failed ?? 0,
      requests: reqs.n,
      promptTokens: reqs.p,
      completionTokens: reqs.c,
      costUsd: round6(reqs.usd),
      budgetUsd: r.budget_usd,
      budgetTokens: r.budget_tokens,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      costKnown: reqs.p + reqs.c === 0 || runHasPrice(r),
    };
  }

  listOutputs(q: TeacherOutputQuery): TeacherOutput[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.imageId !== undefined) {
      where.push('o.image_id = ?');
      params.push(q.imageId);
    }
    if (q.runId !== undefined) {
      where.push('o.run_id = ?');
      params.push(q.runId);
    }
    if (q.status !== undefined) {
      where.push('o.status = ?');
      params.push(q.status);
    }
    const rows = this.db
      .prepare(
        `SELECT o.*, t.name AS t_name, t.version AS t_version FROM teacher_outputs o JOIN teacher_templates t ON t.id = o.template_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.id LIMIT ? OFFSET ?`,
      )
      .all(...params, q.limit, q.offset) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      runId: r.run_id as number,
      imageId: r.image_id as number,
      status: r.status as TeacherOutput['status'],
      reason: (r.reason as string | null) ?? null,
      template: `${r.t_name as string}@${r.t_version as number}`,
      answer: r.parsed_json ? (JSON.parse(r.parsed_json as string) as TeacherOutput['answer']) : null,
      labelId: (r.label_id as number | null) ?? null,
      promptTokens: r.prompt_tokens as number,
      completionTokens: r.completion_tokens as number,
      costUsd: r.cost_usd as number,
      createdAt: r.created_at as string,
    }));
  }

  listAudit(limit: number): TeacherAuditEntry[] {
    const rows = this.db
      .prepare(`SELECT id, at, actor, action, details_json FROM audit_log WHERE action LIKE 'teacher.%' OR action LIKE 'taxonomy.%' ORDER BY id DESC LIMIT ?`)
      .all(limit) as { id: number; at: string; actor: string; action: string; details_json: string }[];
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details_json) as Record<string, unknown> }));
  }

  // ---- interactive ----

  /** One question about one image, streamed: 'teacher-stream' events carry the text as it arrives. */
  async ask(request: TeacherAskRequest, overrides: TeacherOverrides = {}): Promise<TeacherAskResult> {
    const config = withOverrides(readConfig(this.db), overrides);
    const img = loadImage(this.db, request.imageId);
    if (!img) throw new NotFoundError(`No image with id ${request.imageId}.`);
    const session = await this.openSession(config);
    const streamId = request.streamId ?? `ask-${Date.now().toString(36)}-${Math.floor(this.random() * 1e9).toString(36)}`;
    const prepared = await prepareImage(img, { maxSide: config.maxImageSide, sendMetadata: config.sendMetadata });
    const messages: ChatCompletionMessageParam[] = [
      {
        role: 'system',
        content:
          "You are an expert electron microscopist. Answer the operator's question about the attached micrograph " +
          '(its data bar was cropped) briefly and concretely, from what is visible. ' +
          calibrationText(prepared.calibration) +
          (prepared.metadataText ? `\n${prepared.metadataText}` : ''),
      },
      {
        role: 'user',
        content: [
          { type: 'text', text: request.question },
          { type: 'image_url', image_url: { url: prepared.dataUrl, detail: config.imageDetail } },
        ],
      },
    ];
    const emit = (delta: string, done: boolean) => {
      const event: TeacherStreamEvent = { type: 'teacher-stream', streamId, delta, done };
      this.events.emit(event);
    };
    try {
      const r = await session.request(
        messages,
        { purpose: 'ask', runId: null, image: { id: img.id, sha256: img.sha256 }, maxAttempts: 2, onDelta: (d) => emit(d, false) },
        { structured: false },
      );
      emit('', true);
      return {
        streamId,
        answer: r.content,
        model: config.model,
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        costUsd: round6(r.costUsd),
      };
    } catch (e) {
      emit('', true);
      if (e instanceof TeacherCallError || e instanceof RunStopError) throw new TeacherSetupError(e.message);
      throw e;
    }
  }
}

/** Whether the run's own configuration priced its model (a price added later does not reprice paid requests). */
function runHasPrice(r: RunRow): boolean {
  try {
    const config = JSON.parse(r.config_json) as Partial<TeacherConfig>;
    return priceFor(config.prices ?? {}, r.model) !== null;
  } catch {
    return false;
  }
}

/** Settings a resumed run may change (how fast, how long to wait), not what is asked. */
function pickRuntime(o: TeacherOverrides): TeacherOverrides {
  const out: TeacherOverrides = {};
  if (o.concurrency !== undefined) out.concurrency = o.concurrency;
  if (o.maxAttempts !== undefined) out.maxAttempts = o.maxAttempts;
  if (o.requestTimeoutMs !== undefined) out.requestTimeoutMs = o.requestTimeoutMs;
  if (o.prices !== undefined) out.prices = o.prices;
  return out;
}
