// TEST DOUBLE of the remote teacher service (OpenAI / Azure OpenAI / an OpenAI-compatible server).
//
// A real node:http server on 127.0.0.1 that speaks the chat-completions protocol (JSON and SSE streaming, usage,
// OpenAI-style errors). It stands in for the remote model only; every part of Emma under test stays real.
// Its answers are deterministic and derived from the request: the image it receives (decoded from the data URL:
// size, mean intensity, which half is brighter) and the prompt text (taxonomy, calibration, number and kinds of
// question–answer pairs). Tests steer it per request to misbehave: invalid JSON, schema-violating JSON, an answer
// that ignores the calibration, 429 with Retry-After, 500, slow answers, dropped connections, and servers that
// reject (400) or ignore `response_format`. It records every request it received, headers included.
// It also answers the text-only paraphrase request (main/core/teacher/paraphrase.ts) with deterministic rewrites of
// each question from a small fixed table of synonyms and frames (a stand-in for a language model's paraphrases, not
// one), or with what a test supplies.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export type DoubleBehavior =
  | 'valid'
  | 'invalid-json'
  | 'schema-violation'
  | 'ignore-calibration'
  | 'bad-qa-item' // a valid answer except one Q&A item (the last) with an empty question and an unknown kind
  | 'drop' // close the socket without an answer
  | 'drop-mid-body' // send headers and half a body, then close
  | { status: number; retryAfter?: string; retryAfterMs?: number; message?: string }
  | { slowMs: number; then?: DoubleBehavior };

export type RequestPurpose = 'answer' | 'repair' | 'probe' | 'ask' | 'paraphrase';

export interface ImageInfo {
  width: number;
  height: number;
  /** Mean grey level 0..255 of the received image. */
  mean: number;
  /** Which half (left/right) is brighter. */
  brighterHalf: 'left' | 'right';
  /** A hash of the data URL: a stable key of the image as sent. */
  key: string;
}

export interface RecordedRequest {
  index: number;
  at: number;
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text as received. */
  rawBody: string;
  body: ChatBody | null;
  purpose: RequestPurpose;
  responseFormat: string | null;
  images: ImageInfo[];
  /** Data URLs of the images sent (to decode in tests). */
  imageUrls: string[];
  /** How the double answered. */
  answered: string;
}

interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
}

interface ChatMessage {
  role: string;
  content: string | ContentPart[] | null;
}

interface ChatBody {
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name?: string; schema?: Record<string, unknown> } };
  max_tokens?: number;
}

export interface DoubleOptions {
  /** Added to every answer (benchmarks: a fixed 800 ms). */
  latencyMs: number;
  /** What to do with response_format: honour it, ignore it (prose around JSON), reject it with 400, or reject only json_schema. */
  responseFormat: 'honour' | 'ignore' | 'reject' | 'reject-json-schema';
  /** false: answers 400 to any request carrying an image (a text-only model). */
  vision: boolean;
  /** Class for an answer; default: picks from the taxonomy by mean intensity. */
  classify?: (image: ImageInfo, classes: string[]) => string;
  /** Per-request steering; undefined = 'valid'. attempt counts requests for the same image and purpose, from 1. */
  behavior?: (r: { index: number; purpose: RequestPurpose; image: ImageInfo | null; attempt: number }) => DoubleBehavior | undefined;
  /** Model name reported in answers. */
  model: string;
  /** A size answer of this many nm for a calibrated image (nm per pixel as sent), e.g. an implausibly small one. */
  sizeNm?: (pixelNm: number) => number;
  /** Paraphrases for one question of a paraphrase request; default: doubleParaphrases. */
  paraphrase?: (q: { id: string; intent: string; question: string }, n: number) => string[];
}

/** Word swaps and frames the double paraphrases with (first match of each row is swapped). */
const PARAPHRASE_SWAPS: readonly (readonly [RegExp, string])[] = [
  [/\bhow many\b/, 'what is the tally of'],
  [/\bcount\b/, 'tally'],
  [/\bwhat class is\b/, 'which category fits'],
  [/\bdescribe\b/, 'give an account of'],
  [/\bimage\b/, 'micrograph'],
  [/\bis there\b/, 'can you make out'],
  [/\bwidth\b/, 'breadth'],
  [/\bsize\b/, 'dimensions'],
  [/\bprocess step\b/, 'manufacturing stage'],
  [/\bweather\b/, 'forecast'],
];

