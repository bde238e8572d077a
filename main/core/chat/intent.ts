// The question layer: which intent a question carries, learnt from labelled wordings (built-in seeds, the reviewed
// Q&A's questions, instruction pairs from reviewed labels) with paraphrase augmentation, as a softmax regression
// over hashed subword features. Out of scope is a real decision: the model's own out-of-scope class (seeded with
// things an image cannot answer) and a novelty test, the question's similarity to the nearest in-scope training
// wording below a threshold learnt by holding out each wording group in turn.
import { INTENTS, type Intent } from './seeds.js';
import { dot, features, FEATURE_DIM, type SparseVec, withClassSlot } from './text.js';

export interface LabelledWording {
  readonly text: string;
  readonly intent: Intent;
  /** Wordings derived from one source (a seed and its paraphrases) share a group: held out together. */
  readonly group: string;
}

export interface IntentDecision {
  readonly intent: Intent;
  /** Softmax probability of the chosen intent. */
  readonly probability: number;
  /** Cosine similarity to the nearest in-scope training wording, and the threshold below which it is novel. */
  readonly similarity: number;
  readonly threshold: number;
  /** True when refused as out of scope; `why` says which test refused it. */
  readonly outOfScope: boolean;
  readonly why: string | null;
}

const K = INTENTS.length;
const OOS = INTENTS.indexOf('oos');
const YESNO = INTENTS.indexOf('yesno');
/** English wh-questions (what, which, how, where, …), possibly after a politeness frame or "so". */
const WH_START = /^(?:(?:so|ok|okay|and|well|hey|hi|please|now)\s+)*(?:what|which|how|where|when|who|whom|whose|why)\b/;
/**
 * When a question is refused: the out-of-scope class at least `oosP` (and more likely than any in-scope intent),
 * similarity to the nearest learnt wording below the `noveltyQuantile` quantile of held-out-group similarities
 * times `noveltyMargin`, or no in-scope intent reaching `minP`. Chosen by group cross-validation on the training
 * wordings (seeds and teacher questions; never the benchmark's held-out file): see docs/student.md.
 */
export interface DecisionRule { readonly oosP: number; readonly noveltyQuantile: number; readonly noveltyMargin: number; readonly minP: number }
export const DEFAULT_RULE: DecisionRule = { oosP: 0.5, noveltyQuantile: 0.01, noveltyMargin: 0.8, minP: 0.3 };

