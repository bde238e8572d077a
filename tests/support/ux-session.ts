// A browser-mode Emma for the operator-workflow end-to-end tests: a real core on a temporary SQLite file, the
// built UI served over the real loopback HTTP server, Debian's Chromium, and (when asked) the test double of the
// remote teacher service configured through the Teacher view as an operator would.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { memoryKeyProvider } from '../../main/core/teacher/keys.js';
import { startServer, type RunningServer } from '../../main/server/http-server.js';
import { launchChromium } from './browser.js';
import { repoRoot, tempDir } from './paths.js';
import { startTeacherDouble, type DoubleOptions, type TeacherDouble } from './teacher-double-server.js';

export const rendererDir = join(repoRoot, 'dist', 'renderer');
export const artifacts = join(repoRoot, 'test-results');

export interface UxSession {
  core: CoreInternals;
  server: RunningServer;
  browser: Browser;
  page: Page;
  double: TeacherDouble | null;
  dbPath: string;
  dir: string;
  /** A new page at another viewport, signed in. */
  openPage(width: number, height: number): Promise<Page>;
  close(): Promise<void>;
}

export async function startUxSession(o: {
  importPaths?: string[];
  labelsFromFolders?: boolean;
  double?: Partial<DoubleOptions>;
  viewport?: { width: number; height: number };
}): Promise<UxSession> {
  const t = tempDir();
  const dbPath = join(t.dir, 'emma.sqlite');
  const core = createCore({ dbPath, mode: 'browser', teacherKeyProvider: memoryKeyProvider() });
  if (o.importPaths?.length) await core.importNow({ paths: o.importPaths, labelsFromFolders: o.labelsFromFolders });
  const server = await startServer({ core, rendererDir });
  const double = o.double ? await startTeacherDouble(o.double) : null;
  const browser = await launchChromium();
  const vp = o.viewport ?? { width: 1400, height: 900 };
  // One browser profile: the printed address works once, and the cookie it buys serves every later page.
  const context = await browser.newContext({ viewport: vp });
  const page = await context.newPage();
  await page.goto(server.openUrl);
  return {
    core,
    server,
    browser,
    page,
    double,
    dbPath,
    dir: t.dir,
    async openPage(width, height) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height });
      await p.goto(server.url);
      return p;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await double?.close().catch(() => undefined);
      await core.close().catch(() => undefined);
      t.cleanup();
    },
  };
}

/** True when the element's box lies inside the viewport horizontally (nothing cut off at the right edge). */
export async function fitsHorizontally(page: Page, testId: string): Promise<boolean> {
  const box = await page.getByTestId(testId).first().boundingBox();
  const vp = page.viewportSize();
  return !!box && !!vp && box.x >= 0 && box.x + box.width <= vp.width + 0.5;
}