/** The double's deterministic paraphrases of a question: swaps, then frames around the swapped question. */
export function doubleParaphrases(question: string, n: number): string[] {
  const base = question.trim().replace(/[?.!]+$/, '');
  let swapped = base;
  for (const [re, to] of PARAPHRASE_SWAPS) if (re.test(swapped.toLowerCase())) swapped = swapped.toLowerCase().replace(re, to);
  const out = [swapped, `i would like to know: ${swapped}`, `${swapped}, if you can tell`, `quick one: ${base}`];
  return out.slice(0, n).map((t) => `${t}?`);
}

const PARAPHRASE_REQUEST = /paraphrases of questions that operators/i;

function paraphraseAnswer(prompt: string, opts: DoubleOptions): string {
  const n = Number(/Write (\d+) paraphrases/.exec(prompt)?.[1] ?? 3);
  const line = prompt.split('\n').find((l) => l.startsWith('[{"id"')) ?? '[]';
  const questions = JSON.parse(line) as { id: string; intent: string; question: string }[];
  const make = opts.paraphrase ?? ((q: { question: string }, k: number) => doubleParaphrases(q.question, k));
  return JSON.stringify({ paraphrases: questions.map((q) => ({ id: q.id, texts: make(q, n) })) });
}

export interface TeacherDouble {
  /** Base URL for an OpenAI-style client, ending in /v1. */
  baseUrl: string;
  /** Origin, for an Azure-style client (`<origin>/openai/deployments/<deployment>/chat/completions`). */
  origin: string;
  requests: RecordedRequest[];
  options: DoubleOptions;
  /** Requests currently being answered, and the most at once. */
  inFlight: number;
  maxInFlight: number;
  reset(): void;
  close(): Promise<void>;
}

const PROBE_TEXT = /Reply with the single word OK/i;
const PROBE_VISION = /Which half of this image is white/i;
const PROBE_JSON = /Reply with the JSON object \{"ok": true\}/i;

function textOf(messages: ChatMessage[] | undefined, role?: string): string {
  return (messages ?? [])
    .filter((m) => !role || m.role === role)
    .map((m) => (typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text ?? '').join('\n')))
    .join('\n');
}

function imageUrlsOf(messages: ChatMessage[] | undefined): string[] {
  const out: string[] = [];
  for (const m of messages ?? []) {
    if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'image_url' && p.image_url?.url) out.push(p.image_url.url);
  }
  return out;
}

export async function decodeDataUrl(url: string): Promise<{ width: number; height: number; data: Buffer; format: string }> {
  const m = /^data:image\/([\w+.-]+);base64,(.*)$/s.exec(url);
  if (!m) throw new Error('not a base64 image data URL');
  const bytes = Buffer.from(m[2], 'base64');
  const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data, format: m[1] };
}

async function imageInfo(url: string): Promise<ImageInfo> {
  const { width, height, data } = await decodeDataUrl(url);
  let sum = 0;
  let left = 0;
  let right = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      sum += v;
      if (x < width / 2) left += v;
      else right += v;
    }
  }
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return { width, height, mean: sum / (width * height), brighterHalf: left >= right ? 'left' : 'right', key };
}

function classesOf(body: ChatBody, prompt: string): string[] {
  const schema = body.response_format?.json_schema?.schema as { properties?: { class?: { properties?: { name?: { enum?: string[] } } } } } | undefined;
  const fromSchema = schema?.properties?.class?.properties?.name?.enum;
  if (fromSchema?.length) return fromSchema;
  const found = [...prompt.matchAll(/^- ([^\s:]+): /gm)].map((m) => m[1]);
  return found.length ? found : ['unknown'];
}

function qaKindsOf(prompt: string): string[] {
  const kinds = [...prompt.matchAll(/\d+\.\s.*\("kind": "(\w+)"\)/g)].map((m) => m[1]);
  if (kinds.length) return kinds;
  const n = Number(/exactly (\d+) question/.exec(prompt)?.[1] ?? 5);
  const cycle = ['identification', 'morphology', 'size', 'defects', 'process'];
  return Array.from({ length: n }, (_, i) => cycle[i % cycle.length]);
}

