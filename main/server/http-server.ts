import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { EmmaCore } from '../core/api.js';
import type { EmmaEvent } from '../core/contract.js';
import { dispatch } from '../core/dispatch.js';
import { decodeJson, encodeJson } from './codec.js';

export interface ServerOptions {
  core: EmmaCore;
  /** Built renderer (index.html and assets). */
  rendererDir: string;
  /** 127.0.0.1 unless a lab server is configured on purpose. */
  host?: string;
  port?: number;
  /** Access token; a random one per run by default. */
  token?: string;
}

export interface RunningServer {
  url: string;
  /** The URL to open: it carries the token once, which then lives in an HttpOnly cookie. */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const COOKIE = 'emma_token';
const MAX_CALL_BYTES = 1024 * 1024;
const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

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
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
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
export function crossSiteRefusal(req: IncomingMessage, scheme: 'http' | 'https', viaCookie: boolean): string | null {
  const origin = req.headers.origin;
  const own = `${scheme}://${req.headers.host ?? ''}`;
  if (origin !== undefined && origin !== own) return `requests from ${origin.slice(0, 100)} are not allowed`;
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
 * The API over HTTP for browser mode and lab-server mode. Loopback only unless told otherwise, every request
 * needs the per-run token, and the Host header must match (so a web page elsewhere cannot rebind to us).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const { core } = options;
  const sseClients = new Set<ServerResponse>();
  let port = 0;

  const unsubscribe = core.events.on((event: EmmaEvent) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const client of sseClients) client.write(data);
  });

  const allowedHosts = (): Set<string> =>
    new Set(isLoopback(host) ? [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`] : []);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://emma.invalid');
    // DNS rebinding guard: on loopback, only our own host names.
    if (isLoopback(host) && !allowedHosts().has(req.headers.host ?? '')) return send(res, 421, '{"error":"wrong host"}');

    // First visit: the printed URL carries ?token=; trade it for an HttpOnly cookie and drop it from the address.
    const queryToken = url.searchParams.get('token');
    if (req.method === 'GET' && queryToken !== null) {
      if (!sameToken(queryToken, token)) return send(res, 401, 'Wrong access token.', 'text/plain; charset=utf-8');
      res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      res.statusCode = 303;
      res.setHeader('Location', url.pathname + (url.search || ''));
      return void res.end();
    }
    const viaCookie = sameToken(cookieToken(req), token);
    if (!viaCookie && !sameToken(bearerToken(req), token)) {
      return send(
        res,
        401,
        'Emma needs its access token: open the address that Emma printed when it started (it ends with ?token=...).',
        'text/plain; charset=utf-8',
      );
    }

    // Cross-site request forgery: nothing but GET/HEAD reads may come from another origin (see crossSiteRefusal).
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const refusal = crossSiteRefusal(req, 'http', viaCookie);
      if (refusal) return send(res, 403, encodeJson({ ok: false, error: { code: 'forbidden', message: `Refused: ${refusal}.` } }));
    }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(res, 405, '{"error":"POST only"}');
      // application/json cannot be sent cross-origin without a CORS preflight, which this server never answers.
      if (mediaType(req) !== 'application/json') {
        return send(res, 415, encodeJson({ ok: false, error: { code: 'bad_request', message: 'API calls must be sent as application/json.' } }));
      }
      const method = decodeURIComponent(url.pathname.slice('/api/call/'.length));
      let args: unknown;
      try {
        args = decodeJson(await readBody(req, method === 'startUpload' ? MAX_UPLOAD_BYTES : MAX_CALL_BYTES));
      } catch (e) {
        const status = (e as { status?: number }).status ?? 400;
        return send(res, status, encodeJson({ ok: false, error: { code: 'bad_request', message: (e as Error).message } }));
      }
      const envelope = await dispatch(core.api, method, args);
      return send(res, 200, encodeJson(envelope));
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '{"error":"GET only"}');

    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      // A (re)connected client may have missed events: tell it to re-read what it shows.
      res.write(`data: ${JSON.stringify({ type: 'library-changed' } satisfies EmmaEvent)}\n\n`);
      sseClients.add(res);
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
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = join(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return send(res, 403, '{"error":"outside the app"}');
    const target = rel && (await isFile(file)) ? file : join(rendererDir, 'index.html');
    if (!(await isFile(target))) {
      return send(res, 503, 'The UI is not built yet: run `npm run build`.', 'text/plain; charset=utf-8');
    }
    return streamFile(res, target, CONTENT_TYPES[extname(target)] ?? 'application/octet-stream', 'no-cache');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: (e as Error).message }));
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    token,
    port,
    async close() {
      unsubscribe();
      for (const client of sseClients) client.end();
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
