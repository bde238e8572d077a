// Runs every gradient-check case with plain node (`node --import tsx tests/native-models/run-gradchecks.ts`),
// no vitest needed: the device check uses it. Prints one line per case and exits 1 on any failure.
import { differentiableOps } from '../../native-models/autodiff/rules.js';
import { compositeCases, negativeCases, opCases, TOL } from './gradcases.js';
import { gradCheck, OPS_SEEN } from './gradcheck.js';

let failed = 0;
let provider = '';
const t0 = performance.now();
for (const [name, build, inputs, opts] of [...opCases, ...compositeCases]) {
  const r = await gradCheck(build, inputs, opts);
  provider ||= `${r.provider}${r.fallbacks.length ? ` (fell back from ${r.fallbacks.join('; ')})` : ''}`;
  const ok = r.relErr < TOL;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.relErr.toExponential(2)}  ${name}`);
}
for (const [name, build, inputs, opts, minErr] of negativeCases) {
  const r = await gradCheck(build, inputs, opts);
  const ok = r.relErr > minErr;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.relErr.toExponential(2)}  negative control detects ${name}`);
}
const missing = differentiableOps().filter((op) => !OPS_SEEN.has(op) && op !== 'Sign');
if (missing.length) {
  failed++;
  console.log(`FAIL rules never checked: ${missing.join(', ')}`);
}
console.log(`gradient checks ran on: ${provider}`);
console.log(
  `${failed ? `${failed} FAILED` : 'all passed'}: ${opCases.length + compositeCases.length} checks + ${negativeCases.length} negative controls in ${((performance.now() - t0) / 1000).toFixed(1)} s (tolerance ${TOL})`,
);
process.exit(failed ? 1 : 0);
