import { chromium, type Browser } from 'playwright-core';
// @ts-expect-error plain ESM helper shared with the npm scripts
import { findChromium, INSTALL_HINT } from '../../scripts/find-chromium.mjs';

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = (findChromium as () => string | null)();
  if (!executablePath) throw new Error(INSTALL_HINT as string);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
