import { net, protocol } from 'electron';
import { stat } from 'node:fs/promises';
import { normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreEndpoint } from '../core/api.js';

const CSP =
  "default-src 'self'; img-src 'self' data: blob: emma-media:; style-src 'self'; script-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: 'emma-media', privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain' } });
}

/** app://emma/... serves the built renderer; emma-media://image/<id>/<kind> serves renderings. GET only, no traversal. */
export function handleProtocols(core: CoreEndpoint, rendererDir: string): void {
  const root = resolve(rendererDir);
  protocol.handle('app', async (request) => {
    if (request.method !== 'GET') return refuse(405, 'GET only');
    const url = new URL(request.url);
    if (url.host !== 'emma') return refuse(404, 'unknown host');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = resolve(root, rel || 'index.html');
    if (file !== root && !file.startsWith(root + sep)) return refuse(403, 'outside the app');
    const target = (await isFile(file)) ? file : resolve(root, 'index.html');
    const response = await net.fetch(pathToFileURL(target).href);
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
  protocol.handle('emma-media', async (request) => {
    if (request.method !== 'GET') return refuse(405, 'GET only');
    const url = new URL(request.url);
    const match = /^\/(\d+)\/(thumb|preview)$/.exec(url.pathname);
    if (url.host !== 'image' || !match) return refuse(404, 'not found');
    try {
      const file = await core.media.file(Number(match[1]), match[2] as 'thumb' | 'preview');
      return net.fetch(pathToFileURL(file).href);
    } catch (e) {
      return refuse((e as { code?: string }).code === 'not_found' ? 404 : 500, (e as Error).message);
    }
  });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
