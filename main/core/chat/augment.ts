// Training wordings for the intent model: seeds, templated paraphrases (templates.ts), reviewed questions,
// instruction pairs from reviewed labels and the teacher's paraphrases of question wordings (teacher/paraphrase.ts),
// each multiplied by paraphrase augmentation (politeness frames, "in this image"-style tails before or after the
// question, synonym swaps of common words, one dropped word), deterministically. The benchmark's held-out wordings
// (bench/vqa-heldout-questions.json) are never among them.
import { rng, type LabelledWording } from './intent.js';
import { QA_KIND_INTENT, SEEDS, INTENTS, type Intent } from './seeds.js';
import { expandTemplate, TEMPLATES } from './templates.js';
import { displayName, normalise } from './text.js';

const PREFIXES = ['', 'please ', 'can you tell me ', 'could you say ', 'i would like to know ', 'quick question ', 'hey ', 'tell me '];
const SUFFIXES = ['', ' in this image', ' here', ' in this micrograph', ' in the picture', ' please', ' in this sem image'];
/** Interchangeable general words (not domain answers): a swap keeps the question's meaning. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['image', 'picture', 'micrograph', 'photo', 'frame', 'shot', 'scan'],
  ['see', 'spot', 'find', 'notice', 'observe', 'detect'],
  ['show', 'display', 'contain', 'depict'],
  ['large', 'big'],
  ['what', 'which'],
  ['is there', 'do we have', 'can i see'],
  ['describe', 'characterise', 'summarise'],
  ['class', 'category', 'type', 'kind'],
];

export function paraphrases(text: string, n: number, seed: number): string[] {
  const r = rng(seed);
  const base = normalise(text);
  const out = new Set<string>([base]);
  for (let tries = 0; out.size < n + 1 && tries < n * 6; tries++) {
    let t = base;
    for (const group of SYNONYMS) {
      const hit = group.find((g) => new RegExp(`\\b${g}\\b`).test(t));
      if (hit && r() < 0.6) t = t.replace(new RegExp(`\\b${hit}\\b`), group[Math.floor(r() * group.length)]);
    }
    const ws = t.split(' ');
    if (ws.length > 3 && r() < 0.3) {
      const k = Math.floor(r() * ws.length);
      if (ws[k] !== 'xclassx') ws.splice(k, 1);
      t = ws.join(' ');
    }
    const tail = SUFFIXES[Math.floor(r() * SUFFIXES.length)];
    // A locative tail also goes in front ("in this image, is there …"): word order varies as much as words do.
    t = tail && r() < 0.25 ? `${tail.trim()} ${t}` : `${PREFIXES[Math.floor(r() * PREFIXES.length)]}${t}${tail}`;
    out.add(t.trim());
  }
  return [...out];
}

/** Fills the slot word with a class's display name (so the slot detector is exercised in training too). */
function fill(text: string, cls: string): string {
  return text.replace(/xclassx/g, displayName(cls));
}

/** A paraphrase of a question wording written by the teacher (teacher/paraphrase.ts), in slot form (`xclassx`). */
export interface TaughtParaphrase {
  readonly intent: Intent;
  /** The wording it paraphrases. */
  readonly source: string;
  readonly text: string;
}

export interface ReviewedQuestion {
  readonly question: string;
  /** The teacher's Q&A kind, when the pair came from a teacher answer. */
  readonly qaKind: string | null;
}

/**
 * Every labelled wording the intent model learns from. Reviewed questions with a known kind carry its intent;
 * reviewed questions without one (the operator's own) are labelled by `label` (a seed-only model) and used only
 * when it is sure. Instruction pairs from reviewed labels: for each class, which-class and yes/no questions.
 */
export function trainingWordings(o: {
  classes: readonly string[];
  reviewed: readonly ReviewedQuestion[];
  label?: (q: string) => { intent: Intent; probability: number; outOfScope: boolean } | null;
  perSeed?: number;
  /** Expansions kept per template (0: no templates). */
  perTemplate?: number;
  /** The teacher's paraphrases of question wordings: more labelled wordings, in the group of the wording they paraphrase. */
  paraphrases?: readonly TaughtParaphrase[];
  /** Augmented variants kept per teacher paraphrase besides itself. */
  perParaphrase?: number;
}): LabelledWording[] {
  const per = o.perSeed ?? 6;
  const perTemplate = o.perTemplate ?? 24;
  const out: LabelledWording[] = [];
  /** The group of each source wording (normalised): a paraphrase is held out with what it paraphrases. */
  const groupOf = new Map<string, string>();
  let s = 1;
  for (const intent of INTENTS) {
    for (const [i, seed] of SEEDS[intent].entries()) {
      const group = `seed:${intent}:${i}`;
      groupOf.set(`${intent}\u0000${normalise(seed)}`, group);
      for (const p of paraphrases(seed, per, s++)) out.push({ text: p, intent, group });
    }
  }
  if (perTemplate > 0) {
    const r = rng(4242);
    for (const intent of INTENTS) {
      for (const [i, t] of TEMPLATES[intent].entries()) {
        const group = `template:${intent}:${i}`;
        for (const [k, e] of expandTemplate(t, perTemplate, r).entries()) {
          // Some slot wordings with a real class name, so that the slot detector's output is what is learnt.
          const text = e.includes('xclassx') && o.classes.length && k % 4 === 0 ? fill(e, o.classes[(i + k) % o.classes.length]) : e;
          out.push({ text, intent, group });
        }
      }
    }
  }
  // Instruction pairs from reviewed labels: the class named in which-class and yes/no wordings.
  for (const [ci, cls] of o.classes.entries()) {
    for (const [i, seed] of SEEDS.yesno.entries()) {
      if (!seed.includes('xclassx') || (i + ci) % 3 !== 0) continue;
      out.push({ text: fill(seed, cls), intent: 'yesno', group: `seed:yesno:${i}` });
    }
  }
  const uniq = new Map<string, ReviewedQuestion>();
  for (const r of o.reviewed) if (r.question.trim()) uniq.set(normalise(r.question), r);
  for (const [k, r] of [...uniq.values()].entries()) {
    let intent: Intent | null = r.qaKind ? (QA_KIND_INTENT[r.qaKind] ?? null) : null;
    if (!intent && o.label) {
      const d = o.label(r.question);
      if (d && !d.outOfScope && d.probability >= 0.8) intent = d.intent;
    }
    if (!intent) continue;
    const group = `reviewed:${k}`;
    groupOf.set(`${intent}\u0000${normalise(r.question)}`, group);
    for (const p of paraphrases(r.question, per, 1000 + k)) out.push({ text: p, intent, group });
  }
  const perParaphrase = o.perParaphrase ?? 2;
  const taught = new Set<string>();
  for (const [k, tp] of (o.paraphrases ?? []).entries()) {
    if (!INTENTS.includes(tp.intent) || !tp.text.trim()) continue;
    const key = `${tp.intent}\u0000${normalise(tp.text)}`;
    if (taught.has(key)) continue;
    taught.add(key);
    const group = groupOf.get(`${tp.intent}\u0000${normalise(tp.source)}`) ?? `teacher:${tp.intent}:${normalise(tp.source)}`;
    for (const p of paraphrases(tp.text, perParaphrase, 5000 + k)) out.push({ text: p, intent: tp.intent, group });
  }
  return out;
}
