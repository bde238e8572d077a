// Grounded answer text: what an answer says about the class comes from the classifier's probabilities (a class
// slot), numbers from the calibration or a measurement source, process knowledge from reviewed answers of images
// of the predicted class. Every sentence is a template with its slots filled, so it is well formed by construction.
import type { Intent } from './seeds.js';
import { displayName } from './text.js';

export interface ClassProb {
  readonly className: string;
  readonly probability: number;
}

const pc = (p: number) => `${Math.round(100 * p)}%`;

/** Names a class such that the first class name in the text is the one meant. */
const cls = (c: string) => displayName(c);

function definitionClause(def: string | undefined): string {
  const d = (def ?? '').trim().replace(/\.+$/, '');
  // After the probability, so that a definition starting with the class's own word never follows the name.
  return d ? ` (by definition: ${d.charAt(0).toLowerCase()}${d.slice(1)})` : '';
}

export function whichClassText(ranked: readonly ClassProb[], defs: ReadonlyMap<string, string>): string {
  const [top, second] = ranked;
  const base = `This looks like ${cls(top.className)}: the classifier gives it ${pc(top.probability)}${definitionClause(defs.get(top.className))}.`;
  if (second && top.probability < 0.6) return `${base} I am not certain; next is ${cls(second.className)} at ${pc(second.probability)}.`;
  return base;
}

export interface YesNo {
  readonly yes: boolean;
  readonly confidence: number;
  readonly text: string;
}

/**
 * Is the image of class `asked`? Yes when it is the classifier's top class or has probability ≥ 0.5, so the answer
 * never contradicts the prediction shown beside it.
 */
export function yesNoText(asked: string, ranked: readonly ClassProb[]): YesNo {
  const top = ranked[0];
  const p = ranked.find((r) => r.className === asked)?.probability ?? 0;
  const yes = top.className === asked || p >= 0.5;
  if (yes) return { yes, confidence: p, text: `Yes: the classifier puts this image in ${cls(asked)} with probability ${pc(p)}.` };
  return {
    yes,
    confidence: 1 - p,
    text: `No: the classifier gives ${cls(asked)} only ${pc(p)}; it most likely shows ${cls(top.className)} (${pc(top.probability)}).`,
  };
}

/** "Is there a defect?" over a taxonomy with a no-defect class: defect = any class but that one. */
export function anyDefectText(clean: string, ranked: readonly ClassProb[]): YesNo {
  const top = ranked[0];
  const pClean = ranked.find((r) => r.className === clean)?.probability ?? 0;
  if (top.className !== clean) {
    return {
      yes: true,
      confidence: 1 - pClean,
      text: `Yes: the classifier gives the defect classes ${pc(1 - pClean)} together; most likely ${cls(top.className)} (${pc(top.probability)}).`,
    };
  }
  return { yes: false, confidence: pClean, text: `No: the classifier rates this image ${cls(clean)} with probability ${pc(pClean)}.` };
}

/** Of several classes named in one question, the more likely one. */
export function choiceText(asked: readonly string[], ranked: readonly ClassProb[]): { text: string; className: string; confidence: number } {
  const ps = asked
    .map((a) => ({ className: a, probability: ranked.find((r) => r.className === a)?.probability ?? 0 }))
    .sort((a, b) => b.probability - a.probability);
  const [a, b] = ps;
  const top = ranked[0];
  const tail = top.className !== a.className ? ` Neither is the classifier's first choice, which is ${cls(top.className)} (${pc(top.probability)}).` : '';
  return {
    className: a.className,
    confidence: a.probability,
    text: `${cls(a.className).replace(/^./, (c) => c.toUpperCase())} is more likely than ${cls(b.className)}: the classifier gives ${pc(a.probability)} against ${pc(b.probability)}.${tail}`,
  };
}

export function calibrationText(pixelNm: number | null, width: number, height: number): string {
  if (pixelNm === null) return `This image has no calibration, so I can't give physical sizes; it is ${width} × ${height} px.`;
  const f = (nm: number) => (nm >= 1000 ? `${Number((nm / 1000).toPrecision(3))} µm` : `${Number(nm.toPrecision(3))} nm`);
  return `One pixel is ${Number(pixelNm.toPrecision(4))} nm (from the image's calibration metadata); the ${width} × ${height} px frame covers ${f(pixelNm * width)} × ${f(pixelNm * height)}.`;
}

export function describeText(ranked: readonly ClassProb[], defs: ReadonlyMap<string, string>, pixelNm: number | null, width: number, height: number): string {
  const top = ranked[0];
  const scale = pixelNm === null ? 'without a calibration' : `at ${Number(pixelNm.toPrecision(4))} nm per pixel`;
  const d = (defs.get(top.className) ?? '').trim().replace(/\.+$/, '');
  return `A ${width} × ${height} px micrograph ${scale}. The classifier's best match is ${cls(top.className)} at ${pc(top.probability)}${d ? `: ${d.charAt(0).toLowerCase()}${d.slice(1)}` : ''}.`;
}

export function processText(top: ClassProb, answer: string, agree: number, of: number): string {
  const a = answer.trim().replace(/\s+/g, ' ');
  const q = /[.!?]$/.test(a) ? a : `${a}.`;
  return `Reviewed answers for ${cls(top.className)} images (the classifier's best match, ${pc(top.probability)}) say: ${q} (${agree} of ${of} reviewed answers.)`;
}

export const REFUSAL = "I can't answer that from this image";

export function refusalText(why: string, teacher: boolean): string {
  return `${REFUSAL}: ${why}.${teacher ? ' You can ask the teacher instead.' : ''}`;
}

export const INTENT_LABEL: Record<Intent, string> = {
  which: 'which class',
  yesno: 'yes/no about a class',
  measure: 'measurement',
  calibration: 'calibration',
  describe: 'description',
  process: 'process step',
  oos: 'out of scope',
};
