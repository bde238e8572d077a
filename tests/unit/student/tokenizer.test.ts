// The student's tokenizer and the slot form of numbers: round trips, byte fallback, determinism, old files.
import { describe, expect, it } from 'vitest';
import { SLOTS, TURN, Tokenizer } from '../../../native-models/student/tokenizer.js';
import { fmtNum, fromSlots, toSlots, type Measurements } from '../../../main/core/student/language.js';

const corpus = [
  'What does the image show?',
  'A micrograph consistent with cracks.',
  'Describe the morphology.',
  'Mean grey level <mean_grey>; the left half is brighter.',
  'About <len_nm>40 nm (40 px at <px_nm> nm per pixel).',
  'Are there defects?',
  'No defects are visible.',
  'Features typical of malformed_vias.',
  'clean cracks scratches bridges',
];

describe('student tokenizer', () => {
  const tok = Tokenizer.train(corpus, 360);

  it('round-trips any text: unicode and unseen words through byte fallback, digits one token each, slots as tokens', () => {
    for (const s of [
      'Features typical of cracks.',
      'µm-scale voids — ünseen wörds 😀',
      'About 1234 nm',
      ' two  spaces\tand tab\n',
      '',
      'x<px_nm>y <len_nm>12',
    ]) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    const ids = tok.encode('1234');
    expect(ids.map((i) => tok.piece(i))).toEqual(['1', '2', '3', '4']);
    expect(tok.encode('<px_nm>')).toEqual([tok.slot('<px_nm>')]);
    for (const id of tok.encode('anything at all: ✓ 42')) expect(id).toBeLessThan(tok.size);
    expect(tok.encode(' defects').length).toBe(1); // frequent words become one token
  });

  it('is deterministic: the same corpus in another order gives the same vocabulary; it reloads from its data', () => {
    const again = Tokenizer.train([...corpus].reverse(), 360);
    expect(again.data).toEqual(tok.data);
    const reloaded = new Tokenizer(JSON.parse(JSON.stringify(tok.data)));
    expect(reloaded.encode(corpus[4])).toEqual(tok.encode(corpus[4]));
    expect(reloaded.size).toBe(tok.size);
    expect(SLOTS.length).toBeGreaterThan(0);
  });

  it('is version 2 with a <turn> control token; version-1 files (saved before it) keep their own id layout', () => {
    expect(tok.data.version).toBe(2);
    expect(tok.turn).toBe(TURN);
    expect(tok.piece(TURN)).toBe('<turn>');
    expect(tok.slot('<px_nm>')).toBe(TURN + 1);
    expect(tok.decode([TURN, ...tok.encode('No defects')])).toBe('No defects'); // control tokens are not text
    // Written by the tokenizer before `<turn>` existed (train(['Are there defects?', 'No defects are visible.',
    // 'Features typical of cracks.', 'About <len_nm>40 nm at <px_nm> nm.'], 280)), with the ids it produced then.
    const v1 = new Tokenizer({
      format: 'emma-bpe',
      version: 1,
      merges: [
        [125, 112],
        [108, 127],
        [110, 127],
        [111, 112],
        [112, 269],
        [113, 271],
        [121, 120],
        [270, 272],
        [274, 126],
        [43, 127],
        [43, 273],
        [43, 275],
      ],
    });
    expect(v1.turn).toBeNull();
    expect(v1.size).toBe(279);
    expect(v1.encode('No defects are visible.')).toEqual([89, 122, 278, 43, 108, 267, 43, 129, 116, 126, 116, 109, 119, 112, 57]);
    expect(v1.encode('About <len_nm>12 nm')).toEqual([76, 109, 122, 128, 127, 43, 7, 60, 61, 277]);
    expect(v1.encode('défauts')).toEqual([111, 206, 180, 113, 108, 128, 127, 126]);
    expect(v1.piece(6)).toBe('<px_nm>');
    expect(v1.decode(v1.encode('About <len_nm>12 nm, défauts'))).toBe('About <len_nm>12 nm, défauts');
    expect(() => new Tokenizer({ format: 'emma-bpe', version: 3 as never, merges: [] })).toThrow(/version 3/);
  });

  it('puts measurements into slots and fills them back from the image (lengths in pixels times the calibration)', () => {
    const m: Measurements = { pixelNm: 3.125, width: 1024, height: 690, meanGrey: 92.63, stdGrey: 10, leftMinusRight: 1, topMinusBottom: 0, histogram: [] };
    const text = `About 400 nm (128 px at ${fmtNum(3.125)} nm per pixel). Mean grey level 92.6; a 1024x690 image.`;
    const s = toSlots(text, m);
    expect(s).toBe('About <len_nm>128 nm (128 px at <px_nm> nm per pixel). Mean grey level <mean_grey>; a <width_px>x<height_px> image.');
    expect(fromSlots(s, m)).toBe(text);
    // Another calibration: the same slot text gives that image's lengths.
    expect(fromSlots('About <len_nm>128 nm at <px_nm> nm', { ...m, pixelNm: 10 })).toBe('About 1280 nm at 10 nm');
    expect(fromSlots('About <len_nm>128 nm', { ...m, pixelNm: null })).toBe('About 128 px nm');
  });
});
