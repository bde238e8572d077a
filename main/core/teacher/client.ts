// The remote teacher through the `openai` SDK: OpenAI, Azure OpenAI (deployment + api-version) or any
// OpenAI-compatible server by base URL. The SDK's own retries are off (the pipeline retries with its own
// backoff and Retry-After handling) and its logging is off (it must never print a header with the key).
// Every error is turned into a TeacherCallError whose message has been scrubbed of secrets.
import OpenAI, { AzureOpenAI } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { redactSecrets } from './keys.js';
import type { TeacherConfig, TeacherResponseFormat } from './types.js';
import type { ErrorCode } from '../contract.js';
import { CoreError } from '../errors.js';

export type CallErrorKind =
  | 'rate_limited' // 429
  | 'server' // 5xx, 408, 409
  | 'network' // connection refused/reset/dropped
  | 'timeout'
  | 'rejected' // 400/422: the server refused this request
  | 'auth' // 401/403
  | 'not_found' // 404: wrong model, deployment or base URL
  | 'cancelled'
  | 'error';

/** The contract's code for each kind of failed teacher call (what the UI words its message by). */
const CALL_ERROR_CODES: Record<CallErrorKind, ErrorCode> = {
  rate_limited: 'teacher_unreachable',
  server: 'teacher_unreachable',
  network: 'teacher_unreachable',
  timeout: 'teacher_unreachable',
  rejected: 'teacher_rejected',
  auth: 'teacher_auth',
  not_found: 'teacher_setup',
  cancelled: 'cancelled',
  error: 'teacher_failed',
};

export class TeacherCallError extends CoreError {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
    readonly status: number | null,
    /** From Retry-After / retry-after-ms on a 429 or 503. */
    readonly retryAfterMs: number | null,
    readonly body: string | null,
  ) {
    super(CALL_ERROR_CODES[kind], message);
    this.name = 'TeacherCallError';
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'timeout';
  }
}

export interface ChatResult {
  content: string;
  promptTokens: number;
  completionTokens: number;
  /** The raw completion as received (JSON text), for the record. */
  raw: string;
  status: number;
}

