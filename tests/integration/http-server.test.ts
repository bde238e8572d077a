import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rawRequest } from '../support/http-raw.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';
import { PAGE_KEY_HEADER, PAGE_KEY_PARAM, type JobInfo } from '../../main/core/contract.js';
import { sweepStaleUploads } from '../../main/core/library/uploads.js';

let core: CoreInternals;
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
/** The page key, delivered once in the fragment of that first visit's redirect. */
const keyOnce = async () => new URLSearchParams(String((await visitOnce()).headers.location).split('#')[1] ?? '').get(PAGE_KEY_PARAM) ?? '';

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
    expect(res.headers.location).toMatch(new RegExp(`^/#${PAGE_KEY_PARAM}=[\\w-]{32}$`));
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
      // With the page key too: the Origin check alone must refuse these.
      const c = await cookie();
      const k = { [PAGE_KEY_HEADER]: await keyOnce() };
      for (const headers of <Record<string, string>[]>[
        { cookie: c, origin: 'http://127.0.0.1:9', 'content-type': 'application/json', ...k },
        { cookie: c, origin: 'http://localhost:9', 'content-type': 'text/plain', ...k },
        { cookie: c, origin: 'null', 'content-type': 'application/json', ...k },
        { cookie: c, 'sec-fetch-site': 'same-site', 'content-type': 'application/json', ...k },
        { cookie: c, 'content-type': 'application/json', ...k }, // a cookie but no Origin: not a browser page of ours
        { ...auth(), origin: 'http://127.0.0.1:9' }, // even the bearer token does not excuse a foreign origin
      ]) {
        const res = await raw('/api/call/setTeacherEgress', { method: 'POST', body: '[true]', headers });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body).toMatch(/"forbidden".*Refused: /);
      }
      expect(await egressOn()).toBe(false);
    });

    it('refuses the cookie without the page key, whatever Origin a program sends with it (cookies reach every port)', async () => {
      const c = await cookie();
      const call = { cookie: c, origin: own(), 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' };
      for (const headers of <Record<string, string>[]>[call, { ...call, [PAGE_KEY_HEADER]: 'x'.repeat(32) }, { ...call, [PAGE_KEY_HEADER]: '' }]) {
        for (const [path, method, body] of [
          ['/api/call/setTeacherEgress', 'POST', '[true]'],
          ['/api/call/getStatus', 'POST', '[]'],
          ['/api/session', 'GET', undefined],
          ['/api/events', 'GET', undefined],
          ['/media/image/1/thumb', 'GET', undefined],
          [`/media/image/1/thumb?${PAGE_KEY_PARAM}=${'x'.repeat(32)}`, 'GET', undefined],
        ] as const) {
          const res = await raw(path, { method, body, headers });
          expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
          expect(res.body).toMatch(/page key/);
        }
      }
      // The key is not for sale either: the printed address again, with the cookie, redirects without it.
      const again = await raw(openPath(), { headers: { cookie: c } });
      expect(again.status).toBe(303);
      expect(String(again.headers.location)).not.toContain(await keyOnce());
      expect(await egressOn()).toBe(false);
    });

    it('requires application/json for API calls (forces a CORS preflight on browsers)', async () => {
      const c = await cookie();
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
        const headers: Record<string, string> = { cookie: c, origin: own(), [PAGE_KEY_HEADER]: await keyOnce() };
        if (type) headers['content-type'] = type;
        const res = await raw('/api/call/setTeacherEgress', { method: 'POST', body: '[true]', headers });
        expect(res.status, type).toBe(415);
      }
      expect(await egressOn()).toBe(false);
    });

    it("lets Emma's own page and the bearer-token CLI through", async () => {
      const c = await cookie();
      const page = await raw('/api/call/getStatus', {
        method: 'POST',
        body: '[]',
        headers: {
          cookie: c,
          origin: own(),
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json; charset=utf-8',
          [PAGE_KEY_HEADER]: await keyOnce(),
        },
      });
      expect(JSON.parse(page.body)).toMatchObject({ ok: true });
      // Images take the key in their address (an <img> sends no header): past the checks, no such image.
      const media = await raw(`/media/image/999/thumb?${PAGE_KEY_PARAM}=${await keyOnce()}`, { headers: { cookie: c } });
      expect(media.status).toBe(404);
      const cli = await raw('/api/call/getStatus', { method: 'POST', body: '[]', headers: auth() });
      expect(JSON.parse(cli.body)).toMatchObject({ ok: true });
    });
  });
});

