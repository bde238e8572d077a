// `npm run test:e2e`: build, then only the end-to-end tests.
import { spawnSync } from 'node:child_process';
import { findChromium, INSTALL_HINT } from './find-chromium.mjs';

if (!findChromium()) {
  console.error(INSTALL_HINT);
  process.exit(1);
}
for (const cmd of [
  ['npm', 'run', 'build'],
  ['npx', 'vitest', 'run', '--config', 'vitest.e2e.config.ts'],
]) {
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}
