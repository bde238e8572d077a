// The question layer: which intent a question carries, learnt from labelled wordings (built-in seeds and templated
// paraphrases, the reviewed Q&A's questions, instruction pairs from reviewed labels) as a softmax regression over
// hashed subword features. Out of scope is a real decision, made by a small calibrated model over four signals:
// the intent model's own out-of-scope class (seeded with things an image cannot answer), its best in-scope
// probability, the similarity to the nearest learnt in-scope wording, and how many of the question's content words
// the domain vocabulary (learnt wordings, class names and definitions) does not know. That model is fitted on
// out-of-fold decisions: the training wordings are split by wording group, each part is decided by an intent model
// that never saw it, so the refusal rule is calibrated on wordings as unseen as a user's (never on the benchmark's
// held-out file).
import { DOMAIN_GLOSSARY } from './glossary.js';
import { INTENTS, type Intent } from './seeds.js';
import { contentWords, features, FEATURE_DIM, normalise, stripFrames, Vocabulary, withClassSlot, type VocabularyData } from './text.js';

export interface LabelledWording {
  readonly text: string;
  readonly intent: Intent;
  /** Wordings derived from one source (a seed, a template and their paraphrases) share a group: held out together. */
  readonly group: string;
}

export interface IntentDecision {
  readonly intent: Intent;
  /** Softmax probability of the chosen intent. */
  readonly probability: number;
  /** Cosine similarity to the nearest in-scope training wording. */
  readonly similarity: number;
  /** The refusal model's probability that the question is outside what was learnt (refused at ≥ `threshold`). */
  readonly refuseProbability: number;
  readonly threshold: number;
  /** Content words of the question the domain vocabulary does not know. */
  readonly unknownWords: readonly string[];
  /** True when refused as out of scope; `why` says why. */
  readonly outOfScope: boolean;
  readonly why: string | null;
}

const K = INTENTS.length;
const OOS = INTENTS.indexOf('oos');
const YESNO = INTENTS.indexOf('yesno');
/** English wh-questions (what, which, how, where, …): never yes/no questions. */
const WH_START = /^(?:what|which|how|where|when|who|whom|whose|why)\b/;

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

export interface Vec {
  readonly idx: Int32Array;
  readonly val: Float32Array;
}

/** The text the model sees: class mentions slotted, framing words dropped. */
export function prepared(question: string, classes: readonly string[]): string {
  return stripFrames(withClassSlot(question, classes));
}

function vec(text: string): Vec {
  const m = features(text);
  return { idx: Int32Array.from(m.keys()), val: Float32Array.from(m.values()) };
}

function dotVec(a: Vec, dense: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.idx.length; i++) d += a.val[i] * dense[a.idx[i]];
  return d;
}

interface Example {
  readonly v: Vec;
  readonly y: number;
  readonly group: string;
  readonly text: string;
}

/** Softmax regression, class-balanced SGD with decaying step and L2 (deterministic). */
class Linear {
  constructor(
    readonly w: Float32Array,
    readonly b: Float32Array,
  ) {}

  static train(xs: readonly Example[], epochs: number, lr0: number, l2: number): Linear {
    const w = new Float32Array(K * FEATURE_DIM);
    const b = new Float32Array(K);
    const counts = new Array<number>(K).fill(0);
    for (const x of xs) counts[x.y]++;
    const cw = counts.map((c) => (c > 0 ? xs.length / (K * c) : 0));
    const rand = rng(12345);
    const order = xs.map((_, i) => i);
    const p = new Float64Array(K);
    const m = new Linear(w, b);
    for (let e = 0; e < epochs; e++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const lr = lr0 / (1 + e * 0.1);
      for (const i of order) {
        const x = xs[i];
        m.probs(x.v, p);
        for (let k = 0; k < K; k++) {
          const g = (p[k] - (k === x.y ? 1 : 0)) * cw[x.y] * lr;
          if (g === 0) continue;
          b[k] -= g;
          const base = k * FEATURE_DIM;
          for (let f = 0; f < x.v.idx.length; f++) {
            const at = base + x.v.idx[f];
            w[at] -= g * x.v.val[f] + lr * l2 * w[at];
          }
        }
      }
    }
    return m;
  }

  probs(v: Vec, out: Float64Array): void {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = this.b[k];
      const base = k * FEATURE_DIM;
      for (let f = 0; f < v.idx.length; f++) s += this.w[base + v.idx[f]] * v.val[f];
      out[k] = s;
      if (s > mx) mx = s;
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      out[k] = Math.exp(out[k] - mx);
      z += out[k];
    }
    for (let k = 0; k < K; k++) out[k] /= z;
  }
}

