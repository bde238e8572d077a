// One configured connection to the teacher: the SDK client, the response format in use (downgraded when a server
// rejects response_format), a shared rate-limit gate (a 429 with Retry-After pauses every worker), retries with
// exponential backoff and jitter, and a record of every request (teacher_requests + audit_log, never the key).
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { TeacherCallError, TeacherClient, endpointHost, type ChatCall, type ChatResult } from './client.js';
import { redactSecrets } from './keys.js';
import { costUsd, priceFor } from './pricing.js';
import { audit, markFormatUnsupported, readCapabilities, readEgress } from './settings.js';
import type { TeacherConfig, TeacherPrice, TeacherResponseFormat } from './types.js';
import { backoffMs, sleep, SleepAborted } from './util.js';

/** Longest Retry-After the pipeline waits out; beyond it the run stops (quota exhausted, not a burst). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface RequestContext {
  purpose: 'answer' | 'repair' | 'ask' | 'probe' | 'paraphrase';
  /** Added to the request's audit entry (e.g. that a text-only request sent no image). */
  audit?: Record<string, unknown>;
  runId: number | null;
  image: { id: number; sha256: string } | null;
  /** Cancels waiting between attempts (soft stop). */
  softSignal?: AbortSignal;
  /** Aborts a request in flight (hard stop). */
  hardSignal?: AbortSignal;
  maxAttempts?: number;
  /** Stream deltas (interactive calls). */
  onDelta?: (text: string) => void;
  /** Adds this request's usage here too (per-image accounting while other images run concurrently). */
  usage?: SessionTotals;
}

export interface RequestOutcome extends ChatResult {
  requestId: number;
  costUsd: number;
  format: TeacherResponseFormat;
}

export interface SessionTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export class RunStopError extends Error {
  constructor(
    message: string,
    readonly stop: 'failed' | 'cancelled',
  ) {
    super(message);
  }
}

export class TeacherSession {
  readonly client: TeacherClient;
  readonly endpoint: string;
  readonly price: TeacherPrice | null;
  format: TeacherResponseFormat;
  readonly totals: SessionTotals = { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
  /** No request starts before this time (set by 429 Retry-After). */
  private notBefore = 0;
  /** A structured request has succeeded with the current format (so a later 400 is about the request, not the format). */
  private formatConfirmed = false;

  constructor(
    private readonly db: Db,
    readonly config: TeacherConfig,
    private readonly key: string,
    private readonly actor: string,
    private readonly random: () => number = Math.random,
    private readonly backoffBaseMs = 500,
  ) {
    this.client = new TeacherClient(config, key);
    this.endpoint = endpointHost(config);
    this.price = priceFor(config.prices, config.model);
    const caps = readCapabilities(db, this.endpoint, config.model);
    this.format = caps?.jsonSchema === false ? (caps.jsonObject === false ? 'text' : 'json_object') : 'json_schema';
  }

  scrub(text: string): string {
    return redactSecrets(text, this.key);
  }

  /**
   * Sends one logical request: waits for the rate-limit gate, retries transient failures with backoff (honouring
   * Retry-After), falls back json_schema → json_object → text when the server rejects response_format, and records
   * every HTTP request made.
   */
  async request(
    messages: ChatCompletionMessageParam[],
    ctx: RequestContext,
    opts: { jsonSchema?: ChatCall['jsonSchema']; structured: boolean; maxTokens?: number },
  ): Promise<RequestOutcome> {
    const maxAttempts = ctx.maxAttempts ?? this.config.maxAttempts;
    let attempt = 0;
    for (;;) {
      attempt++;
      await this.waitForGate(ctx.softSignal);
      if (ctx.hardSignal?.aborted) throw new RunStopError('cancelled', 'cancelled');
      // The switch is read before every request, so turning it off stops a run in progress at once.
      if (!readEgress(this.db).enabled) {
        throw new RunStopError('teacher egress was switched off during the run; nothing more was sent', 'failed');
      }
      const format: TeacherResponseFormat = opts.structured ? this.format : 'text';
      const started = Date.now();
      const startedAt = nowIso();
      try {
        const call: ChatCall = {
          messages,
          format,
          jsonSchema: opts.jsonSchema,
          maxTokens: opts.maxTokens ?? this.config.maxOutputTokens,
          temperature: this.config.temperature,
          signal: ctx.hardSignal,
          timeoutMs: this.config.requestTimeoutMs,
        };
        const r = ctx.onDelta ? await this.client.chatStream(call, ctx.onDelta) : await this.client.chat(call);
        const cost = costUsd(this.price, r.promptTokens, r.completionTokens);
        if (opts.structured) this.formatConfirmed = true;
        const requestId = this.record(ctx, {
          attempt,
          format,
          startedAt,
          latencyMs: Date.now() - started,
          status: r.status,
          outcome: 'ok',
          error: null,
          promptTokens: r.promptTokens,
          completionTokens: r.completionTokens,
          cost,
          raw: r.raw,
        });
        return { ...r, requestId, costUsd: cost, format };
      } catch (e) {
        const err = e instanceof TeacherCallError ? e : new TeacherCallError('error', this.scrub(String((e as Error)?.message ?? e)), null, null, null);
        this.record(ctx, {
          attempt,
          format,
          startedAt,
          latencyMs: Date.now() - started,
          status: err.status,
          outcome: err.kind,
          error: err.message,
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          raw: err.body,
        });
        if (err.kind === 'cancelled') throw new RunStopError('cancelled', 'cancelled');
        const aboutFormat = /response_format|json_schema|json_object|schema|structured|format/i.test(`${err.message} ${err.body ?? ''}`);
        if (err.kind === 'rejected' && format !== 'text' && (aboutFormat || !this.formatConfirmed)) {
          // The server refuses response_format (or this flavour of it): remember, step down, ask again.
          const next: TeacherResponseFormat = format === 'json_schema' ? 'json_object' : 'text';
          if (this.format === format) {
            this.format = next;
            markFormatUnsupported(this.db, this.endpoint, this.config.model, format, `rejected ${format} during a request: ${err.message}`);
          }
          attempt--;
          continue;
        }
        if (err.kind === 'auth' || err.kind === 'not_found') {
          throw new RunStopError(
            err.kind === 'auth'
              ? `the teacher endpoint refused the API key (${err.message}); check the key and try again`
              : `the teacher endpoint does not know this model/deployment or path (${err.message}); check base URL and model`,
            'failed',
          );
        }
        if (!err.retryable || attempt >= maxAttempts) throw err;
        let delay = backoffMs(attempt, this.random, this.backoffBaseMs);
        if (err.retryAfterMs !== null) {
          if (err.retryAfterMs > MAX_RETRY_AFTER_MS) {
            throw new RunStopError(
              `the endpoint asked to wait ${Math.round(err.retryAfterMs / 1000)} s (rate limit or quota); stopped, resume later`,
              'failed',
            );
          }
          // Honour Retry-After exactly, plus a little jitter so workers do not return in lockstep.
          delay = err.retryAfterMs + Math.round(this.random() * Math.min(250, err.retryAfterMs * 0.1));
          if (err.kind === 'rate_limited') this.notBefore = Math.max(this.notBefore, Date.now() + delay);
        }
        try {
          await sleep(delay, ctx.softSignal);
        } catch (s) {
          if (s instanceof SleepAborted) throw new RunStopError('cancelled', 'cancelled');
          throw s;
        }
      }
    }
  }

  private async waitForGate(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.notBefore - Date.now();
      if (wait <= 0) return;
      try {
        await sleep(wait, signal);
      } catch {
        throw new RunStopError('cancelled', 'cancelled');
      }
    }
  }