async function settled(id: number): Promise<JobInfo> {
  for (let i = 0; i < 600; i++) {
    const job = await core.api.getJob(id);
    if (job.state !== 'queued' && job.state !== 'running') return job;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Folders left in uploads/ (each streamed upload has its own). */
const uploadsLeft = (): string[] => {
  const dir = join(core.location.dataDir, 'uploads');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('HTTP details', () => {
  const upload = (name: string, bytes: number, extra: { abortAfter?: number; headers?: Record<string, string> } = {}) =>
    rawRequest(server.port, `/api/upload?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'application/octet-stream',
        ...(extra.abortAfter === undefined ? { 'content-length': String(bytes) } : {}),
        ...extra.headers,
      },
      streamBytes: bytes,
      abortAfter: extra.abortAfter,
    });

  it('answers 400 (not 500) to malformed percent-encoding', async () => {
    for (const path of ['/%', '/%zz', '/%c0%ae%c0%ae/x', '/%E0%A4%A']) {
      expect((await raw(path, { headers: auth() })).status, path).toBe(400);
    }
    const call = await raw('/api/call/%zz', { method: 'POST', body: '[]', headers: auth() });
    expect(call.status).toBe(400);
    expect(JSON.parse(call.body)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('does not echo a long unknown method name in full', async () => {
    const name = 'x'.repeat(12_000);
    const res = JSON.parse((await raw(`/api/call/${name}`, { method: 'POST', body: '[]', headers: auth() })).body);
    expect(res.error.code).toBe('unknown_method');
    expect(res.error.message.length).toBeLessThan(200);
    expect(res.error.message).toContain('12000 characters');
  });

  it('streams a 200 MB upload to disk with bounded memory, and removes it when its import fails', async () => {
    const size = 200 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const res = await upload('big scan.tif', size);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(res.status, res.body).toBe(200);
    const { value } = JSON.parse(res.body) as { value: { uploadId: string; name: string; bytes: number } };
    expect(value.bytes).toBe(size);
    expect(value.uploadId).toMatch(/^[0-9a-f]{32}$/);
    const onDisk = join(core.location.dataDir, 'uploads', value.uploadId, value.name);
    expect(statSync(onDisk).size).toBe(size);
    // Server and client share this process: the whole body in memory (let alone base64 JSON) would add > 200 MB.
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);

    // Not an image: the import fails, and the copy no image uses is gone from uploads/.
    const job = await core.api.importUploads([value.uploadId]);
    const done = await settled(job.id);
    expect((done.result as { failed: unknown[] }).failed).toHaveLength(1);
    expect(existsSync(onDisk)).toBe(false);
    expect(uploadsLeft()).not.toContain(value.uploadId);
  });

  it('leaves nothing behind for an upload cut off mid-body or over the limit', async () => {
    const leftBefore = uploadsLeft().length;
    await upload('cut.tif', 64 * 1024 * 1024, { abortAfter: 8 * 1024 * 1024 });
    for (let i = 0; i < 100 && uploadsLeft().length > leftBefore; i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(uploadsLeft().length).toBe(leftBefore);
    const tooBig = await rawRequest(server.port, '/api/upload?name=x.tif', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-length': String(5 * 1024 ** 3) },
    });
    expect(tooBig.status).toBe(413);
    expect(uploadsLeft().length).toBe(leftBefore);
  });

  it('sweeps orphaned upload folders (uploaded, never imported) once they are old, and only those', async () => {
    const res = await upload('orphan.tif', 1024);
    const { uploadId } = JSON.parse(res.body).value as { uploadId: string };
    expect(await sweepStaleUploads(core.db, core.location.dataDir)).toBe(0); // fresh: a batch may still be on its way
    expect(uploadsLeft()).toContain(uploadId);
    await sweepStaleUploads(core.db, core.location.dataDir, 3600_000, Date.now() + 2 * 3600_000);
    expect(uploadsLeft()).not.toContain(uploadId);
    const used = core.db.prepare(`SELECT path FROM images WHERE path LIKE '%/uploads/%'`).all() as { path: string }[];
    for (const { path } of used) expect(existsSync(path)).toBe(true); // imported uploads stay
  });

  it('refuses uploads that are not application/octet-stream, and unknown upload ids', async () => {
    const res = await raw('/api/upload?name=a.tif', { method: 'POST', body: 'abc', headers: { ...auth(), 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    const unknown = JSON.parse((await raw('/api/call/importUploads', { method: 'POST', body: JSON.stringify([['0'.repeat(32)]]), headers: auth() })).body);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const bad = JSON.parse((await raw('/api/call/importUploads', { method: 'POST', body: '[["../../etc"]]', headers: auth() })).body);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
  });

  it.skipIf(!hasSharedData)('imports a streamed real micrograph; a second copy (duplicate) is removed', async () => {
    const file = join(sharedData, 'sem-tiff', 'sem', '1908248.tif');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await new Promise<{ status: number; body: string }>((ok, fail) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/api/upload?name=1908248.tif',
            method: 'POST',
            headers: { host: `127.0.0.1:${server.port}`, ...auth(), 'content-type': 'application/octet-stream' },
          },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => ok({ status: r.statusCode ?? 0, body }));
          },
        );
        req.on('error', fail);
        import('node:fs').then(({ createReadStream }) => createReadStream(file).pipe(req));
      });
      expect(res.status, res.body).toBe(200);
      ids.push(JSON.parse(res.body).value.uploadId);
    }
    const done = await settled((await core.api.importUploads(ids)).id);
    expect(done.result).toMatchObject({ imported: 1, duplicates: 1, failed: [] });
    expect(uploadsLeft().filter((d) => ids.includes(d))).toHaveLength(1);
  });
  if (!hasSharedData) it.skip(SHARED_DATA_MISSING, () => undefined);
});

describe('large JSON bodies', () => {
  it('receives two at once; a third is told to come back (503, Retry-After) instead of being held in memory too', async () => {
    // Two slow clients: headers and the start of a large body, then nothing more for now.
    const open = [0, 1].map(() => {
      const r = request({
        host: '127.0.0.1',
        port: server.port,
        path: '/api/call/saveImageMask',
        method: 'POST',
        headers: { host: `127.0.0.1:${server.port}`, ...auth(), 'content-length': String(64 * 1024 * 1024) },
      });
      r.on('error', () => undefined);
      r.write('[{"imageId":1,');
      return r;
    });
    await new Promise((ok) => setTimeout(ok, 200));
    const third = await raw('/api/call/saveImageMask', { method: 'POST', headers: auth(), body: '[{"imageId":1}]' });
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('1');
    expect(JSON.parse(third.body).error.code).toBe('rate_limited');
    // Small calls are not held back meanwhile.
    expect((await raw('/api/call/getStatus', { method: 'POST', headers: auth(), body: '[]' })).status).toBe(200);
    for (const r of open) r.destroy();
    await new Promise((ok) => setTimeout(ok, 200));
    // Once they are gone, a large call is received again (and validated: this one is not a mask).
    const after = await raw('/api/call/saveImageMask', { method: 'POST', headers: auth(), body: '[{"imageId":1}]' });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body).error.code).toBe('invalid_arguments');
  });
});

describe('one-time address', () => {
  it('works once; the cookie it bought keeps working; a second browser gets a clear refusal', async () => {
    const first = await visitOnce();
    expect(first.status).toBe(303);
    const again = await raw(openPath());
    expect(again.status).toBe(401);
    expect(again.body).toMatch(/works once/);
    const withCookie = await raw(openPath(), { headers: { cookie: await cookieOnce() } });
    expect(withCookie.status).toBe(303);
    expect(withCookie.headers['set-cookie']).toBeUndefined();
    expect((await raw('/', { headers: { cookie: await cookieOnce() } })).status).toBe(200);
    // The cookie is not the bearer token, and the open code is not a credential after its use.
    expect(await cookieOnce()).not.toContain(server.token);
    const code = new URL(server.openUrl).searchParams.get('token')!;
    expect((await raw('/', { headers: { authorization: `Bearer ${code}` } })).status).toBe(401);
  });

  it('redirects only within this server: a path of the form //host is not sent on as another site', async () => {
    // "/./" is dropped by URL parsing, which leaves the path "//evil.example/x".
    const res = await raw('/.//evil.example/x?token=anything', { headers: { cookie: await cookieOnce() } });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/evil.example/x');
  });
});
