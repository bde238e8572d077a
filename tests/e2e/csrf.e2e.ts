// Cross-site request forgery, in a real browser with two origins: after the operator has opened Emma (so the
// browser holds Emma's cookie), a hostile page served by another server on 127.0.0.1 tries every way a page can
// send a state-changing request without reading the answer. None of them may change anything. Cookies are not
// kept apart by port, so the hostile server itself receives Emma's cookie: replayed from a program with Emma's own
// Origin, it still buys nothing without the page key that only Emma's page holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from '../support/browser.js';
import { repoRoot, tempDir } from '../support/paths.js';

const rendererDir = join(repoRoot, 'dist', 'renderer');

/** The attacks a page can make blind: no-cors fetches (text/plain and form bodies), a text/plain form, and a
 *  cors fetch with application/json (which needs a preflight). Each result is reported back as text. */
function hostilePage(emma: string): string {
  return `<!doctype html><title>hostile</title>
<form id="f" method="POST" enctype="text/plain" target="sink" action="${emma}/api/call/setTeacherEgress">
  <input name='[true, "' value='"]'>
</form>
<iframe name="sink" id="sink"></iframe>
<script>
const results = [];
async function attempt(name, run) {
  try { const r = await run(); results.push(name + ': ' + (r && r.type === 'opaque' ? 'opaque' : (r ? r.status : 'sent'))); }
  catch (e) { results.push(name + ': blocked ' + e.message); }
}
(async () => {
  await attempt('no-cors endpoint', () => fetch('${emma}/api/call/updateTeacherConfig', { method: 'POST', mode: 'no-cors',
    credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify([{ baseUrl: 'http://127.0.0.1:1/v1' }]) }));
  await attempt('no-cors egress', () => fetch('${emma}/api/call/setTeacherEgress', { method: 'POST', mode: 'no-cors',
    credentials: 'include', body: '[true]' }));
  await attempt('no-cors form body', () => fetch('${emma}/api/call/setTeacherEgress', { method: 'POST', mode: 'no-cors',
    credentials: 'include', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '[true]' }));
  await attempt('cors json', () => fetch('${emma}/api/call/setTeacherEgress', { method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json' }, body: '[true]' }));
  await new Promise((ok) => { document.getElementById('sink').onload = ok; document.getElementById('f').submit(); setTimeout(ok, 3000); });
  results.push('form: submitted');
  window.attackDone = results;
})();
</script>`;
}

describe('cross-site requests in Chromium', () => {
  let core: CoreInternals;
  let emma: RunningServer;
  let hostile: Server;
  let hostileUrl: string;
  let browser: Browser;
  let page: Page;
  let cleanup: () => void;
  const harvested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
    const t = tempDir();
    cleanup = t.cleanup;
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'browser' });
    emma = await startServer({ core, rendererDir });
    const emmaOrigin = emma.url.replace(/\/$/, '');
    hostile = createServer((req, res) => {
      if (req.headers.cookie) harvested.push(req.headers.cookie);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(hostilePage(emmaOrigin));
    });
    await new Promise<void>((ok) => hostile.listen(0, '127.0.0.1', () => ok()));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => (hostile ? hostile.close(() => ok()) : ok()));
    await emma?.close();
    await core?.close();
    cleanup?.();
  });

  it('a page on another port of 127.0.0.1 cannot change settings, switch egress on or start work', async () => {
    await page.goto(emma.openUrl);
    await page.waitForSelector('text=Emma', { timeout: 30_000 });
    const cookies = await page.context().cookies(emma.url);
    expect(cookies.map((c) => c.name)).toContain('emma_token'); // the browser really holds Emma's cookie
    const before = await core.api.getTeacherSettings();

    await page.goto(hostileUrl);
    const results = (
      await page.waitForFunction(() => (window as unknown as { attackDone?: string[] }).attackDone, null, {
        timeout: 30_000,
      })
    ).jsonValue() as Promise<string[]>;
    expect((await results).length).toBe(5);

    const after = await core.api.getTeacherSettings();
    expect(after.egress.enabled).toBe(false);
    expect(after.config).toEqual(before.config);
    expect((await core.api.listJobs(10)).length).toBe(0);

    // The hostile server got Emma's cookie with its own page's request; a program replaying it is refused.
    const stolen = harvested.find((c) => c.includes('emma_token='));
    expect(stolen, "the browser sent Emma's cookie to the other port").toBeDefined();
    const emmaOrigin = emma.url.replace(/\/$/, '');
    for (const path of ['/api/call/setTeacherEgress', '/api/call/listImages']) {
      const r = await fetch(`${emmaOrigin}${path}`, {
        method: 'POST',
        headers: { cookie: stolen!, origin: emmaOrigin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
        body: path.endsWith('Egress') ? '[true]' : '[{"offset":0,"limit":10}]',
      });
      expect(r.status, path).toBe(403);
      expect(await r.text()).toMatch(/page key/);
    }
    const image = await fetch(`${emmaOrigin}/media/image/1/thumb`, { headers: { cookie: stolen! } });
    expect(image.status).toBe(403);
    expect((await core.api.getTeacherSettings()).egress.enabled).toBe(false);

    // Emma's own page still works with the same cookie and the key it keeps: the checks refuse others, not the browser.
    await page.goto(emma.url);
    const own = await page.evaluate(async () => {
      const r = await fetch('/api/call/setTeacherEgress', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-emma-page-key': window.localStorage.getItem('emma.pageKey') ?? '' },
        body: '[false]',
      });
      return (await r.json()) as { ok: boolean };
    });
    expect(own.ok).toBe(true);
    // And the app itself (its API module sends the key) reads the library.
    await page.getByTestId('nav-library').click();
    await page.waitForSelector('text=Emma');
  });
});