/** A deterministic PRNG (mulberry32) for shuffling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class IntentModel {
  private constructor(
    private readonly w: Float32Array,
    private readonly b: Float32Array,
    private readonly inScope: SparseVec[],
    readonly threshold: number,
    readonly classes: readonly string[],
    readonly examples: number,
    private readonly rule: DecisionRule,
  ) {}

  /** Fits the model (deterministic for the same wordings). `classes`: the taxonomy, for the class slot. */
  static fit(wordings: readonly LabelledWording[], classes: readonly string[], o: { epochs?: number; lr?: number; l2?: number; rule?: Partial<DecisionRule> } = {}): IntentModel {
    // Deduplicate after slotting: repeated reviewed questions would otherwise dominate.
    const seen = new Set<string>();
    const xs: { v: SparseVec; y: number; group: string }[] = [];
    for (const wd of wordings) {
      const t = withClassSlot(wd.text, classes);
      const key = `${wd.intent}\u0000${t}`;
      if (!t || seen.has(key)) continue;
      seen.add(key);
      xs.push({ v: features(t), y: INTENTS.indexOf(wd.intent), group: wd.group });
    }
    const w = new Float32Array(K * FEATURE_DIM);
    const b = new Float32Array(K);
    // Class weights: every intent counts the same however many wordings it has.
    const counts = new Array<number>(K).fill(0);
    for (const x of xs) counts[x.y]++;
    const cw = counts.map((c) => (c > 0 ? xs.length / (K * c) : 0));
    const epochs = o.epochs ?? 40;
    const lr0 = o.lr ?? 0.8;
    const l2 = o.l2 ?? 1e-3;
    const rand = rng(12345);
    const order = xs.map((_, i) => i);
    const p = new Float64Array(K);
    for (let e = 0; e < epochs; e++) {
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      const lr = lr0 / (1 + e * 0.1);
      for (const i of order) {
        const x = xs[i];
        scores(w, b, x.v, p);
        softmax(p);
        for (let k = 0; k < K; k++) {
          const g = (p[k] - (k === x.y ? 1 : 0)) * cw[x.y] * lr;
          if (g === 0) continue;
          b[k] -= g;
          const base = k * FEATURE_DIM;
          for (const [f, val] of x.v) w[base + f] -= g * val + lr * l2 * w[base + f];
        }
      }
    }
    const inScope = xs.filter((x) => x.y !== OOS);
    // Novelty threshold: each in-scope wording's similarity to the nearest in-scope wording of *another* group (as
    // if its group had never been seen). A question farther from every learnt wording than 99 % of those, with a
    // 20 % margin, is refused as novel; everything closer is left to the model's own out-of-scope class (seeded with
    // questions no image answers), which separates in-scope from out-of-scope far better than distance alone.
    const loo: number[] = [];
    for (const x of inScope) {
      let best = 0;
      for (const z of inScope) if (z.group !== x.group) best = Math.max(best, dot(x.v, z.v));
      loo.push(best);
    }
    loo.sort((a, c) => a - c);
    const rule = { ...DEFAULT_RULE, ...o.rule };
    const threshold = loo.length ? loo[Math.floor(rule.noveltyQuantile * loo.length)] * rule.noveltyMargin : 0;
    return new IntentModel(w, b, inScope.map((x) => x.v), threshold, classes, xs.length, rule);
  }

  decide(question: string): IntentDecision {
    const t = withClassSlot(question, this.classes);
    const v = features(t);
    const p = new Float64Array(K);
    scores(this.w, this.b, v, p);
    softmax(p);
    // The best in-scope intent; out of scope when the model's out-of-scope class is likely enough. Grammar first:
    // a question opening with a wh-word ("what kind of defect…", "which…") is never a yes/no question.
    const wh = WH_START.test(t);
    let best = OOS === 0 ? 1 : 0;
    for (let k = 0; k < K; k++) if (k !== OOS && !(wh && k === YESNO) && p[k] > p[best]) best = k;
    if (wh && best === YESNO) best = INTENTS.indexOf('which');
    let sim = 0;
    for (const z of this.inScope) sim = Math.max(sim, dot(v, z));
    const r = this.rule;
    let why: string | null = null;
    if (p[OOS] >= r.oosP && p[OOS] >= p[best]) why = 'it is not a question about what the image shows';
    else if (sim < this.threshold) why = 'it is unlike any question I learnt to answer';
    else if (p[best] < r.minP) why = 'I am not sure what is being asked';
    const intent = why && p[OOS] >= p[best] ? 'oos' : INTENTS[best];
    return { intent, probability: intent === 'oos' ? p[OOS] : p[best], similarity: sim, threshold: this.threshold, outOfScope: why !== null, why };
  }
}

function scores(w: Float32Array, b: Float32Array, v: SparseVec, out: Float64Array): void {
  for (let k = 0; k < K; k++) {
    let s = b[k];
    const base = k * FEATURE_DIM;
    for (const [f, x] of v) s += w[base + f] * x;
    out[k] = s;
  }
}

function softmax(p: Float64Array): void {
  let m = -Infinity;
  for (const x of p) m = Math.max(m, x);
  let z = 0;
  for (let k = 0; k < p.length; k++) { p[k] = Math.exp(p[k] - m); z += p[k]; }
  for (let k = 0; k < p.length; k++) p[k] /= z;
}
