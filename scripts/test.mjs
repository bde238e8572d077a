// `npm test`: type-check, unit and integration tests, build, then end-to-end tests in a real browser.
import { spawnSync } from 'node:child_process';
import { findChromium, INSTALL_HINT } from './find-chromium.mjs';

const steps = [
  ['type-check', ['npx', 'tsc', '-p', 'tsconfig.json', '--noEmit']],
  // Per layer: the Node side without DOM types, the renderer without Node types.
  ['type-check (Node layers, no DOM)', ['npx', 'tsc', '-p', 'tsconfig.node.json', '--noEmit']],
  ['type-check (renderer, no Node)', ['npx', 'tsc', '-p', 'tsconfig.renderer.json', '--noEmit']],
  ['lint (layer rule and correctness)', ['npx', 'eslint', '.']],
  // Formatting is checked, never argued about: `npm run format` writes it.
  ['format (Prettier)', ['npx', 'prettier', '--check', '**/*.{ts,tsx,mjs,js}']],
  ['unit and integration tests', ['npx', 'vitest', 'run']],
  ['build', ['npm', 'run', 'build']],
  ['end-to-end tests', ['npx', 'vitest', 'run', '--config', 'vitest.e2e.config.ts']],
];

const started = Date.now();
if (!findChromium()) {
  console.error(`\n${INSTALL_HINT}\n`);
  process.exit(1);
}
for (const [name, cmd] of steps) {
  console.log(`\n=== ${name}: ${cmd.join(' ')}`);
  const t = Date.now();
  const result = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${name} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
  console.log(`=== ${name}: ok in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
console.log(`\nAll test steps passed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