/** Nearest-wording similarity over in-scope training vectors. */
class Memory {
  private readonly dense = new Float32Array(FEATURE_DIM);
  constructor(private readonly vs: readonly Vec[]) {}
  nearest(v: Vec): number {
    for (let i = 0; i < v.idx.length; i++) this.dense[v.idx[i]] += v.val[i];
    let best = 0;
    for (const z of this.vs) {
      const d = dotVec(z, this.dense);
      if (d > best) best = d;
    }
    for (let i = 0; i < v.idx.length; i++) this.dense[v.idx[i]] = 0;
    return best;
  }
}

interface Signals {
  readonly p: Float64Array;
  readonly best: number;
  readonly sim: number;
  readonly unknown: string[];
  readonly content: number;
  readonly slot: boolean;
}

/** The refusal model's inputs, from the intent probabilities, the memory and the vocabulary. */
function metaFeatures(s: Signals): number[] {
  const u = s.unknown.length;
  return [
    s.p[OOS],
    s.p[s.best],
    s.sim,
    s.content === 0 ? 0 : u / s.content, // share of content words never seen in a learnt wording or definition
    u / (1 + u),
    s.slot ? 1 : 0,
  ];
}

/** Chooses the in-scope intent: the most probable one, except that a wh-question is never a yes/no question. */
function bestInScope(p: Float64Array, text: string): number {
  const wh = WH_START.test(text);
  let best = OOS === 0 ? 1 : 0;
  for (let k = 0; k < K; k++) if (k !== OOS && !(wh && k === YESNO) && p[k] > p[best]) best = k;
  return best;
}

