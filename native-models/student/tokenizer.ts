// The student's tokenizer: byte-level BPE trained on the project's own text (captions, questions, answers,
// class names), with byte fallback (any string encodes), digits always single tokens (numbers compose), and
// a few special tokens: control (pad/bos/eos/sep/cls/caption/turn) and measurement slots (see vlm-text in core).
// Deterministic: the same corpus gives the same vocabulary on any machine (ties broken by byte order).
//
// Id layout: control tokens, slots, 256 bytes, merges. Version 1 (saved before chat history was learnt) has 6
// control tokens; version 2 adds `<turn>` (id 6, ends an earlier turn of a conversation), which shifts every
// later id by one. Merges are stored as ids, so a file is read with the layout of its own version.

export const SPECIALS = ['<pad>', '<bos>', '<eos>', '<sep>', '<cls>', '<caption>', '<turn>'] as const;
/** Measurement slots: the decoder emits the slot, the answer shows the measured value (deterministic). */
export const SLOTS = ['<px_nm>', '<len_nm>', '<mean_grey>', '<width_px>', '<height_px>'] as const;
export type Special = (typeof SPECIALS)[number];
export type Slot = (typeof SLOTS)[number];

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const SEP = 3;
export const CLS = 4;
export const CAPTION = 5;
/** Only in version-2 tokenizers (`Tokenizer.turn`); in version 1 this id is the first slot. */
export const TURN = 6;

export type TokenizerVersion = 1 | 2;
export const TOKENIZER_VERSION: TokenizerVersion = 2;

/** First ids of slots, bytes and merges in a version's layout. */
function layout(version: TokenizerVersion): { slot: number; byte: number; merge: number } {
  const slot = version === 1 ? 6 : 7;
  return { slot, byte: slot + SLOTS.length, merge: slot + SLOTS.length + 256 };
}

export interface TokenizerData {
  readonly format: 'emma-bpe';
  readonly version: TokenizerVersion;
  /** Merges in rank order, each as the two token ids merged (the new id is the version's first merge id + rank). */
  readonly merges: readonly (readonly [number, number])[];
}

/** Pre-tokenization: words with their leading space, single digits, punctuation runs, whitespace. */
const PIECE = /\s?[\p{L}]+|\p{N}|\s?[^\s\p{L}\p{N}]+|\s+/gu;
/** Slots inside a text (the core writes them as literal `<name>` markers). */
const SLOT_RE = new RegExp(`(${SLOTS.map((s) => s.replace(/[<>]/g, (c) => `\\${c}`)).join('|')})`, 'g');

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

function pieces(text: string, firstByte: number): number[][] {
  return (text.match(PIECE) ?? []).map((p) => Array.from(utf8.encode(p), (b) => firstByte + b));
}

export class Tokenizer {
  readonly size: number;
  /** The `<turn>` id; null for version-1 files (their decoders were trained on single questions). */
  readonly turn: number | null;
  private readonly firstSlot: number;
  private readonly firstByte: number;
  private readonly rank = new Map<string, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  constructor(readonly data: TokenizerData) {
    if (data.format !== 'emma-bpe') throw new Error('not an Emma tokenizer');
    if (data.version !== 1 && data.version !== 2) throw new Error(`tokenizer version ${String(data.version)} is newer than this program`);
    const at = layout(data.version);
    this.firstSlot = at.slot;
    this.firstByte = at.byte;
    this.turn = data.version >= 2 ? TURN : null;
    for (let b = 0; b < 256; b++) this.bytesOf[at.byte + b] = Uint8Array.of(b);
    data.merges.forEach(([a, b], r) => {
      this.rank.set(`${a},${b}`, r);
      const x = this.bytesOf[a];
      const y = this.bytesOf[b];
      const z = new Uint8Array(x.length + y.length);
      z.set(x);
      z.set(y, x.length);
      this.bytesOf[at.merge + r] = z;
    });
    this.size = at.merge + data.merges.length;
  }

