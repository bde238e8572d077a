// The student's vision-language composite (image tokens + text encoder + image-grounded encoder with ITM head +
// image-grounded decoder, and its ITC + ITM + LM loss with the tied output layer) against finite differences.
import { describe, expect, it } from 'vitest';
import type { Value } from '../../native-models/graph/ir.js';
import { VlmModel, type VlmConfig } from '../../native-models/student/vlm.js';
import { TOL } from './gradcases.js';
import { gradCheck } from './gradcheck.js';

const c: VlmConfig = {
  vocab: 11,
  dim: 8,
  heads: 2,
  mlpRatio: 2,
  textLayers: 1,
  imageLayers: 1,
  decoderLayers: 1,
  seq: 4,
  groups: 2,
  groupDim: 3,
  statsDim: 2,
  embedDim: 4,
  weights: { itc: 0.5, itm: 0.7, lm: 1 },
};
const B = 2;
const ids = (v: number[]) => ({ shape: [B, c.seq], dtype: 'int64' as const, values: v });
const mask = (v: number[]) => ({ shape: [B, c.seq], values: v, constant: true });

describe('vision-language model gradients match finite differences', () => {
  it('ITC + ITM + LM loss of the whole model (sampled parameters and image inputs)', async () => {
    const m = new VlmModel(c);
    const names = ['img', 'stats', 'itc_ids', 'itc_mask', 'itm_ids', 'itm_mask', 'dec_ids', 'itm_label', 'dec_target', 'dec_weight'];
    const r = await gradCheck(
      (g, xs) => {
        const x: Record<string, Value> = Object.fromEntries(names.map((n, i) => [n, xs[i]]));
        return m.loss(g, m.forward(g, x, B), x).loss;
      },
      [
        { shape: [B, c.groups, c.groupDim] },
        { shape: [B, c.statsDim] },
        ids([4, 7, 8, 0, 4, 9, 10, 3]),
        mask([1, 1, 1, 0, 1, 1, 1, 1]),
        ids([4, 7, 3, 6, 4, 5, 0, 0]),
        mask([1, 1, 1, 1, 1, 1, 0, 0]),
        ids([1, 7, 3, 6, 1, 5, 3, 9]),
        { shape: [B], values: [1, 0], constant: true },
        ids([7, 3, 6, 2, 5, 3, 9, 2]),
        { shape: [B, c.seq], values: [0, 0, 1, 1, 0, 0, 1, 1], constant: true },
      ],
      { withParams: true, sample: 150 },
    );
    expect(r.relErr, `per input: ${r.perInput.map((e) => e.toExponential(2)).join(', ')}`).toBeLessThan(TOL);
  }, 60_000);
});