export interface ChatCall {
  messages: ChatCompletionMessageParam[];
  format: TeacherResponseFormat;
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  maxTokens: number;
  temperature: number;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** Host (and path) of an endpoint, for audit records: never a query string (Azure keys can travel there). */
export function endpointHost(config: Pick<TeacherConfig, 'baseUrl'>): string {
  try {
    const u = new URL(config.baseUrl);
    return `${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'invalid-url';
  }
}

export function parseRetryAfter(headers: Headers | undefined | null, now = Date.now()): number | null {
  if (!headers) return null;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const v = headers.get('retry-after');
  if (!v) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

export class TeacherClient {
  private readonly sdk: OpenAI;

  constructor(
    readonly config: TeacherConfig,
    private readonly key: string,
  ) {
    const common = { apiKey: key, maxRetries: 0, timeout: config.requestTimeoutMs, logLevel: 'off' as const, organization: null, project: null };
    if (config.provider === 'azure') {
      if (!config.azureApiVersion) throw new TeacherCallError('error', 'Azure OpenAI needs an api-version (azureApiVersion)', null, null, null);
      this.sdk = new AzureOpenAI({
        ...common,
        endpoint: config.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, ''),
        deployment: config.model,
        apiVersion: config.azureApiVersion,
      });
    } else {
      this.sdk = new OpenAI({ ...common, baseURL: config.baseUrl });
    }
  }

  private body(call: ChatCall): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.config.model,
      messages: call.messages,
      max_tokens: call.maxTokens,
      temperature: call.temperature,
    };
    if (call.format === 'json_schema' && call.jsonSchema) {
      body.response_format = { type: 'json_schema', json_schema: { name: call.jsonSchema.name, strict: true, schema: call.jsonSchema.schema } };
    } else if (call.format === 'json_object') {
      body.response_format = { type: 'json_object' };
    }
    return body;
  }

  async chat(call: ChatCall): Promise<ChatResult> {
    try {
      const { data, response } = await this.sdk.chat.completions.create(this.body(call), { signal: call.signal, timeout: call.timeoutMs }).withResponse();
      return fromCompletion(data, response.status);
    } catch (e) {
      throw this.classify(e, call.signal);
    }
  }

  /** Streams the answer (SSE), calling onDelta for each text piece; usage from the final chunk where sent. */
  async chatStream(call: ChatCall, onDelta: (text: string) => void): Promise<ChatResult> {
    const run = async (includeUsage: boolean): Promise<ChatResult> => {
      const stream = await this.sdk.chat.completions.create(
        { ...this.body(call), stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) },
        { signal: call.signal, timeout: call.timeoutMs },
      );
      let content = '';
      let promptTokens = 0;
      let completionTokens = 0;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        const delta = chunk.choices?.[0]?.delta?.content ?? '';
        if (delta) {
          content += delta;
          onDelta(delta);
        }
        if (chunk.usage) {
          promptTokens = chunk.usage.prompt_tokens ?? 0;
          completionTokens = chunk.usage.completion_tokens ?? 0;
        }
      }
      return { content, promptTokens, completionTokens, raw: JSON.stringify({ streamed: true, chunks, content }), status: 200 };
    };
    try {
      try {
        return await run(true);
      } catch (e) {
        // Some servers reject stream_options: ask again without it (before any text was streamed).
        if (e instanceof OpenAI.BadRequestError) return await run(false);
        throw e;
      }
    } catch (e) {
      throw this.classify(e, call.signal);
    }
  }

  private classify(e: unknown, signal?: AbortSignal): TeacherCallError {
    const scrub = (s: string) => redactSecrets(s, this.key).slice(0, 500);
    if (e instanceof TeacherCallError) return e;
    if (e instanceof OpenAI.APIUserAbortError || signal?.aborted) return new TeacherCallError('cancelled', 'cancelled', null, null, null);
    if (e instanceof OpenAI.APIConnectionTimeoutError)
      return new TeacherCallError('timeout', `no answer within ${this.config.requestTimeoutMs} ms`, null, null, null);
    if (e instanceof OpenAI.APIConnectionError) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? e.message;
      return new TeacherCallError('network', scrub(`connection failed: ${detail}`), null, null, null);
    }
    if (e instanceof OpenAI.APIError) {
      const status = e.status ?? null;
      const body = e.error === undefined ? null : scrub(JSON.stringify(e.error));
      const message = scrub(`HTTP ${status ?? '?'}: ${e.message}`);
      const retryAfter = parseRetryAfter(e.headers ?? null);
      if (status === 429) return new TeacherCallError('rate_limited', message, status, retryAfter, body);
      if (status === 401 || status === 403) return new TeacherCallError('auth', message, status, null, body);
      if (status === 404) return new TeacherCallError('not_found', message, status, null, body);
      if (status === 400 || status === 422 || status === 413) return new TeacherCallError('rejected', message, status, null, body);
      if (status !== null && (status >= 500 || status === 408 || status === 409)) return new TeacherCallError('server', message, status, retryAfter, body);
      return new TeacherCallError('error', message, status, null, body);
    }
    const msg = e instanceof Error ? e.message : String(e);
    // A body cut off mid-JSON by a dropped connection surfaces as a parse or stream error.
    if (/terminated|socket|ECONNRESET|premature|aborted|fetch failed|Unexpected end|JSON/i.test(msg)) {
      return new TeacherCallError('network', scrub(`connection dropped: ${msg}`), null, null, null);
    }
    return new TeacherCallError('error', scrub(msg), null, null, null);
  }
}

function fromCompletion(data: ChatCompletion, status: number): ChatResult {
  const choice = data.choices?.[0];
  let content = choice?.message?.content ?? '';
  // Some servers put the structured answer into a refusal or tool call; keep what there is.
  if (!content && choice?.message?.refusal) content = choice.message.refusal;
  return {
    content,
    promptTokens: data.usage?.prompt_tokens ?? 0,
    completionTokens: data.usage?.completion_tokens ?? 0,
    raw: JSON.stringify(data),
    status,
  };
}
