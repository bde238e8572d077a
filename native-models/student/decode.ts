// Decoding rules of the student's text decoder, independent of the model: which next tokens are allowed and when
// to stop. Greedy decoding of a small decoder trained on few sentences loops ("AAAAAAAbout") and restarts training
// sentences mid-word ("twoThe micrograph…": the answer-initial token "The" has no leading space, so a restart is
// glued to the previous word). The rules: no repeated token 3-gram, no token three times in a row (no whole word
// twice), no word-initial
// capital glued to a letter, no letter glued to sentence punctuation; stop after `maxSentences` sentences; an answer
// cut by the length limit is trimmed back to its last full sentence.

export interface PieceSource {
  /** The text of one token (control tokens and slots as their markers). */
  piece(id: number): string;
}

export interface DecodeRules {
  readonly noRepeatNgram: number;
  readonly maxRun: number;
  readonly maxSentences: number;
}

export const DEFAULT_RULES: DecodeRules = { noRepeatNgram: 3, maxRun: 2, maxSentences: 2 };

/** Whether `next` may follow `out` (the answer's tokens so far). */
export function allowedNext(out: readonly number[], next: number, tok: PieceSource, r: DecodeRules = DEFAULT_RULES): boolean {
  const n = r.noRepeatNgram;
  if (n > 1 && out.length >= n - 1) {
    const tail = out.slice(out.length - (n - 1));
    for (let i = 0; i + n <= out.length; i++) {
      let same = out[i + n - 1] === next;
      for (let k = 0; same && k < n - 1; k++) same = out[i + k] === tail[k];
      if (same) return false;
    }
  }
  let run = 0;
  for (let i = out.length - 1; i >= 0 && out[i] === next; i--) run++;
  if (run >= r.maxRun) return false;
  if (out.length > 0) {
    const prev = tok.piece(out[out.length - 1]);
    const p = tok.piece(next);
    // A word or a piece of 2+ letters never directly repeats ("lines lines", "boutbout"); digits and single letters may ("100").
    if (run >= 1 && (/^\s\p{L}/u.test(p) || /\p{L}{2}/u.test(p))) return false;
    if (/[\p{L}\p{N}]$/u.test(prev) && /^\p{Lu}/u.test(p)) return false;
    if (/[.!?;,:]$/.test(prev) && /^\p{L}/u.test(p)) return false;
    // A word spelt in several pieces can still come twice ("of of"): the token that would close the second copy
    // (anything that does not continue the word) is refused, so the decoder must say something else.
    if (!/^\p{L}/u.test(p) && repeatsLastWord(out, tok)) return false;
  }
  return true;
}

/** Whether the answer so far ends with the same word twice ("typical of of"). */
export function repeatsLastWord(out: readonly number[], tok: PieceSource): boolean {
  return /(?<!\p{L})(\p{L}+)\s+\1$/iu.test(out.map((id) => tok.piece(id)).join(''));
}

export function sentenceCount(text: string): number {
  return (text.match(/[.!?](?=\s|$)/g) ?? []).length;
}

/** An answer cut short: back to its last complete sentence, or closed with a full stop when it has none. */
export function finishText(text: string): string {
  // Last guard: a word doubled across a piece boundary the rules could not see ("of of") is said once.
  const t = text.trim().replace(/(?<!\p{L})(\p{L}+)(?:\s+\1)+(?!\p{L})/giu, '$1');
  if (!t || /[.!?]$/.test(t)) return t;
  const m = /^(.*[.!?])(?=\s)/s.exec(t);
  if (m) return m[1].trim();
  return `${t.replace(/[,;:\s]+$/, '')}.`;
}
