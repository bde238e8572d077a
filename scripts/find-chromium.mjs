// Finds a Chromium for the end-to-end tests. Debian's package is the supported one.
import { existsSync } from 'node:fs';

export const INSTALL_HINT =
  'No Chromium found for the end-to-end tests. On Debian/Ubuntu install it with:\n' +
  '    sudo apt-get update && sudo apt-get install -y chromium\n' +
  'or point EMMA_CHROMIUM at a Chromium/Chrome binary.';

export function findChromium() {
  const candidates = [process.env.EMMA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}