  private record(
    ctx: RequestContext,
    r: {
      attempt: number;
      format: TeacherResponseFormat;
      startedAt: string;
      latencyMs: number;
      status: number | null;
      outcome: string;
      error: string | null;
      promptTokens: number;
      completionTokens: number;
      cost: number;
      raw: string | null;
    },
  ): number {
    for (const t of ctx.usage ? [this.totals, ctx.usage] : [this.totals]) {
      t.requests++;
      t.promptTokens += r.promptTokens;
      t.completionTokens += r.completionTokens;
      t.costUsd += r.cost;
    }
    const raw = r.raw === null ? null : this.scrub(r.raw);
    const error = r.error === null ? null : this.scrub(r.error);
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO teacher_requests (run_id, image_id, image_sha256, purpose, attempt, response_format, endpoint_host, model,
               started_at, latency_ms, http_status, outcome, error, prompt_tokens, completion_tokens, cost_usd, raw_response)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            ctx.runId,
            ctx.image?.id ?? null,
            ctx.image?.sha256 ?? null,
            ctx.purpose,
            r.attempt,
            r.format,
            this.endpoint,
            this.config.model,
            r.startedAt,
            r.latencyMs,
            r.status,
            r.outcome,
            error,
            r.promptTokens,
            r.completionTokens,
            r.cost,
            raw,
          ).lastInsertRowid,
      );
      // What left the building: when, which image (by hash), where, which model, tokens, cost, outcome.
      audit(this.db, this.actor, 'teacher.request', {
        requestId: id,
        runId: ctx.runId,
        purpose: ctx.purpose,
        imageSha256: ctx.image?.sha256 ?? null,
        endpoint: this.endpoint,
        model: this.config.model,
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        costUsd: r.cost,
        // Without a price the cost above is 0 but unknown; the audit view must not read it as free.
        priced: this.price !== null,
        outcome: r.outcome,
        httpStatus: r.status,
        ...ctx.audit,
      });
      return id;
    })();
  }
}
