import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { CoreEndpoint, CoreInternals } from '../core/api.js';
import type { Db } from '../core/db/database.js';
import { PAGE_KEY_HEADER, PAGE_KEY_PARAM, type AppStatus, type EmmaEvent, type ErrorCode } from '../core/contract.js';
import { errorInfo } from '../core/errors.js';
import { isEmmaMethod } from '../core/dispatch.js';
import { labArguments } from './auth/guard.js';
import { LabAuth, readCookie, SESSION_COOKIE, whoami, type LabServerOptions } from './auth/lab.js';
import { METHOD_ROLES, roleRefusal } from './auth/roles.js';
import { decodeJson, encodeJson } from './codec.js';
import { receiveUpload, UploadError } from './upload.js';
import { sweepStaleUploads } from '../core/library/uploads.js';

export type { LabServerOptions } from './auth/lab.js';

export interface ServerOptions {
  /** The core in this thread (tests) or behind its worker boundary (`emma serve`). */
  core: CoreEndpoint;
  /**
   * The connection for the server's own tables (accounts, sessions) and the upload sweep; an in-process core's
   * by default. With the core in a worker, `emma serve` opens a second connection to the same file.
   */
  db?: Db;
  /** Built renderer (index.html and assets). */
  rendererDir: string;
  /** 127.0.0.1 unless a lab server is configured on purpose. */
  host?: string;
  port?: number;
  /** Bearer token for scripts (Authorization: Bearer ...); a random one per run by default. Single-user mode only. */
  token?: string;
  /** Lab-server mode: user accounts, roles, sessions, confined paths, HTTPS (see main/server/auth). */
  lab?: LabServerOptions;
  /** Largest file accepted by POST /api/upload (default 4 GiB). */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  /**
   * The URL to open. Single-user mode: it carries a one-time code that the first visit trades for an HttpOnly
   * cookie (the address then stops working; the cookie works for the run). Lab-server mode: the sign-in page.
   */
  openUrl: string;
  /** The bearer token for scripts (single-user mode). */
  token: string;
  port: number;
  /** Lab-server mode's accounts, sessions and confinement; absent in single-user mode. */
  lab: LabAuth | null;
  close(): Promise<void>;
}

const COOKIE = 'emma_token';
const MAX_CALL_BYTES = 1024 * 1024;
/** Live event streams at once (each is an open connection); more are refused rather than exhausting sockets. */
const MAX_EVENT_STREAMS = 256;
/** How often unimported uploads older than an hour are swept while the server runs. */
const UPLOAD_SWEEP_MS = 3600_000;
/** How often a lab-server event stream's session is checked again (at its next event). */
const SSE_SESSION_RECHECK_MS = 2000;
/** Large JSON bodies handled at once; more are answered 503 with Retry-After. */
const MAX_BIG_BODIES_AT_ONCE = 2;
/** The old base64-in-JSON upload (startUpload): bounded well below V8's string limit; browsers use /api/upload. */
const MAX_JSON_UPLOAD_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  return readCookie(req, COOKIE);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Names other machines can use to reach a server listening on every interface: the host name and its addresses. */
function reachableNames(): string[] {
  const names = [hostname()];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') names.push(a.address);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv6' && !a.address.startsWith('fe80')) names.push(a.address);
  }
  return names;
}

function hostWithPort(name: string, port: number): string {
  const n = name.trim().toLowerCase();
  if (/^\[.*\]:\d+$/.test(n) || /^[^:]+:\d+$/.test(n)) return n;
  if (/^\[.*\]$/.test(n)) return `${n}:${port}`;
  return n.includes(':') ? `[${n}]:${port}` : `${n}:${port}`;
}

/** The media type of a request body, without parameters (`application/json; charset=utf-8` → `application/json`). */
function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Why a state-changing request must be refused as cross-site, or null when it may go on. A page on 127.0.0.1 at
 * another port is the same *site* as Emma, so SameSite=Strict cookies reach us from it: the cookie alone proves
 * nothing. Browsers name the page that made a request in `Origin` (every POST, fetch or form, cors or no-cors) and
 * in `Sec-Fetch-Site`; only Emma's own origin may change anything. A non-browser client (CLI, tests) sends neither
 * and must authenticate with the bearer token, which no web page can attach without a CORS preflight we never grant.
 */
