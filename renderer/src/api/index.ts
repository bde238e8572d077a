// The renderer's only door to the core: `window.emma` under Electron, the loopback HTTP API in a browser.
// Both speak the same EmmaApi contract; nothing here touches Node.
import type { EmmaApi, EmmaBridge, EmmaEvent, EmmaMethod, Envelope, ErrorCode, MediaKind } from '../../../main/core/contract.js';
import { EMMA_METHODS, PAGE_KEY_HEADER, PAGE_KEY_PARAM } from '../../../main/core/contract.js';
import { decodeJson, encodeJson } from './codec.js';

declare global {
  interface Window {
    emma?: EmmaBridge;
  }
}

/** A failed call: the contract's code (what the UI words its message by, lib/errors.ts) and the core's message. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CALL_TIMEOUT_MS = 120_000;

const PAGE_KEY_STORE = 'emma.pageKey';

/**
 * Browser mode: the page key the server handed over once, in the fragment of the address that redeemed the printed
 * code (cookies reach every server on 127.0.0.1, so the API also wants this key; see main/server/http-server.ts).
 * Kept in this origin's storage, so other tabs of the same address have it too; the fragment is then removed.
 */
function pageKey(): string | null {
  if (typeof window === 'undefined' || window.emma) return null;
  try {
    const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    const given = fragment.get(PAGE_KEY_PARAM);
    if (given) {
      try {
        window.localStorage.setItem(PAGE_KEY_STORE, given);
      } catch {
        // storage refused (private mode): this page keeps the key; other tabs will be told why they cannot
      }
      fragment.delete(PAGE_KEY_PARAM);
      const rest = fragment.toString();
      window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
      return given;
    }
    return window.localStorage.getItem(PAGE_KEY_STORE);
  } catch {
    return null; // storage refused: the API answers with the reason
  }
}

const key = pageKey();
const keyHeaders: Record<string, string> = key ? { [PAGE_KEY_HEADER]: key } : {};

function unwrap<T>(envelope: Envelope<unknown>): T {
  if (envelope.ok) return envelope.value as T;
  throw new ApiError(envelope.error.code, envelope.error.message);
}