/** Logistic regression (class-balanced, full-batch gradient descent) for P(out of scope | signals). */
function fitLogistic(rows: readonly { f: number[]; oos: boolean }[], iters = 600, lr = 0.5, l2 = 1e-3): number[] {
  const d = rows[0]?.f.length ?? 0;
  const w = new Array<number>(d + 1).fill(0);
  const nPos = rows.filter((r) => r.oos).length;
  const nNeg = rows.length - nPos;
  if (nPos === 0 || nNeg === 0) return w;
  for (let it = 0; it < iters; it++) {
    const g = new Array<number>(d + 1).fill(0);
    for (const r of rows) {
      const p = sigmoid(w[d] + r.f.reduce((a, x, j) => a + x * w[j], 0));
      const c = (r.oos ? rows.length / (2 * nPos) : rows.length / (2 * nNeg)) * (p - (r.oos ? 1 : 0));
      for (let j = 0; j < d; j++) g[j] += c * r.f[j];
      g[d] += c;
    }
    for (let j = 0; j <= d; j++) w[j] -= lr * (g[j] / rows.length + (j < d ? l2 * w[j] : 0));
  }
  return w;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export interface FitOptions {
  readonly epochs?: number;
  readonly lr?: number;
  readonly l2?: number;
  /** Texts whose words are domain vocabulary besides the wordings (class definitions, reviewed answers). */
  readonly vocabulary?: readonly string[];
  /** Folds of the out-of-fold decisions the refusal model learns from (by wording group). */
  readonly folds?: number;
  /** Refusal threshold on the refusal model's probability. */
  readonly threshold?: number;
}

/** A fitted IntentModel as plain data (typed arrays and strings: what postMessage copies between threads). */
export interface IntentModelData {
  readonly format: 'emma-intent-model';
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly inScope: readonly Vec[];
  readonly vocabulary: VocabularyData;
  readonly refusal: readonly number[];
  readonly threshold: number;
  readonly classes: readonly string[];
  readonly examples: number;
}

export class IntentModel {
  private readonly memory: Memory;
  private constructor(
    private readonly linear: Linear,
    private readonly inScope: readonly Vec[],
    private readonly vocab: Vocabulary,
    private readonly refusal: readonly number[],
    readonly threshold: number,
    readonly classes: readonly string[],
    readonly examples: number,
  ) {
    this.memory = new Memory(inScope);
  }

  /** Fits the model (deterministic for the same wordings). `classes`: the taxonomy, for the class slot. */
  static fit(wordings: readonly LabelledWording[], classes: readonly string[], o: FitOptions = {}): IntentModel {
    // Deduplicate after slotting: repeated reviewed questions would otherwise dominate.
    const seen = new Set<string>();
    const xs: Example[] = [];
    for (const wd of wordings) {
      const t = prepared(wd.text, classes);
      const key = `${wd.intent}\u0000${t}`;
      if (!t || seen.has(key)) continue;
      seen.add(key);
      xs.push({ v: vec(t), y: INTENTS.indexOf(wd.intent), group: wd.group, text: t });
    }
    const epochs = o.epochs ?? 30;
    const lr = o.lr ?? 0.8;
    const l2 = o.l2 ?? 1e-3;
    const extra = [...(o.vocabulary ?? []), ...DOMAIN_GLOSSARY, ...classes.map((c) => c.replace(/_/g, ' '))];
    const vocabOf = (ex: readonly Example[]) => {
      const v = new Vocabulary();
      for (const x of ex) if (x.y !== OOS) v.add(x.text);
      for (const t of extra) v.add(normalise(t));
      return v;
    };
    // Out-of-fold decisions for the refusal model: wording groups dealt into folds; each fold's wordings are
    // decided by an intent model, memory and vocabulary built without them.
    const F = o.folds ?? 4;
    const groups = [...new Set(xs.map((x) => x.group))];
    const r = rng(777);
    for (let i = groups.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [groups[i], groups[j]] = [groups[j], groups[i]];
    }
    const foldOf = new Map(groups.map((g, i) => [g, i % F]));
    const rows: { f: number[]; oos: boolean }[] = [];
    const p = new Float64Array(K);
    for (let f = 0; f < F && groups.length >= 2 * F; f++) {
      const trainX = xs.filter((x) => foldOf.get(x.group) !== f);
      const testX = xs.filter((x) => foldOf.get(x.group) === f);
      const lin = Linear.train(trainX, Math.max(8, Math.round(epochs / 2)), lr, l2);
      const mem = new Memory(trainX.filter((x) => x.y !== OOS).map((x) => x.v));
      const voc = vocabOf(trainX);
      // A spread of the fold (at most 400 wordings) is enough for six weights.
      const step = Math.max(1, Math.floor(testX.length / 400));
      for (let i = 0; i < testX.length; i += step) {
        const x = testX[i];
        lin.probs(x.v, p);
        rows.push({ f: metaFeatures(signals(p, x.text, x.v, mem, voc)), oos: x.y === OOS });
      }
    }
    const refusal = rows.length ? fitLogistic(rows) : [0, 0, 0, 0, 0, 0, 0];
    const linear = Linear.train(xs, epochs, lr, l2);
    return new IntentModel(
      linear,
      xs.filter((x) => x.y !== OOS).map((x) => x.v),
      vocabOf(xs),
      refusal,
      o.threshold ?? 0.5,
      classes,
      xs.length,
    );
  }

  toData(): IntentModelData {
    return {
      format: 'emma-intent-model',
      w: this.linear.w,
      b: this.linear.b,
      inScope: this.inScope,
      vocabulary: this.vocab.toData(),
      refusal: this.refusal,
      threshold: this.threshold,
      classes: this.classes,
      examples: this.examples,
    };
  }

  /** The model `toData` described (from a worker of this same program, so only its shape is checked). */
  static fromData(d: IntentModelData): IntentModel {
    if (d?.format !== 'emma-intent-model' || !(d.w instanceof Float32Array) || !(d.b instanceof Float32Array) || d.b.length !== K) {
      throw new Error('not an intent model of this program');
    }
    return new IntentModel(new Linear(d.w, d.b), d.inScope, Vocabulary.fromData(d.vocabulary), d.refusal, d.threshold, d.classes, d.examples);
  }

  decide(question: string): IntentDecision {
    const t = prepared(question, this.classes);
    const v = vec(t);
    const p = new Float64Array(K);
    this.linear.probs(v, p);
    const s = signals(p, t, v, this.memory, this.vocab);
    const f = metaFeatures(s);
    const w = this.refusal;
    const pr = rows0(w) ? (p[OOS] >= p[s.best] ? 1 : 0) : sigmoid(w[f.length] + f.reduce((a, x, j) => a + x * w[j], 0));
    const refuse = pr >= this.threshold;
    let why: string | null = null;
    if (refuse) {
      if (p[OOS] >= p[s.best]) why = 'it is not a question about what the image shows';
      else if (s.unknown.length > 0 && s.unknown.length >= s.content / 2)
        why = `it asks about ${s.unknown
          .slice(0, 3)
          .map((u) => `"${u}"`)
          .join(', ')}, which I never learnt to answer about`;
      else why = 'I am not sure what is being asked';
    }
    const intent = refuse && p[OOS] >= p[s.best] ? 'oos' : INTENTS[s.best];
    return {
      intent,
      probability: intent === 'oos' ? p[OOS] : p[s.best],
      similarity: s.sim,
      refuseProbability: pr,
      threshold: this.threshold,
      unknownWords: s.unknown,
      outOfScope: refuse,
      why,
    };
  }
}

function rows0(w: readonly number[]): boolean {
  return w.every((x) => x === 0);
}

function signals(p: Float64Array, text: string, v: Vec, mem: Memory, voc: Vocabulary): Signals {
  return { p, best: bestInScope(p, text), sim: mem.nearest(v), unknown: voc.unknown(text), content: contentWords(text).length, slot: /\bxclassx\b/.test(text) };
}