export function crossSiteRefusal(req: IncomingMessage, scheme: 'http' | 'https', viaCookie: boolean, behindTlsProxy = false): string | null {
  const origin = req.headers.origin;
  const own = `${scheme}://${req.headers.host ?? ''}`;
  // Plain HTTP behind a proxy that terminates HTTPS: the browser's origin is the proxy's https:// address.
  const ownViaProxy = behindTlsProxy ? `https://${req.headers.host ?? ''}` : null;
  if (origin !== undefined && origin !== own && origin !== ownViaProxy) return `requests from ${origin.slice(0, 100)} are not allowed`;
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return `${fetchSite} requests are not allowed`;
  if (viaCookie && origin === undefined) return 'a browser request without an Origin header is not allowed';
  return null;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error(`request body over ${limit} bytes`), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/**
 * The API over HTTP for browser mode and lab-server mode. Loopback only unless told otherwise; the Host header
 * must be one of our names (so a web page elsewhere cannot rebind to us); nothing but a GET may come from another
 * origin. Single-user mode: a per-run secret (one-time address → cookie, or a bearer token for scripts).
 * Lab-server mode: signed-in users with roles, sessions in the database, paths confined to the data folders.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  // The printed address carries this code, good for one visit; the cookie it buys carries another secret.
  const openCode = randomBytes(24).toString('base64url');
  const cookieSecret = randomBytes(32).toString('base64url');
  // Cookies are not kept apart by port: every server on 127.0.0.1 the browser visits receives Emma's cookie, and a
  // program there could replay it with any Origin it likes. So the API also wants this page key, which the browser
  // never sends by itself: it travels once, in the fragment of the redirect that redeems the open code (never sent to
  // a server), and Emma's page keeps it in its own origin's storage and sends it in a header.
  const pageKey = randomBytes(24).toString('base64url');
  let openCodeUsed = false;
  const rendererDir = resolve(options.rendererDir);
  const { core } = options;
  const serverDb = options.db ?? (core as Partial<CoreInternals>).db ?? null;
  if (options.lab && !serverDb) throw new Error('lab-server mode needs a database connection for accounts and sessions');
  const lab = options.lab && serverDb ? new LabAuth(serverDb, options.lab) : null;
  const scheme: 'http' | 'https' = lab?.options.tls ? 'https' : 'http';
  /** Lab-server mode without a certificate is meant to sit behind a proxy that terminates HTTPS (--plain-http). */
  const behindTlsProxy = Boolean(lab && !lab.options.tls);
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  /**
   * Open event streams. In lab-server mode each remembers its session: a stream whose session ended (sign-out, idle
   * or maximum age, account disabled, new password) is closed at the next event instead of going on receiving them.
   */
  const sseClients = new Map<ServerResponse, { session?: string; checkedAt: number }>();
  /** Large JSON bodies (startUpload, saveImageMask) being received or handled now. */
  let bigBodies = 0;
  let port = 0;

  const unsubscribe = core.events.on((event: EmmaEvent) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    const now = Date.now();
    for (const [client, who] of sseClients) {
      if (lab && now - who.checkedAt > SSE_SESSION_RECHECK_MS) {
        if (!lab.sessions.valid(who.session)) {
          sseClients.delete(client);
          client.end();
          continue;
        }
        who.checkedAt = now;
      }
      client.write(data);
    }
  });

  // Lab-server mode: the configured public names (default: the host given, or every name of this machine when
  // listening on all interfaces), plus loopback names for a browser on the server itself.
  const publicNames = (): string[] => {
    const given = lab?.options.publicHosts?.length ? lab.options.publicHosts : isWildcard(host) ? reachableNames() : [host];
    return given.map((n) => hostWithPort(n, port));
  };
  let allowed = new Set<string>();
  const computeAllowedHosts = (): Set<string> => {
    const loop = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!lab) return new Set(isLoopback(host) ? loop : [...loop, ...publicNames()]);
    const names = [...loop, ...publicNames()];
    // A name given without a port also matches the scheme's default port (a proxy or port forwarding in front).
    for (const n of lab.options.publicHosts ?? []) if (!/:\d+$/.test(n) || n.endsWith(']')) names.push(n.toLowerCase());
    return new Set(names);
  };

  const jsonError = (res: ServerResponse, status: number, code: ErrorCode, message: string): void =>
    send(res, status, encodeJson({ ok: false, error: { code, message } }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    if (lab?.options.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    // DNS rebinding guard: only our own host names.
    if (!allowed.has((req.headers.host ?? '').toLowerCase())) return send(res, 421, '{"error":"wrong host"}');
    const url = new URL(req.url ?? '/', 'http://emma.invalid');
    // A malformed escape ("/%zz", overlong UTF-8) is the client's mistake, never a server error.
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return jsonError(res, 400, 'bad_request', 'Malformed percent-encoding in the address.');
    }
    const isRead = req.method === 'GET' || req.method === 'HEAD';

    let viaCookie: boolean;
    let user: ReturnType<LabAuth['user']> = null;
    if (lab) {
      // Sign-in endpoints and the UI itself (public code) need no session; everything under /api and /media does.
      if (url.pathname === '/api/login') {
        if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
        const refusal = crossSiteRefusal(req, scheme, true, behindTlsProxy);
        if (refusal) return jsonError(res, 403, 'forbidden', `Refused: ${refusal}.`);
        if (mediaType(req) !== 'application/json') return jsonError(res, 415, 'bad_request', 'Sign in with application/json.');
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req, 16 * 1024));
        } catch {
          return jsonError(res, 400, 'bad_request', 'Send {"user": "...", "password": "..."}.');
        }
        // Seen through an HTTPS proxy, the browser must send the cookie over HTTPS only.
        const outcome = await lab.login(body, req.socket.remoteAddress ?? 'unknown', req.headers.origin?.startsWith('https://') ?? false);
        if (outcome.cookie) res.setHeader('Set-Cookie', outcome.cookie);
        if (outcome.retryAfterS) res.setHeader('Retry-After', String(outcome.retryAfterS));
        return send(res, outcome.status, JSON.stringify(outcome.body));
      }
      user = lab.user(req);
      if (url.pathname === '/api/logout') {
        if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
        const refusal = crossSiteRefusal(req, scheme, true, behindTlsProxy);
        if (refusal) return jsonError(res, 403, 'forbidden', `Refused: ${refusal}.`);
        res.setHeader('Set-Cookie', lab.logout(req));
        return send(res, 200, '{"ok":true,"value":null}');
      }
      const needsSession = url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/');
      if (needsSession && !user) return jsonError(res, 401, 'login_required', 'Sign in to use this lab server.');
      viaCookie = true;
    } else {
      // First visit: the printed address carries ?token=<one-time code>; trade it for an HttpOnly cookie.
      const queryToken = url.searchParams.get('token');
      if (req.method === 'GET' && queryToken !== null) {
        const hasCookie = sameToken(cookieToken(req), cookieSecret);
        if (!hasCookie) {
          if (openCodeUsed || !sameToken(queryToken, openCode)) {
            return send(
              res,
              401,
              openCodeUsed
                ? 'This address works once and has been used. Go on in the browser that opened it first, or restart `emma serve` for a new address.'
                : 'Wrong access token.',
              'text/plain; charset=utf-8',
            );
          }
          openCodeUsed = true;
          res.setHeader('Set-Cookie', `${COOKIE}=${cookieSecret}; HttpOnly; SameSite=Strict; Path=/`);
        }
        url.searchParams.delete('token');
        res.statusCode = 303;
        // One leading slash: "//host/x" would be read by the browser as another site's address. The page key only
        // with the code's redemption: a cookie alone (replayed from elsewhere) must not buy it.
        res.setHeader('Location', `/${url.pathname.replace(/^\/+/, '')}${url.search || ''}${hasCookie ? '' : `#${PAGE_KEY_PARAM}=${pageKey}`}`);
        return void res.end();
      }
      viaCookie = sameToken(cookieToken(req), cookieSecret);
      if (viaCookie && (url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/'))) {
        // EventSource and <img> cannot send a header: the stream and the images take the key in their address.
        const inAddress = url.pathname === '/api/events' || url.pathname.startsWith('/media/');
        const given = inAddress ? (url.searchParams.get(PAGE_KEY_PARAM) ?? undefined) : headerValue(req, PAGE_KEY_HEADER);
        if (!sameToken(given, pageKey)) {
          return jsonError(
            res,
            403,
            'forbidden',
            "This page holds Emma's cookie but not its page key (a page opened another way than through the address Emma printed, or its site data was cleared). Restart Emma and open the new address it prints.",
          );
        }
      }
      if (!viaCookie && !sameToken(bearerToken(req), token)) {
        return send(
          res,
          401,
          'Emma needs its access token: open the address that Emma printed when it started (it ends with ?token=...).',
          'text/plain; charset=utf-8',
        );
      }
    }

    // Cross-site request forgery: nothing but GET/HEAD reads may come from another origin (see crossSiteRefusal).
    if (!isRead) {
      const refusal = crossSiteRefusal(req, scheme, viaCookie, behindTlsProxy);
      if (refusal) return send(res, 403, encodeJson({ ok: false, error: { code: 'forbidden', message: `Refused: ${refusal}.` } }));
    }

    if (url.pathname === '/api/session') {
      if (!isRead) return send(res, 405, '{"error":"GET only"}');
      return send(res, 200, JSON.stringify({ ok: true, value: user ? whoami(user) : { lab: false } }));
    }

    if (url.pathname === '/api/upload') {
      if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
      // Not a CORS-safelisted type either: a page elsewhere cannot send it without a preflight we never answer.
      if (mediaType(req) !== 'application/octet-stream') {
        return jsonError(res, 415, 'bad_request', 'Uploads are sent as application/octet-stream, one file per request.');
      }
      try {
        const value = await receiveUpload(req, core.location.dataDir, url.searchParams.get('name') ?? '', maxUpload);
        return send(res, 200, encodeJson({ ok: true, value }));
      } catch (e) {
        const status = e instanceof UploadError ? e.status : 500;
        res.setHeader('Connection', 'close');
        return jsonError(res, status, status === 413 ? 'too_large' : 'bad_request', (e as Error).message);
      }
    }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
      // application/json cannot be sent cross-origin without a CORS preflight, which this server never answers.
      if (mediaType(req) !== 'application/json') {
        return send(res, 415, encodeJson({ ok: false, error: { code: 'bad_request', message: 'API calls must be sent as application/json.' } }));
      }
      const method = path.slice('/api/call/'.length);
      // Lab-server mode: the role is checked before the body is even read.
      if (user && isEmmaMethod(method)) {
        const refusal = roleRefusal(method, user.role);
        if (refusal) return jsonError(res, 403, 'forbidden', refusal);
      }
      // A large JSON body (a base64 upload, a label image) is held whole in this thread, several times over while it
      // is decoded: only a few at once, so that a burst of them cannot exhaust the server's memory.
      const big = method === 'startUpload' || method === 'saveImageMask';
      if (big && bigBodies >= MAX_BIG_BODIES_AT_ONCE) {
        res.setHeader('Retry-After', '1');
        res.setHeader('Connection', 'close');
        return jsonError(res, 503, 'rate_limited', 'The server is receiving other large requests: try again in a moment.');
      }
      if (big) bigBodies++;
      try {
        let args: unknown;
        try {
          args = decodeJson(await readBody(req, big ? MAX_JSON_UPLOAD_BYTES : MAX_CALL_BYTES));
        } catch (e) {
          const status = (e as { status?: number }).status ?? 400;
          return send(res, status, encodeJson({ ok: false, error: { code: 'bad_request', message: (e as Error).message } }));
        }
        if (user && lab && isEmmaMethod(method)) {
          try {
            args = await labArguments(method, args, user, lab.paths);
          } catch (e) {
            return send(res, 200, encodeJson({ ok: false, error: errorInfo(e) }));
          }
        }
        let envelope = await core.call(method, args);
        // Where the server keeps its database and files is for whoever runs it (leads), not for every operator.
        if (user && lab && method === 'getStatus' && user.role !== 'lead' && envelope.ok) {
          envelope = { ok: true, value: { ...(envelope.value as AppStatus), dbPath: 'on the lab server', dataDir: 'on the lab server' } };
        }
        if (user && lab && isEmmaMethod(method) && METHOD_ROLES[method] === 'lead') {
          lab.recordLeadCall(user, method, envelope.ok ? { ok: true } : { ok: false, code: envelope.error.code });
        }
        return send(res, 200, encodeJson(envelope));
      } finally {
        if (big) bigBodies--;
      }
    }

    if (!isRead) return send(res, 405, '{"error":"GET only"}');

    if (url.pathname === '/api/events') {
      // A (re)connected client may have missed events: tell it to re-read what it shows.
      if (sseClients.size >= MAX_EVENT_STREAMS) {
        return jsonError(res, 503, 'rate_limited', `This server already serves ${MAX_EVENT_STREAMS} live views; close some browser tabs and reload.`);
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(`data: ${JSON.stringify({ type: 'library-changed' } satisfies EmmaEvent)}\n\n`);
      sseClients.set(res, { session: lab ? readCookie(req, SESSION_COOKIE) : undefined, checkedAt: 0 });
      req.on('close', () => sseClients.delete(res));
      return;
    }

    const media = /^\/media\/image\/(\d+)\/(thumb|preview)$/.exec(url.pathname);
    if (media) {
      try {
        const file = await core.media.file(Number(media[1]), media[2] as 'thumb' | 'preview');
        return streamFile(res, file, 'image/jpeg', 'private, max-age=3600');
      } catch (e) {
        return send(res, (e as { code?: string }).code === 'not_found' ? 404 : 500, JSON.stringify({ error: (e as Error).message }));
      }
    }

    // The built renderer; unknown paths get index.html (client-side views).
    const rel = normalize(path).replace(/^([/\\])+/, '');
    const file = join(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return send(res, 403, '{"error":"outside the app"}');
    const target = rel && (await isFile(file)) ? file : join(rendererDir, 'index.html');
    if (!(await isFile(target))) {
      return send(res, 503, 'The UI is not built yet: run `npm run build`.', 'text/plain; charset=utf-8');
    }
    return streamFile(res, target, CONTENT_TYPES[extname(target)] ?? 'application/octet-stream', 'no-cache');
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: (e as Error).message }));
      else res.destroy();
    });
  };
  const server: Server = lab?.options.tls
    ? (createTlsServer({ cert: lab.options.tls.cert, key: lab.options.tls.key }, onRequest) as unknown as Server)
    : createServer(onRequest);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  allowed = computeAllowedHosts();
  if (serverDb) await sweepStaleUploads(serverDb, core.location.dataDir).catch(() => 0);
  // A long-running server sweeps again every hour: uploads never imported (a closed tab, a client that only uploads)
  // would otherwise fill the disk until the next restart.
  const sweeper = serverDb ? setInterval(() => void sweepStaleUploads(serverDb, core.location.dataDir).catch(() => 0), UPLOAD_SWEEP_MS).unref() : null;
  // The address to print: one that other machines can open in lab-server mode (never 0.0.0.0).
  const shown = lab || !isLoopback(host) ? publicNames()[0] : hostWithPort(host, port);
  const url = `${scheme}://${shown}/`;
  return {
    url,
    openUrl: lab ? url : `${url}?token=${openCode}`,
    token,
    port,
    lab,
    async close() {
      if (sweeper) clearInterval(sweeper);
      unsubscribe();
      for (const client of sseClients.keys()) client.end();
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function streamFile(res: ServerResponse, file: string, type: string, cache: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', cache);
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
