// Text helpers of the chat's question layer: normalisation, a light stemmer, class-name mentions, and hashed
// subword features (word stems, word pairs, character n-grams). Subword features let a small linear model
// generalise to words it never saw in training ("categorise" shares n-grams with "category", "classify").

/** Lower case, curly quotes straightened, anything but letters, digits, apostrophes and spaces turned into spaces. */
export function normalise(s: string): string {
  return s
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A conservative suffix stripper (plural, -ing, -ed), enough to match "bridge"/"bridges", "crack"/"cracked". */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  if (/(ches|shes|sses|xes)$/.test(w)) return w.slice(0, -2);
  if (/ies$/.test(w) && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/[^s]s$/.test(w) && !/(us|is)$/.test(w)) return w.slice(0, -1);
  if (/ing$/.test(w) && w.length > 5) return w.slice(0, -3);
  if (/ed$/.test(w) && w.length > 4) return w.slice(0, -2);
  return w;
}

export function words(s: string): string[] {
  return normalise(s).split(' ').filter(Boolean);
}

/** A class name as people write it: "malformed_vias" → "malformed vias". */
export function displayName(name: string): string {
  return name.replace(/[_]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function editDistanceAtMost1(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

export interface Mention {
  readonly className: string;
  /** Word positions [from, to) of the mention in `words(question)`. */
  readonly from: number;
  readonly to: number;
}

/**
 * Classes of the taxonomy named in a question: every word of the class name (stemmed; one typo allowed when both
 * words have 5+ letters, so that a short common word — "shot" — never reads as a class — "short") appears as consecutive words,
 * or, for a name of several words, anywhere within a span two words longer than the name. Longest mentions first;
 * overlapping shorter ones dropped.
 */
export function classMentions(question: string, classes: readonly string[]): Mention[] {
  const ws = words(question).map(stem);
  const found: Mention[] = [];
  const same = (q: string, w: string) => q === w || (w.length >= 5 && q.length >= 5 && editDistanceAtMost1(q, w));
  for (const c of classes) {
    const cw = words(displayName(c)).map(stem);
    if (cw.length === 0) continue;
    let at: Mention | null = null;
    for (let i = 0; i + cw.length <= ws.length && !at; i++) {
      if (cw.every((w, k) => same(ws[i + k], w))) at = { className: c, from: i, to: i + cw.length };
    }
    // A several-word name said in another order or with a word between ("is the via malformed?", "vias that
    // are malformed"): every word of the name within a span at most two words longer than the name.
    for (let i = 0; !at && cw.length > 1 && i < ws.length; i++) {
      if (!cw.some((w) => same(ws[i], w))) continue;
      const span = ws.slice(i, i + cw.length + 2);
      const used = new Set<number>();
      let end = i;
      const all = cw.every((w) => {
        const k = span.findIndex((q, j) => !used.has(j) && same(q, w));
        if (k < 0) return false;
        used.add(k);
        end = Math.max(end, i + k);
        return true;
      });
      if (all) at = { className: c, from: i, to: end + 1 };
    }
    if (at) found.push(at);
  }
  found.sort((a, b) => b.to - b.from - (a.to - a.from) || a.from - b.from);
  const kept: Mention[] = [];
  for (const m of found) if (!kept.some((k) => m.from < k.to && k.from < m.to)) kept.push(m);
  return kept.sort((a, b) => a.from - b.from);
}

/** The question with each class mention replaced by the slot word `xclassx` (intents are learnt class-free). */
export function withClassSlot(question: string, classes: readonly string[]): string {
  const ms = classMentions(question, classes);
  if (ms.length === 0) return normalise(question);
  const ws = words(question);
  const out: string[] = [];
  for (let i = 0; i < ws.length; i++) {
    const m = ms.find((x) => x.from === i);
    if (m) {
      out.push('xclassx');
      i = m.to - 1;
    } else out.push(ws[i]);
  }
  return out.join(' ');
}

export const FEATURE_DIM = 1 << 14;

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (FEATURE_DIM - 1);
}

export type SparseVec = Map<number, number>;

/** Hashed features, L2-normalised: word stems (w), word pairs (b), char 3- and 4-grams of each word with boundaries (c). */
export function features(text: string): SparseVec {
  const ws = words(text);
  const v: SparseVec = new Map();
  const add = (k: string, x: number) => {
    const h = hash(k);
    v.set(h, (v.get(h) ?? 0) + x);
  };
  ws.forEach((w, i) => {
    const s = stem(w);
    add(`w:${s}`, 1);
    if (i + 1 < ws.length) add(`b:${s} ${stem(ws[i + 1])}`, 0.7);
    if (i === 0) add(`f:${s}`, 0.7);
    const p = `<${w}>`;
    for (const n of [3, 4]) for (let j = 0; j + n <= p.length; j++) add(`c:${p.slice(j, j + n)}`, 0.35);
  });
  let z = 0;
  for (const x of v.values()) z += x * x;
  z = Math.sqrt(z) || 1;
  for (const [k, x] of v) v.set(k, x / z);
  return v;
}

export function dot(a: SparseVec, b: SparseVec): number {
  const [s, l] = a.size < b.size ? [a, b] : [b, a];
  let d = 0;
  for (const [k, x] of s) {
    const y = l.get(k);
    if (y !== undefined) d += x * y;
  }
  return d;
}

/**
 * Politeness and framing words around a question ("please", "quick question", "can you tell me"): they carry no
 * intent, and augmentation adds them to every intent alike, so they are dropped before features are taken.
 */
const FRAME_START =
  /^(?:(?:please|hey|hi|hello|ok|okay|so|well|now|quick question|just wondering|can you tell me|could you tell me|would you tell me|can you please tell me|i would like to know|i'd like to know|i want to know|i wonder|do you know|could you say|can you say|tell me please)\s+)+/;
const FRAME_END = /\s+(?:please|thanks|thank you|thx)$/;

export function stripFrames(normalised: string): string {
  const t = normalised.replace(FRAME_START, '').replace(FRAME_END, '').trim();
  return t || normalised;
}

/** English function words (and the slot word): what is left are a question's content words. */
const STOPWORDS = new Set(
  (
    "a an the this that these those it its it's is are was were be been being am do does did done doing can could would should will shall may might must " +
    'of in on at to for with by from into onto about over under between through as and or but if then than so not no yes ' +
    'i me my we us our you your he she they them their his her there here what which how where when who whom whose why ' +
    "what's there's any some all each every one ones much many more most very just also too please tell give show let xclassx " +
    'have has had get got see look looks like kind sort type bit thing things really quite rather'
  ).split(' '),
);

export function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOPWORDS.has(w) && !/^\d+$/.test(w));
}

/** A set of known content-word stems, matched loosely (same stem, or a shared 5-letter start: "categorise"/"category"). */
export class Vocabulary {
  private readonly stems = new Set<string>();
  private readonly prefixes = new Set<string>();

  add(text: string): void {
    for (const w of contentWords(text)) {
      const s = stem(w);
      this.stems.add(s);
      if (s.length >= 5) this.prefixes.add(s.slice(0, 5));
    }
  }

  knows(word: string): boolean {
    const s = stem(word);
    return this.stems.has(s) || (s.length >= 5 && this.prefixes.has(s.slice(0, 5)));
  }

  /** The content words of `text` this vocabulary does not know. */
  unknown(text: string): string[] {
    return contentWords(text).filter((w) => !this.knows(w));
  }

  /** Plain data (structured-cloneable: the intent model is fitted in a worker and sent back). */
  toData(): VocabularyData {
    return { stems: [...this.stems], prefixes: [...this.prefixes] };
  }

  static fromData(d: VocabularyData): Vocabulary {
    const v = new Vocabulary();
    for (const s of d.stems) v.stems.add(s);
    for (const s of d.prefixes) v.prefixes.add(s);
    return v;
  }
}

export interface VocabularyData {
  readonly stems: readonly string[];
  readonly prefixes: readonly string[];
}
