// `npm start`: the desktop app when an Electron binary and a display exist; otherwise the same UI in a browser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const passthrough = process.argv.slice(2);

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when the binary was never downloaded.
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? { path } : { why: `the Electron binary is missing at ${path}` };
  } catch {
    return {
      why:
        'no Electron binary is installed (its download is skipped on install; run `node node_modules/electron/install.js` ' +
        'on a machine with internet to fetch it)',
    };
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

const electron = electronBinary();
if (electron.path && hasDisplay() && !process.env.EMMA_BROWSER_MODE) {
  const child = spawn(electron.path, ['.', ...passthrough], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = !electron.path ? electron.why : !hasDisplay() ? 'no display is available (DISPLAY and WAYLAND_DISPLAY are unset)' : 'EMMA_BROWSER_MODE is set';
  const child = spawn(process.execPath, ['dist/main/cli/index.js', 'serve', ...passthrough], {
    stdio: 'inherit',
    env: { ...process.env, EMMA_START_REASON: `Starting Emma in browser mode because ${why}.` },
  });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}