async function httpInvoke(method: EmmaMethod, args: unknown[]): Promise<Envelope<unknown>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CALL_TIMEOUT_MS);
  try {
    let response: Response;
    try {
      response = await fetch(`/api/call/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...keyHeaders },
        body: encodeJson(args),
        credentials: 'same-origin',
        signal: controller.signal,
      });
    } catch (e) {
      // No answer at all (the core is gone, the network dropped, or it took longer than CALL_TIMEOUT_MS).
      const why = controller.signal.aborted ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : e instanceof Error ? e.message : String(e);
      return { ok: false, error: { code: 'transport', message: why } };
    }
    const text = await response.text();
    try {
      const envelope = decodeJson(text) as Envelope<unknown>;
      // Lab-server mode: the session ended (expired, signed out elsewhere, account disabled): back to sign-in.
      if (response.status === 401 && !envelope.ok && envelope.error.code === 'login_required') window.location.reload();
      return envelope;
    } catch {
      return { ok: false, error: { code: 'transport', message: `HTTP ${response.status}: ${text.slice(0, 300)}` } };
    }
  } finally {
    clearTimeout(timer);
  }
}

const bridge: EmmaBridge | undefined = typeof window !== 'undefined' ? window.emma : undefined;
export const transport: 'electron' | 'http' = bridge ? 'electron' : 'http';

function makeApi(invoke: (method: EmmaMethod, args: unknown[]) => Promise<Envelope<unknown>>): EmmaApi {
  const api: Partial<Record<EmmaMethod, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of EMMA_METHODS) {
    api[method] = async (...args: unknown[]) => unwrap(await invoke(method, args));
  }
  return api as EmmaApi;
}

export const api: EmmaApi = makeApi(bridge ? (m, a) => bridge.invoke(m, a) : httpInvoke);

/** URL of an image rendering: a thumbnail, or the display preview (8-bit, full size up to a limit). */
export function mediaUrl(imageId: number, kind: MediaKind): string {
  return bridge ? `emma-media://image/${imageId}/${kind}` : `/media/image/${imageId}/${kind}${key ? `?${PAGE_KEY_PARAM}=${encodeURIComponent(key)}` : ''}`;
}

interface Subscriber {
  listener: (event: EmmaEvent) => void;
  onOpen?: () => void;
}

// One event stream for the whole page, however many views follow it (a browser allows few connections per host).
const subscribers = new Set<Subscriber>();
let stream: { close(): void; open: boolean } | null = null;

function openStream(): void {
  const each = (event: EmmaEvent) => {
    for (const s of [...subscribers]) s.listener(event);
  };
  if (bridge) {
    const off = bridge.onEvent(each);
    // IPC does not drop: it is open from the start.
    stream = { close: off, open: true };
    return;
  }
  const source = new EventSource(key ? `/api/events?${PAGE_KEY_PARAM}=${encodeURIComponent(key)}` : '/api/events', { withCredentials: true });
  const state = { close: () => source.close(), open: false };
  source.onmessage = (message) => {
    let event: EmmaEvent;
    try {
      event = JSON.parse(message.data as string) as EmmaEvent;
    } catch {
      return; // A malformed event is dropped; the UI re-reads state on the next one.
    }
    each(event);
  };
  source.onopen = () => {
    state.open = true;
    for (const s of [...subscribers]) s.onOpen?.();
  };
  source.onerror = () => {
    state.open = false; // EventSource reconnects by itself; onopen then tells everyone to re-read
  };
  stream = state;
}

/**
 * Subscribe to core events (job progress, library changes). Returns an unsubscribe function. `onOpen` runs when
 * the stream is open (at once if it already is) and after each reconnect: what happened while it was down was not
 * pushed, so re-read what you show.
 */
export function onEvent(listener: (event: EmmaEvent) => void, onOpen?: () => void): () => void {
  const sub: Subscriber = { listener, onOpen };
  subscribers.add(sub);
  if (!stream) openStream();
  if (onOpen && stream?.open) queueMicrotask(() => subscribers.has(sub) && onOpen());
  return () => {
    subscribers.delete(sub);
    if (subscribers.size === 0 && stream) {
      stream.close();
      stream = null;
    }
  };
}

/** The filesystem path of a dropped file, where the platform knows it (Electron); null in a browser. */
export function pathForFile(file: File): string | null {
  if (!bridge) return null;
  try {
    return bridge.pathForFile(file) || null;
  } catch {
    return null;
  }
}

/** Browser mode: streams one file's bytes to POST /api/upload; the answer's id goes to api.importUploads. */
export async function uploadFile(file: File): Promise<{ uploadId: string; name: string; bytes: number }> {
  const response = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...keyHeaders },
    body: file,
    credentials: 'same-origin',
  });
  const text = await response.text();
  let envelope: Envelope<{ uploadId: string; name: string; bytes: number }>;
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    throw new ApiError('transport', `HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  return unwrap(envelope);
}

/** Lab-server mode's signed-in user; `{ lab: false }` in single-user modes. */
export type SessionInfo = { lab: false } | { lab: true; user: string; role: 'operator' | 'lead' };

/** null: lab-server mode and nobody is signed in (show the sign-in page). */
export async function getSession(): Promise<SessionInfo | null> {
  if (bridge) return { lab: false };
  const response = await fetch('/api/session', { credentials: 'same-origin', headers: keyHeaders });
  if (response.status === 401) {
    const body = (await response.json().catch(() => null)) as Envelope<unknown> | null;
    if (body && !body.ok && body.error.code === 'login_required') return null;
    return { lab: false }; // single-user mode without its cookie: the app shows the token message itself
  }
  const body = (await response.json()) as Envelope<SessionInfo>;
  return unwrap(body);
}

export async function signIn(user: string, password: string): Promise<SessionInfo> {
  const response = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
    credentials: 'same-origin',
  });
  const body = (await response
    .json()
    .catch(() => ({ ok: false, error: { code: 'transport', message: `HTTP ${response.status} ${response.statusText}` } }))) as Envelope<SessionInfo>;
  return unwrap(body);
}

export async function signOut(): Promise<void> {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
}
