// Lab-server mode over real HTTP(S): accounts in a real SQLite file, scrypt hashes, sessions with a clock the
// test moves (no waiting), roles checked before dispatch, login rate limits, paths confined to the data folders
// (../, symbolic links and absolute paths), the reviewer taken from the session, HTTPS and the Host check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import type { JobInfo } from '../../main/core/contract.js';
import { PathConfinement } from '../../main/server/auth/confine.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { rawRequest, type RawOptions } from '../support/http-raw.js';
import { hasSharedData, SHARED_DATA_MISSING, sharedData, tempDir } from '../support/paths.js';

let core: CoreInternals;
let server: RunningServer;
let cleanup: () => void;
let root: string;
let outside: string;
let now = Date.UTC(2026, 0, 5, 8, 0, 0);
const PW = { olga: 'operator-password-1', lena: 'lead-password-2' };
const IDLE_MS = 30 * 60_000;

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  root = join(t.dir, 'lab-data');
  outside = join(t.dir, 'outside');
  mkdirSync(join(root, 'folder'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.tif'), 'not for operators');
  symlinkSync(join(outside, 'secret.tif'), join(root, 'escape.tif'));
  symlinkSync(outside, join(root, 'folder', 'linked-out'));
  symlinkSync(outside, join(root, 'exports-link'));
  // "proj" leads out; "proj " (a trailing space) is a real, empty folder inside.
  symlinkSync(outside, join(root, 'proj'));
  mkdirSync(join(root, 'proj '));
  mkdirSync(join(root, 'masks'));
  symlinkSync(join(outside, 'secret.tif'), join(root, 'masks', 'secret_m.tif'));
  const rendererDir = join(t.dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Emma</title>');
  const roots = hasSharedData ? [root, sharedData] : [root];
  const confinement = new PathConfinement(roots);
  core = createCore({ dbPath: join(t.dir, 'db', 'emma.sqlite'), mode: 'lab-server', allowLinkTarget: (p) => confinement.inside(p) });
  server = await startServer({
    core,
    rendererDir,
    lab: {
      dataRoots: roots,
      publicHosts: ['emma.lab.test'],
      now: () => now,
      session: { maxAgeMs: 8 * 3600_000, idleMs: IDLE_MS },
    },
  });
  await server.lab!.users.add('olga', 'operator', PW.olga);
  await server.lab!.users.add('lena', 'lead', PW.lena);
});

afterAll(async () => {
  await server?.close();
  await core?.close();
  cleanup?.();
});

const host = () => `emma.lab.test:${server.port}`;
const origin = () => `http://${host()}`;
const req = (path: string, o: RawOptions = {}) => rawRequest(server.port, path, { ...o, headers: { host: host(), ...o.headers } });

async function login(user: string, password: string, headers: Record<string, string> = {}, localAddress?: string) {
  return req('/api/login', {
    method: 'POST',
    body: JSON.stringify({ user, password }),
    headers: { origin: origin(), 'content-type': 'application/json', ...headers },
    localAddress,
  });
}

async function signIn(user: keyof typeof PW): Promise<string> {
  const res = await login(user, PW[user]);
  expect(res.status, res.body).toBe(200);
  return String(res.headers['set-cookie']).split(';')[0];
}

async function call(cookie: string, method: string, ...args: unknown[]) {
  const res = await req(`/api/call/${method}`, {
    method: 'POST',
    body: JSON.stringify(args),
    headers: { cookie, origin: origin(), 'content-type': 'application/json' },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads its own method's answer shape
  return { status: res.status, envelope: JSON.parse(res.body) as { ok: boolean; value?: any; error?: { code: string; message: string } } };
}

async function settled(id: number): Promise<JobInfo> {
  for (let i = 0; i < 600; i++) {
    const job = await core.api.getJob(id);
    if (job.state !== 'queued' && job.state !== 'running') return job;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Moves the clock past every rate-limit memory (and every session). */
const forgetFailures = () => (now += 2 * 3600_000);

describe('lab-server sign-in and sessions', () => {
  it('prints an address other machines can open, and keeps the Host check with the configured names', async () => {
    expect(server.url).toBe(`http://emma.lab.test:${server.port}/`);
    expect(server.openUrl).not.toContain('token');
    expect((await req('/', { headers: { host: 'evil.example' } })).status).toBe(421);
    expect((await req('/', { headers: { host: `attacker.test:${server.port}` } })).status).toBe(421);
    expect((await req('/')).status).toBe(200);
  });

  it('serves the UI to anyone but nothing else without a session; the single-user token means nothing here', async () => {
    expect((await req('/')).body).toContain('<title>Emma</title>');
    for (const path of ['/api/session', '/media/image/1/thumb', '/api/events']) {
      const res = await req(path);
      expect(res.status, path).toBe(401);
      expect(JSON.parse(res.body).error.code).toBe('login_required');
    }
    const bearer = await req('/api/call/getStatus', {
      method: 'POST',
      body: '[]',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    });
    expect(bearer.status).toBe(401);
    expect((await req(`/?token=${server.token}`)).status).toBe(200); // just the UI, no cookie
  });

  it('signs in with the right password only, into an HttpOnly SameSite=Strict session', async () => {
    expect((await login('olga', 'wrong-password-x')).status).toBe(401);
    expect((await login('nobody', PW.olga)).status).toBe(401);
    const res = await login('OLGA', PW.olga); // names are case-insensitive
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^emma_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP in this test; see the TLS test
    const me = await req('/api/session', { headers: { cookie: cookie.split(';')[0] } });
    expect(JSON.parse(me.body).value).toEqual({ lab: true, user: 'olga', role: 'operator' });
    // Only a hash of the session id is stored.
    const stored = core.db.prepare(`SELECT id_hash FROM user_sessions`).all() as { id_hash: string }[];
    expect(stored.some((r) => cookie.includes(r.id_hash))).toBe(false);
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.id_hash))).toBe(true);
    forgetFailures();
  });

  it('behind a proxy that terminates HTTPS (plain HTTP here), takes its https:// origin and sets a Secure cookie', async () => {
    const res = await login('olga', PW.olga, { origin: `https://${host()}` });
    expect(res.status, res.body).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    expect((await login('olga', PW.olga, { origin: `https://evil.example` })).status).toBe(403);
    forgetFailures();
  });

  it('refuses a state-changing call with a valid session from any other origin, over either scheme', async () => {
    const op = await signIn('olga');
    const jobsBefore = (await core.api.listJobs(1000)).length;
    const from = (headers: Record<string, string>) =>
      req('/api/call/startImport', {
        method: 'POST',
        body: JSON.stringify([{ paths: ['folder'] }]),
        headers: { cookie: op, 'content-type': 'application/json', ...headers },
      });
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { origin: 'https://evil.example' },
      { origin: `https://evil.example:${server.port}` },
      { origin: 'null' },
      {}, // no Origin at all, with a cookie
      { origin: origin(), 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await from(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect((await core.api.listJobs(1000)).length).toBe(jobsBefore); // nothing started
  });

  it('refuses a sign-in from another origin or without one (CSRF), and one not sent as JSON', async () => {
    expect((await login('olga', PW.olga, { origin: 'http://evil.example' })).status).toBe(403);
    const noOrigin = await req('/api/login', {
      method: 'POST',
      body: JSON.stringify({ user: 'olga', password: PW.olga }),
      headers: { 'content-type': 'application/json' },
    });
    expect(noOrigin.status).toBe(403);
    expect((await login('olga', PW.olga, { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('ends a session at logout, after idling, at its maximum age, and when the user is disabled or gets a new password', async () => {
    const whoami = async (cookie: string) => (await req('/api/session', { headers: { cookie } })).status;

    const a = await signIn('olga');
    expect(await whoami(a)).toBe(200);
    const out = await req('/api/logout', { method: 'POST', headers: { cookie: a, origin: origin() } });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect(await whoami(a)).toBe(401);

    const b = await signIn('olga');
    now += IDLE_MS - 60_000;
    expect(await whoami(b)).toBe(200); // used: the idle timer restarts
    now += IDLE_MS - 60_000;
    expect(await whoami(b)).toBe(200);
    now += IDLE_MS + 1;
    expect(await whoami(b)).toBe(401);

    const c = await signIn('olga');
    for (let i = 0; i < 20; i++) {
      now += 25 * 60_000; // busy all day, never idle
      if (i < 18) expect(await whoami(c)).toBe(200);
    }
    expect(await whoami(c)).toBe(401); // past 8 h

    const d = await signIn('olga');
    server.lab!.users.setDisabled('olga', true);
    expect(await whoami(d)).toBe(401);
    expect((await login('olga', PW.olga)).status).toBe(401);
    server.lab!.users.setDisabled('olga', false);
    const e = await signIn('olga');
    await server.lab!.users.setPassword('olga', PW.olga);
    expect(await whoami(e)).toBe(401);
    forgetFailures();
  });

  it('rate-limits failed sign-ins per name and per address, with Retry-After', async () => {
    forgetFailures();
    for (let i = 0; i < 4; i++) expect((await login('lena', `guess-number-${i}`)).status).toBe(401);
    const blocked = await login('lena', PW.lena); // the right password, but too soon
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The address is blocked too: another name from the same computer waits as well.
    expect((await login('olga', PW.olga)).status).toBe(429);
    now += 1500;
    expect((await login('lena', PW.lena)).status).toBe(200);
    // One more failure from this address doubles the wait.
    expect((await login('olga', 'wrong-again-xx')).status).toBe(401);
    now += 1500;
    expect((await login('olga', PW.olga)).status).toBe(429);
    now += 1000;
    expect((await login('olga', PW.olga)).status).toBe(200);
    forgetFailures();
  });

  it('checks one sign-in per name and computer at a time, so a burst sent at once gets no more guesses', async () => {
    forgetFailures();
    const burst = await Promise.all([...Array.from({ length: 12 }, (_, i) => login('lena', `burst-guess-${i}`)), login('lena', PW.lena)]);
    const codes = burst.map((r) => r.status);
    // Without the one-at-a-time rule all 12 wrong passwords were checked (401) before the first failure counted.
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(4);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(8);
    expect(burst.find((r) => r.status === 429)!.headers['retry-after']).toBeDefined();
    forgetFailures();
  });

  it('wrong passwords from one computer slow that computer down, not the account for everyone', async () => {
    forgetFailures();
    for (let i = 0; i < 4; i++) expect((await login('olga', `wrong-guess-${i}`, {}, '127.0.0.3')).status).toBe(401);
    expect((await login('olga', PW.olga, {}, '127.0.0.3')).status).toBe(429);
    expect((await login('olga', PW.olga, {}, '127.0.0.4')).status).toBe(200);
    // Many guesses at one name from many computers still slow that name down.
    forgetFailures();
    for (let i = 0; i < 11; i++) expect((await login('lena', `spread-guess-${i}`, {}, `127.0.1.${i + 1}`)).status).toBe(401);
    expect((await login('lena', PW.lena, {}, '127.0.0.9')).status).toBe(429);
    forgetFailures();
  });

  it('closes a live event stream once its session has ended', async () => {
    const op = await signIn('olga');
    const ended = new Promise<string>((ok, fail) => {
      const r = httpGet({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { host: host(), cookie: op } }, (res) => {
        let got = '';
        res.on('data', (c: Buffer) => (got += c.toString()));
        res.on('end', () => ok(got));
      });
      r.on('error', fail);
    });
    await new Promise((ok) => setTimeout(ok, 100));
    expect((await req('/api/logout', { method: 'POST', headers: { cookie: op, origin: origin() } })).status).toBe(200);
    core.events.emit({ type: 'library-changed' });
    const got = await ended;
    expect(got).toContain('library-changed'); // the greeting; the event after the sign-out never arrives
    expect(got.split('data:').length - 1).toBe(1);
  });
});

describe('lab-server roles', () => {
  it('lets an operator read, import and review, and refuses lead-only methods before dispatch', async () => {
    const op = await signIn('olga');
    expect((await call(op, 'getStatus')).envelope.ok).toBe(true);
    for (const [method, args] of [
      ['setTeacherEgress', [true]],
      ['updateTeacherConfig', [{ baseUrl: 'http://127.0.0.1:1/v1' }]],
      ['applyTaxonomySet', ['x']],
      ['activateModelVersion', [1]],
      ['listTeacherAudit', [10]],
      ['exportReview', [{ format: 'jsonl', outPath: 'x.jsonl' }]],
    ] as const) {
      const r = await call(op, method, ...args);
      expect(r.status, method).toBe(403);
      expect(r.envelope.error!.code).toBe('forbidden');
      expect(r.envelope.error!.message).toMatch(/lead/);
    }
    expect((await core.api.getTeacherSettings()).egress.enabled).toBe(false);
    expect((await call(op, 'dropTables')).envelope.error!.code).toBe('unknown_method');
  });

  it("shows the server's database and data paths to leads only", async () => {
    const op = (await call(await signIn('olga'), 'getStatus')).envelope.value;
    expect(op.dbPath).toBe('on the lab server');
    expect(JSON.stringify(op)).not.toContain(core.location.dataDir);
    const lead = (await call(await signIn('lena'), 'getStatus')).envelope.value;
    expect(lead.dbPath).toBe(core.location.dbPath);
  });

  it('lets a lead switch egress (and back)', async () => {
    const lead = await signIn('lena');
    expect((await call(lead, 'setTeacherEgress', true)).envelope).toMatchObject({ ok: true });
    expect((await core.api.getTeacherSettings()).egress.enabled).toBe(true);
    expect((await call(lead, 'setTeacherEgress', false)).envelope).toMatchObject({ ok: true });
    const audit = (await call(lead, 'listTeacherAudit', 10)).envelope.value as { actor: string; action: string; details: { method?: string } }[];
    // The core's lines say "lab-server"; the server's line names who it was.
    expect(audit.filter((a) => a.action === 'teacher.lab-call').map((a) => [a.actor, a.details.method])).toEqual([
      ['lena', 'setTeacherEgress'],
      ['lena', 'setTeacherEgress'],
    ]);
  });
});

describe('lab-server reviewer identity', () => {
  it.skipIf(!hasSharedData)('records the signed-in user as the reviewer, whatever name the client sends', async () => {
    const op = await signIn('olga');
    const file = join(sharedData, 'sem-tiff', 'sem', '1908248.tif');
    const started = await call(op, 'startImport', { paths: [file] });
    expect(started.envelope.ok, JSON.stringify(started.envelope)).toBe(true);
    await settled(started.envelope.value.id);
    const image = (await core.api.listImages({ offset: 0, limit: 10 })).items.find((i) => i.fileName === '1908248.tif')!;
    const decided = await call(op, 'decideReview', { imageId: image.id, action: 'flag', reviewer: 'lena', note: 'needs an expert' });
    expect(decided.envelope.ok, JSON.stringify(decided.envelope)).toBe(true);
    expect(decided.envelope.value.reviewer).toBe('olga');
    const history = await core.api.listReviewHistory({ imageId: image.id, limit: 5 });
    expect(history.map((d) => d.reviewer)).toEqual(['olga']);
    // Undo acts as the signed-in user too: "lena's newest decision" is not reachable by naming her.
    const undo = await call(op, 'undoReview', { reviewer: 'lena' });
    expect(undo.envelope.ok).toBe(true);
    expect(undo.envelope.value.undo.reviewer).toBe('olga');

    // A colleague's decision, named by its id: an operator may not undo it, a lead may.
    const lead = await signIn('lena');
    const leads = await call(lead, 'decideReview', { imageId: image.id, action: 'flag', reviewer: 'lena', note: 'second look' });
    expect(leads.envelope.ok, JSON.stringify(leads.envelope)).toBe(true);
    const refused = await call(op, 'undoReview', { reviewer: 'olga', decisionId: leads.envelope.value.id, ownOnly: false });
    expect(refused.envelope).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(refused.envelope.error?.message).toMatch(/made by lena; only lena or a lead/);
    const opsOwn = await call(op, 'decideReview', { imageId: image.id, action: 'flag', reviewer: 'olga', note: 'third' });
    expect(opsOwn.envelope.ok, JSON.stringify(opsOwn.envelope)).toBe(true);
    const byLead = await call(lead, 'undoReview', { reviewer: 'lena', decisionId: opsOwn.envelope.value.id });
    expect(byLead.envelope.ok, JSON.stringify(byLead.envelope)).toBe(true);
    expect([byLead.envelope.value.undo.reviewer, byLead.envelope.value.undone.reviewer]).toEqual(['lena', 'olga']);
  });
  if (!hasSharedData) it.skip(SHARED_DATA_MISSING, () => undefined);
});

describe('lab-server path confinement', () => {
  it('refuses paths outside the data folders exactly as it refuses paths that do not exist', async () => {
    const op = await signIn('olga');
    const existing = existsSync('/etc/shadow') ? '/etc/shadow' : '/etc/passwd';
    const answers: string[] = [];
    for (const p of [
      existing,
      '/etc/no-such-file-here',
      '../outside/secret.tif',
      'folder/../../outside/secret.tif',
      join(outside, 'secret.tif'),
      'escape.tif',
      'folder/linked-out',
      'no-such-file.tif',
    ]) {
      const r = await call(op, 'startImport', { paths: [p] });
      expect(r.envelope.ok, p).toBe(false);
      expect(r.envelope.error!.code, p).toBe('outside_data_folders');
      answers.push(r.envelope.error!.message.replace(p, '<path>'));
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain(root.split('/').pop()!);
    expect(answers[0]).not.toMatch(/ENOENT|EACCES|permission/i);
  });

  it('does not follow a link inside an imported folder to the outside', async () => {
    const op = await signIn('olga');
    const r = await call(op, 'startImport', { paths: ['folder'] });
    expect(r.envelope.ok, JSON.stringify(r.envelope)).toBe(true);
    const job = await settled(r.envelope.value.id);
    const failed = (job.result as { failed: { path: string; error: string }[] }).failed;
    expect(failed).toEqual([{ path: join(root, 'folder', 'linked-out'), error: 'link leads outside the data folders: not followed' }]);
  });

  it('takes a path that ends in white space as exactly that path, never as the link beside it', async () => {
    const op = await signIn('olga');
    expect((await call(op, 'importMasks', 'proj')).envelope.error?.code).toBe('outside_data_folders');
    // "proj /" is confined as the folder "proj " inside; the core must read that folder too, not "proj" (outside).
    const r = await call(op, 'importMasks', 'proj /');
    expect(r.envelope.ok, JSON.stringify(r.envelope)).toBe(true);
    expect(r.envelope.value).toEqual({ imported: [], failed: [], skipped: [] });
  });

  it('does not read a mask file that is a link out of the data folders', async () => {
    const op = await signIn('olga');
    const r = await call(op, 'importMasks', 'masks');
    expect(r.envelope.ok, JSON.stringify(r.envelope)).toBe(true);
    expect(r.envelope.value.failed).toEqual([{ file: join(root, 'masks', 'secret_m.tif'), error: 'link leads outside the data folders: not followed' }]);
  });

  it.skipIf(!hasSharedData)('writes label images to the folder named, even when its name ends in white space', async () => {
    const op = await signIn('olga');
    const png = join(sharedData, 'semi-defects', 'open', 'open_0000__3.png');
    const r = await call(op, 'startMeasureFiles', { paths: [png], maskOut: 'exports-link /', classical: true });
    expect(r.envelope.ok, JSON.stringify(r.envelope)).toBe(true);
    expect((await settled(r.envelope.value.id)).state).toBe('done');
    expect(existsSync(join(outside, 'open_0000__3.png'))).toBe(false);
    expect(existsSync(join(root, 'exports-link ', 'open_0000__3.png'))).toBe(true);
  });

  it('writes exports only inside the data folders; a relative path lands in the first one', async () => {
    const lead = await signIn('lena');
    for (const outPath of ['../out.jsonl', '/tmp/emma-out.jsonl', 'exports-link/set.jsonl', join(outside, 'set.jsonl')]) {
      const r = await call(lead, 'exportReview', { format: 'jsonl', outPath });
      expect(r.envelope.error?.code, outPath).toBe('outside_data_folders');
    }
    expect(existsSync(join(outside, 'set.jsonl'))).toBe(false);
    // Inside: the path passes and the exporter runs (with nothing accepted yet it says so, in its own words).
    const inside = await call(lead, 'exportReview', { format: 'jsonl', outPath: 'exports/set.jsonl' });
    expect(inside.envelope.error?.code).toBe('empty_export');
    expect(inside.envelope.error?.message).not.toContain(root);
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('lab-server HTTPS', () => {
  it.skipIf(!haveOpenssl)('serves HTTPS with the given certificate, Secure cookies and HSTS; plain HTTP gets no answer', async () => {
    const t = tempDir();
    try {
      const key = join(t.dir, 'k.pem');
      const crt = join(t.dir, 'c.pem');
      const made = spawnSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        key,
        '-out',
        crt,
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ]);
      expect(made.status, made.stderr?.toString()).toBe(0);
      mkdirSync(join(t.dir, 'data'));
      const tlsCore = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'lab-server' });
      const tls = await startServer({
        core: tlsCore,
        rendererDir: join(t.dir, 'data'),
        lab: { dataRoots: [join(t.dir, 'data')], publicHosts: ['localhost'], tls: { cert: readFileSync(crt), key: readFileSync(key) } },
      });
      try {
        expect(tls.url).toBe(`https://localhost:${tls.port}/`);
        await tls.lab!.users.add('olga', 'operator', PW.olga);
        const o = { https: true, ca: readFileSync(crt) };
        const h = { host: `localhost:${tls.port}` };
        const res = await rawRequest(tls.port, '/api/login', {
          ...o,
          method: 'POST',
          body: JSON.stringify({ user: 'olga', password: PW.olga }),
          headers: { ...h, origin: `https://localhost:${tls.port}`, 'content-type': 'application/json' },
        });
        expect(res.status, res.body).toBe(200);
        expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
        expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
        // An http:// origin is not ours once we speak HTTPS.
        const wrongScheme = await rawRequest(tls.port, '/api/login', {
          ...o,
          method: 'POST',
          body: JSON.stringify({ user: 'olga', password: PW.olga }),
          headers: { ...h, origin: `http://localhost:${tls.port}`, 'content-type': 'application/json' },
        });
        expect(wrongScheme.status).toBe(403);
        await expect(rawRequest(tls.port, '/', { headers: h })).rejects.toThrow();
      } finally {
        await tls.close();
        await tlsCore.close();
      }
    } finally {
      t.cleanup();
    }
  });
  if (!haveOpenssl) it.skip('openssl not found: HTTPS test skipped (install openssl to run it)', () => undefined);

  it('listening on every interface prints a reachable name, never 0.0.0.0', async () => {
    const t = tempDir();
    const c = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'lab-server' });
    const s = await startServer({ core: c, rendererDir: t.dir, host: '0.0.0.0', lab: { dataRoots: [t.dir] } });
    try {
      expect(s.url).not.toMatch(/0\.0\.0\.0|\[::\]/);
      const name = new URL(s.url).host;
      expect((await rawRequest(s.port, '/', { headers: { host: name } })).status).not.toBe(421);
      expect((await rawRequest(s.port, '/', { headers: { host: 'elsewhere.example' } })).status).toBe(421);
    } finally {
      await s.close();
      await c.close();
      t.cleanup();
    }
  });
});
