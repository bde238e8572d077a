import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createCore, type EmmaCore } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { tempDir } from '../support/paths.js';

let core: EmmaCore;
let server: RunningServer;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  const rendererDir = join(t.dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Emma</title>');
  writeFileSync(join(t.dir, 'secret.txt'), 'do not serve');
  core = createCore({ dbPath: join(t.dir, 'db', 'emma.sqlite'), mode: 'browser' });
  server = await startServer({ core, rendererDir });
});

afterAll(async () => {
  await server.close();
  await core.close();
  cleanup();
});

/** Raw HTTP, so the Host header and paths are exactly what we say (fetch would normalise them). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${server.port}`, ...options.headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    if (options.body) req.write(options.body);
    req.end();
  });
}

const auth = () => ({ authorization: `Bearer ${server.token}`, 'content-type': 'application/json' });

/** The printed address's path and one-time code. */
const openPath = () => {
  const u = new URL(server.openUrl);
  return u.pathname + u.search;
};
/** The address works once: the first visit's answer (and its cookie) is kept for every test that needs one. */
let firstVisit: Promise<Awaited<ReturnType<typeof raw>>> | null = null;
const visitOnce = () => (firstVisit ??= raw(openPath()));
const cookieOnce = async () => String((await visitOnce()).headers['set-cookie']).split(';')[0];

describe('HTTP binding', () => {
  it('listens on loopback only by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses requests without the token', async () => {
    expect((await raw('/')).status).toBe(401);
    expect((await raw('/api/call/getStatus', { method: 'POST', body: '[]' })).status).toBe(401);
    expect((await raw('/api/call/getStatus', { method: 'POST', body: '[]', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('trades the URL token for an HttpOnly cookie and drops it from the address', async () => {
    const res = await visitOnce();
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await raw('/', { headers: { cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('rejects a foreign Host header (DNS rebinding)', async () => {
    expect((await raw('/', { headers: { ...auth(), host: 'evil.example:80' } })).status).toBe(421);
  });

  it('answers API calls in envelopes and validates arguments', async () => {
    const ok = await raw('/api/call/getStatus', { method: 'POST', body: '[]', headers: auth() });
    const status = JSON.parse(ok.body);
    expect(status.ok).toBe(true);
    expect(status.value.imageCount).toBe(0);
    const bad = JSON.parse((await raw('/api/call/getImage', { method: 'POST', body: '["7"]', headers: auth() })).body);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    const missing = JSON.parse((await raw('/api/call/getImage', { method: 'POST', body: '[7]', headers: auth() })).body);
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const unknown = JSON.parse((await raw('/api/call/dropTables', { method: 'POST', body: '[]', headers: auth() })).body);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect((await raw('/api/call/getStatus', { method: 'GET', headers: auth() })).status).toBe(405);
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const res = await raw(path, { headers: auth() });
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('refuses non-GET requests for media and pages', async () => {
    expect((await raw('/media/image/1/thumb', { method: 'POST', headers: auth() })).status).toBe(405);
    expect((await raw('/media/image/999/thumb', { headers: auth() })).status).toBe(404);
  });

  describe('cross-site request forgery', () => {
    const own = () => `http://127.0.0.1:${server.port}`;
    const cookie = cookieOnce;
    const egressOn = async () => (await core.api.getTeacherSettings()).egress.enabled;

    it('refuses a state change from another origin on the same host, with the cookie', async () => {
      const c = await cookie();
      for (const headers of <Record<string, string>[]>[
        { cookie: c, origin: 'http://127.0.0.1:9', 'content-type': 'application/json' },
        { cookie: c, origin: 'http://localhost:9', 'content-type': 'text/plain' },
        { cookie: c, origin: 'null', 'content-type': 'application/json' },
        { cookie: c, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
        { cookie: c, 'content-type': 'application/json' }, // a cookie but no Origin: not a browser page of ours
        { ...auth(), origin: 'http://127.0.0.1:9' }, // even the bearer token does not excuse a foreign origin
      ]) {
        const res = await raw('/api/call/setTeacherEgress', { method: 'POST', body: '[true]', headers });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body).toMatch(/forbidden/);
      }
      expect(await egressOn()).toBe(false);
    });

    it('requires application/json for API calls (forces a CORS preflight on browsers)', async () => {
      const c = await cookie();
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
        const headers: Record<string, string> = { cookie: c, origin: own() };
        if (type) headers['content-type'] = type;
        const res = await raw('/api/call/setTeacherEgress', { method: 'POST', body: '[true]', headers });
        expect(res.status, type).toBe(415);
      }
      expect(await egressOn()).toBe(false);
    });

    it('lets Emma\'s own page and the bearer-token CLI through', async () => {
      const c = await cookie();
      const page = await raw('/api/call/getStatus', {
        method: 'POST',
        body: '[]',
        headers: { cookie: c, origin: own(), 'sec-fetch-site': 'same-origin', 'content-type': 'application/json; charset=utf-8' },
      });
      expect(JSON.parse(page.body)).toMatchObject({ ok: true });
      const cli = await raw('/api/call/getStatus', { method: 'POST', body: '[]', headers: auth() });
      expect(JSON.parse(cli.body)).toMatchObject({ ok: true });
    });
  });
});