/** The deterministic "correct" answer for an image and prompt. */
function validAnswer(image: ImageInfo, classes: string[], prompt: string, opts: DoubleOptions, ignoreCalibration = false): Record<string, unknown> {
  const cls = opts.classify ? opts.classify(image, classes) : classes[Math.min(classes.length - 1, Math.floor((image.mean / 256) * classes.length))];
  const px = /one pixel of the attached image is ([\d.eE+-]+) nm/.exec(prompt);
  const pixelNm = px ? Number(px[1]) : null;
  const featurePx = Math.max(1, Math.round(image.width / 8));
  const qa = qaKindsOf(prompt).map((kind) => {
    switch (kind) {
      case 'size':
        if (ignoreCalibration) {
          return { kind, question: 'How large are the features?', answer: 'The features are fairly large.', value_nm: null };
        }
        if (pixelNm !== null && opts.sizeNm) {
          const v = opts.sizeNm(pixelNm);
          return { kind, question: 'What is the characteristic feature size?', answer: `About ${v} nm.`, value_nm: v };
        }
        return pixelNm !== null
          ? {
              kind,
              question: 'What is the characteristic feature size?',
              answer: `About ${Math.round(featurePx * pixelNm)} nm (${featurePx} px at ${pixelNm} nm per pixel).`,
              value_nm: Math.round(featurePx * pixelNm),
            }
          : {
              kind,
              question: 'What is the characteristic feature size?',
              answer: `The physical size is unknown because the image has no calibration; features span about ${featurePx} pixels.`,
              value_nm: null,
            };
      case 'identification':
        return { kind, question: 'What does the image show?', answer: `A micrograph consistent with ${cls}.`, value_nm: null };
      case 'morphology':
        return {
          kind,
          question: 'Describe the morphology.',
          answer: `Mean grey level ${image.mean.toFixed(1)}; the ${image.brighterHalf} half is brighter.`,
          value_nm: null,
        };
      case 'defects':
        return { kind, question: 'Are there defects?', answer: cls === 'clean' ? 'No defects are visible.' : `Features typical of ${cls}.`, value_nm: null };
      default:
        return { kind, question: 'What process step does this suggest?', answer: 'Inspection after patterning.', value_nm: null };
    }
  });
  return {
    class: {
      name: cls,
      confidence: Math.round((0.5 + (image.mean % 50) / 100) * 100) / 100,
      rationale: `Chosen from the image statistics (mean ${image.mean.toFixed(1)}).`,
    },
    caption: `A ${image.width}x${image.height} grey micrograph, mean intensity ${image.mean.toFixed(1)}.`,
    qa,
  };
}

function tokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', code: null } }, headers);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTeacherDouble(partial: Partial<DoubleOptions> = {}): Promise<TeacherDouble> {
  const options: DoubleOptions = { latencyMs: 0, responseFormat: 'honour', vision: true, model: 'double-vision-1', ...partial };
  const requests: RecordedRequest[] = [];
  const attempts = new Map<string, number>();
  let counter = 0;

  const state = { inFlight: 0, maxInFlight: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const index = counter++;
    let body: ChatBody | null;
    try {
      body = rawBody ? (JSON.parse(rawBody) as ChatBody) : null;
    } catch {
      body = null;
    }
    const messages = body?.messages;
    const prompt = textOf(messages);
    const imageUrls = imageUrlsOf(messages);
    const images: ImageInfo[] = [];
    for (const u of imageUrls) {
      try {
        images.push(await imageInfo(u));
      } catch {
        // recorded without info
      }
    }
    const purpose: RequestPurpose = body?.stream
      ? 'ask'
      : PARAPHRASE_REQUEST.test(textOf(messages, 'system'))
        ? 'paraphrase'
        : PROBE_TEXT.test(prompt) || PROBE_VISION.test(prompt) || PROBE_JSON.test(prompt)
          ? 'probe'
          : (messages ?? []).some((m) => m.role === 'assistant')
            ? 'repair'
            : 'answer';
    const record: RecordedRequest = {
      index,
      at: Date.now(),
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
      rawBody,
      body,
      purpose,
      responseFormat: body?.response_format?.type ?? null,
      images,
      imageUrls,
      answered: '',
    };
    requests.push(record);

    if (req.method !== 'POST' || !/\/chat\/completions$/.test(new URL(req.url ?? '/', 'http://x').pathname)) {
      record.answered = '404';
      return sendError(res, 404, `no route ${req.method} ${req.url}`);
    }
    if (!body || !Array.isArray(body.messages)) {
      record.answered = '400 bad body';
      return sendError(res, 400, 'body must be a chat completion request');
    }
    const rf = body.response_format?.type;
    if (rf && rf !== 'text' && (options.responseFormat === 'reject' || (options.responseFormat === 'reject-json-schema' && rf === 'json_schema'))) {
      record.answered = `400 response_format ${rf}`;
      return sendError(res, 400, `response_format of type '${rf}' is not supported by this server`);
    }
    if (!options.vision && imageUrls.length) {
      record.answered = '400 no vision';
      return sendError(res, 400, 'this model does not accept image input');
    }

    const image = images[0] ?? null;
    const attemptKey = `${purpose}:${image?.key ?? prompt.slice(0, 80)}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    let behavior: DoubleBehavior = options.behavior?.({ index, purpose, image, attempt }) ?? 'valid';

    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      if (options.latencyMs > 0) await wait(options.latencyMs);
      while (typeof behavior === 'object' && 'slowMs' in behavior) {
        await wait(behavior.slowMs);
        behavior = behavior.then ?? 'valid';
      }
      if (res.destroyed || req.socket.destroyed) {
        record.answered = 'client gone';
        return;
      }
      if (typeof behavior === 'object') {
        const headers: Record<string, string> = {};
        if (behavior.retryAfter !== undefined) headers['Retry-After'] = behavior.retryAfter;
        if (behavior.retryAfterMs !== undefined) headers['retry-after-ms'] = String(behavior.retryAfterMs);
        record.answered = String(behavior.status);
        return sendError(res, behavior.status, behavior.message ?? `simulated HTTP ${behavior.status}`, headers);
      }
      if (behavior === 'drop') {
        record.answered = 'dropped';
        req.socket.destroy();
        return;
      }

      // The content of the answer.
      let content: string;
      if (purpose === 'probe') {
        if (PROBE_VISION.test(prompt)) content = image ? image.brighterHalf : 'I cannot see an image.';
        else if (PROBE_JSON.test(prompt)) content = '{"ok": true}';
        else content = 'OK';
      } else if (purpose === 'ask') {
        content = image
          ? `The image is ${image.width}x${image.height} pixels with mean grey level ${image.mean.toFixed(1)}; the ${image.brighterHalf} half is brighter.`
          : 'There is no image.';
      } else if (purpose === 'paraphrase') {
        if (behavior === 'invalid-json') content = 'Here are some paraphrases: {"paraphrases": [{"id": "q1", "texts": ["what';
        else if (behavior === 'schema-violation')
          content = JSON.stringify({
            paraphrases: [
              { id: 'q1', texts: ['12345', '', '?!'] },
              { id: 'nope', texts: ['what is it'] },
            ],
          });
        else content = paraphraseAnswer(prompt, options);
        if (rf !== 'json_schema' && behavior === 'valid') content = `Paraphrases:\n${content}`;
      } else if (!image) {
        content = 'No image was attached.';
      } else {
        const classes = classesOf(body, prompt);
        if (behavior === 'invalid-json') content = 'Sure! Here is my analysis: {class: particles, caption: "unterminated';
        else if (behavior === 'schema-violation') content = JSON.stringify({ class: { name: 'not-a-class', confidence: 3 }, caption: '', qa: [] });
        else {
          const answer = validAnswer(image, classes, prompt, options, behavior === 'ignore-calibration');
          if (behavior === 'bad-qa-item') {
            const qa = answer.qa as Record<string, unknown>[];
            qa[qa.length - 1] = { kind: 'opinion', question: '', answer: 'Looks fine to me.', value_nm: null };
          }
          const json = JSON.stringify(answer);
          // A server that ignores response_format talks around the JSON.
          content = !rf || rf === 'text' || options.responseFormat === 'ignore' ? `Here is the analysis:\n\`\`\`json\n${json}\n\`\`\`\nHope this helps.` : json;
        }
      }
      record.answered = typeof behavior === 'string' ? behavior : 'valid';
      const usage = {
        prompt_tokens: tokens(prompt) + 255 * imageUrls.length,
        completion_tokens: tokens(content),
        total_tokens: 0,
      };
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      const id = `chatcmpl-double-${index}`;
      const created = Math.floor(Date.now() / 1000);

      if (body.stream) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
        const pieces = content.match(/.{1,12}/gs) ?? [''];
        const chunk = (delta: Record<string, unknown>, finish: string | null) =>
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: options.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: '' }, null));
        for (const p of pieces) {
          res.write(chunk({ content: p }, null));
          await wait(1);
        }
        if (behavior === 'drop-mid-body') {
          req.socket.destroy();
          return;
        }
        res.write(chunk({}, 'stop'));
        if (body.stream_options?.include_usage) {
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: options.model, choices: [], usage })}\n\n`);
        }
        res.write('data: [DONE]\n\n');
        res.end();
        return;
      }
      const payload = {
        id,
        object: 'chat.completion',
        created,
        model: options.model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage,
      };
      if (behavior === 'drop-mid-body') {
        const text = JSON.stringify(payload);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        await wait(5);
        req.socket.destroy();
        return;
      }
      sendJson(res, 200, payload);
    } finally {
      state.inFlight--;
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, `double failed: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const double: TeacherDouble = {
    baseUrl: `${origin}/v1`,
    origin,
    requests,
    options,
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    reset() {
      requests.length = 0;
      attempts.clear();
      state.maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
  return double;
}