  /** Trains merges on a corpus until `vocabSize` tokens (or no pair occurs twice). Always the current version. */
  static train(corpus: readonly string[], vocabSize: number): Tokenizer {
    const at = layout(TOKENIZER_VERSION);
    const counts = new Map<string, number>();
    for (const text of corpus)
      for (const part of text.split(SLOT_RE)) {
        if ((SLOTS as readonly string[]).includes(part)) continue;
        for (const p of part.match(PIECE) ?? []) counts.set(p, (counts.get(p) ?? 0) + 1);
      }
    // Words sorted so iteration order (and tie-breaking) does not depend on corpus order.
    const words = [...counts.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w, n]) => ({ ids: Array.from(utf8.encode(w), (b) => at.byte + b), n }));
    const merges: [number, number][] = [];
    while (at.merge + merges.length < vocabSize) {
      const pairs = new Map<string, number>();
      for (const w of words)
        for (let i = 0; i + 1 < w.ids.length; i++) {
          const a = w.ids[i];
          const b = w.ids[i + 1];
          if ((a < at.merge && isDigitByte(a - at.byte)) || (b < at.merge && isDigitByte(b - at.byte))) continue;
          const k = `${a},${b}`;
          pairs.set(k, (pairs.get(k) ?? 0) + w.n);
        }
      let best: string | null = null;
      let bestN = 1;
      for (const [k, n] of pairs)
        if (n > bestN || (n === bestN && best !== null && k < best)) {
          best = k;
          bestN = n;
        }
      if (best === null) break;
      const [a, b] = best.split(',').map(Number);
      const id = at.merge + merges.length;
      merges.push([a, b]);
      for (const w of words) w.ids = mergePair(w.ids, a, b, id);
    }
    return new Tokenizer({ format: 'emma-bpe', version: TOKENIZER_VERSION, merges });
  }

  private encodePiece(bytes: number[]): number[] {
    const key = bytes.join(',');
    const hit = this.cache.get(key);
    if (hit) return hit;
    let ids = bytes;
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(`${ids[i]},${ids[i + 1]}`);
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [a, b] = this.data.merges[best];
      ids = mergePair(ids, a, b, this.firstByte + 256 + best);
    }
    if (this.cache.size < 50_000) this.cache.set(key, ids);
    return ids;
  }

  /** Token ids of a text; slot markers (`<px_nm>` ...) become their slot tokens. No bos/eos. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const part of text.split(SLOT_RE)) {
      const s = (SLOTS as readonly string[]).indexOf(part);
      if (s >= 0) {
        out.push(this.firstSlot + s);
        continue;
      }
      for (const p of pieces(part, this.firstByte)) out.push(...this.encodePiece(p));
    }
    return out;
  }

  /** Text of ids; control tokens are dropped, slots are written as their markers. */
  decode(ids: readonly number[]): string {
    const chunks: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) chunks.push(fromUtf8.decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (const id of ids) {
      if (id < this.firstSlot) continue;
      if (id < this.firstByte) {
        flush();
        chunks.push(SLOTS[id - this.firstSlot]);
        continue;
      }
      const b = this.bytesOf[id];
      if (!b) throw new Error(`token ${id} is outside the vocabulary (${this.size})`);
      bytes.push(...b);
    }
    flush();
    return chunks.join('');
  }

  /** The id of a slot token. */
  slot(s: Slot): number {
    return this.firstSlot + SLOTS.indexOf(s);
  }

  isSlot(id: number): boolean {
    return id >= this.firstSlot && id < this.firstByte;
  }

  /** Printable form of one token (debugging, tests). */
  piece(id: number): string {
    if (id < this.firstSlot) return SPECIALS[id];
    if (id < this.firstByte) return SLOTS[id - this.firstSlot];
    return fromUtf8.decode(this.bytesOf[id]);
  }
}

function isDigitByte(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function mergePair(ids: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}
