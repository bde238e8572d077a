// A detector of malformed answer text (used by the decoder's stop rule, the tests and the benchmark):
// a repeated word 3-gram, a word repeated back to back, a spliced sentence ("twoThe"), a run of one character
// ("AAAAAbout"), punctuation glued to the next word, or no terminal punctuation.

export function stutterReasons(text: string): string[] {
  const t = text.trim();
  const out: string[] = [];
  if (!t) return ['empty'];
  const ws = t
    .toLowerCase()
    .replace(/[^\p{L}\p{N}%.]+/gu, ' ')
    .replace(/\.(?!\d)/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= ws.length; i++) {
    const g = ws.slice(i, i + 3).join(' ');
    if (seen.has(g)) {
      out.push(`repeated phrase "${g}"`);
      break;
    }
    seen.add(g);
  }
  for (let i = 1; i < ws.length; i++)
    if (ws[i] === ws[i - 1] && /\p{L}/u.test(ws[i])) {
      out.push(`repeated word "${ws[i]}"`);
      break;
    }
  const splice = /\p{Ll}\p{Lu}\p{Ll}/u.exec(t);
  if (splice) out.push(`spliced words at "${t.slice(Math.max(0, splice.index - 4), splice.index + 6)}"`);
  if (/(\p{L})\1{3,}/u.test(t)) out.push('a run of one repeated letter');
  if (/[a-z][.;!?][A-Za-z]/.test(t.replace(/\b(e\.g|i\.e|etc|vs|approx)\./gi, ''))) out.push('missing space after punctuation');
  if (!/[.!?)»"”]$/.test(t)) out.push('no terminal punctuation');
  return out;
}

export const isWellFormed = (text: string) => stutterReasons(text).length === 0;
