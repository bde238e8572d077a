// Finite-difference checks of every gradient rule and of the composites built from them (attention,
// transformer block, losses, a whole ViT), plus negative controls proving the checker can fail.
// The cases live in gradcases.ts so the device check can run them without vitest.
import { afterAll, describe, expect, it } from 'vitest';
import { differentiableOps } from '../../native-models/autodiff/rules.js';
import { compositeCases, negativeCases, opCases, TOL } from './gradcases.js';
import { gradCheck, OPS_SEEN } from './gradcheck.js';

const verbose = !!process.env.GRADCHECK_VERBOSE;

describe('gradient rules match finite differences', () => {
  for (const [name, build, inputs, opts] of opCases) {
    it(name, async () => {
      const r = await gradCheck(build, inputs, opts);
      if (verbose) console.log(name, r.perInput.map((e) => e.toExponential(1)).join(' '));
      expect(r.relErr, `per input: ${r.perInput.map((e) => e.toExponential(2)).join(', ')}`).toBeLessThan(TOL);
    });
  }
});

describe('composite blocks and losses match finite differences', () => {
  for (const [name, build, inputs, opts] of compositeCases) {
    it(name, async () => {
      const r = await gradCheck(build, inputs, opts);
      expect(r.relErr, `per input: ${r.perInput.map((e) => e.toExponential(2)).join(', ')}`).toBeLessThan(TOL);
    });
  }
});

describe('execution provider', () => {
  it('reports which provider ran the checks (EMMA_EP selects; default cpu)', async () => {
    const [, build, inputs] = opCases[0];
    const r = await gradCheck(build, inputs);
    console.log(`gradient checks ran on: ${r.provider}${r.fallbacks.length ? ` (fell back from ${r.fallbacks.join('; ')})` : ''}`);
    expect(r.provider).toBeTruthy();
  });
});

describe('the checker can fail (negative controls)', () => {
  for (const [name, build, inputs, opts, minErr] of negativeCases) {
    it(`detects ${name}`, async () => {
      const r = await gradCheck(build, inputs, opts);
      expect(r.relErr).toBeGreaterThan(minErr);
    });
  }
});

afterAll(() => {
  // Every rule in the registry must have been exercised by some check above.
  const missing = differentiableOps().filter((op) => !OPS_SEEN.has(op) && op !== 'Sign');
  expect(missing, `gradient rules never checked: ${missing.join(', ')}`).toEqual([]);
});
