// The desktop shell under Playwright's Electron driver. The Electron binary is not downloaded on install
// (allowScripts), so on machines without it this suite skips and says how to get it.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { repoRoot, tempDir } from '../support/paths.js';

function electronPath(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronPath();
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const why = !binary
  ? 'no Electron binary installed (run `node node_modules/electron/install.js` with internet access to fetch it)'
  : 'no display (set DISPLAY, e.g. run under xvfb-run)';
if (!binary || !display) console.warn(`Electron end-to-end tests skipped: ${why}.`);

describe.skipIf(!binary || !display)('desktop app (Electron)', () => {
  it('opens a hardened window whose page reaches the core only through the bridge', async () => {
    const t = tempDir();
    const app = await electron.launch({
      executablePath: binary!,
      args: [repoRoot, '--db', join(t.dir, 'emma.sqlite')],
      cwd: repoRoot,
    });
    try {
      const win = await app.firstWindow();
      await win.waitForLoadState('domcontentloaded');
      expect(win.url()).toMatch(/^app:\/\/emma\//);
      const exposure = await win.evaluate(() => ({
        bridge: typeof (window as unknown as { emma?: unknown }).emma,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(exposure).toEqual({ bridge: 'object', require: 'undefined', process: 'undefined' });
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0].webContents;
        const p = (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
        return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
      });
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
      // Navigation away from the app is blocked.
      await win.evaluate(() => {
        window.location.href = 'https://example.com/';
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(win.url()).toMatch(/^app:\/\/emma\//);
      // Path traversal through the media protocol is refused.
      const status = await win.evaluate(async () => (await fetch('emma-media://image/..%2f..%2fetc%2fpasswd/thumb')).status);
      expect(status).toBe(404);
      const count = await win.evaluate(async () => {
        const bridge = (window as unknown as { emma: { invoke(m: string, a: unknown[]): Promise<{ ok: boolean; value: { imageCount: number } }> } }).emma;
        return (await bridge.invoke('getStatus', [])).value.imageCount;
      });
      expect(count).toBe(0);
    } finally {
      await app.close();
      t.cleanup();
    }
  });
});

if (!binary || !display) {
  describe('desktop app (Electron)', () => {
    it.skip(`skipped: ${why}`, () => undefined);
  });
}
