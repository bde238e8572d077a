// The chat's text rules without a model: the stutter detector, the decoder's token rules (driven by a fake
// decoder that always prefers to repeat itself), the class slot, the measurement sentences.
import { describe, expect, it } from 'vitest';
import { stutterReasons, isWellFormed } from '../../../main/core/chat/wellformed.js';
import { allowedNext, finishText, repeatsLastWord, type PieceSource } from '../../../native-models/student/decode.js';
import { classMentions, withClassSlot } from '../../../main/core/chat/text.js';
import { countsObjects, measurementSentence, quantityAsked, type ImageMeasurement } from '../../../main/core/chat/measure.js';
import { whichClassText, yesNoText, anyDefectText, calibrationText, describeText, refusalText } from '../../../main/core/chat/compose.js';

describe('stutter detector', () => {
  it('fails the answers of the issue: spliced sentences, letter runs, repeated phrases, no end', () => {
    expect(
      stutterReasons(
        'The micrograph shows material joining twoThe micrograph shows material joining two neighbouring lines; class bridges defect: material joining two neighbouring lines.',
      ).length,
    ).toBeGreaterThan(0);
    expect(stutterReasons('AAAAAAAbout 40 particles in loose agglomerates.')).toContain('a run of one repeated letter');
    expect(stutterReasons('About 40 particles in loose agglomerates')).toContain('no terminal punctuation');
    expect(stutterReasons('Lines are are straight.').join()).toMatch(/repeated word/);
    expect(stutterReasons('It is clean.The lines are straight.').join()).toMatch(/missing space/);
    expect(stutterReasons('')).toEqual(['empty']);
  });

  it('passes well-formed answers, decimals and units included', () => {
    expect(isWellFormed("One pixel is 2.5 nm (from the image's calibration metadata); the 1024 × 768 px frame covers 2.56 µm × 1.92 µm.")).toBe(true);
    expect(isWellFormed('No: the classifier gives short only 4%; it most likely shows bridges (83%).')).toBe(true);
  });

  it('every grounded template is well formed', () => {
    const defs = new Map([
      ['malformed_vias', 'Vias that are missing, misshapen or merged.'],
      ['clean', 'No visible defect.'],
    ]);
    const ranked = [
      { className: 'malformed_vias', probability: 0.41 },
      { className: 'clean', probability: 0.39 },
      { className: 'open', probability: 0.2 },
    ];
    for (const t of [
      whichClassText(ranked, defs),
      yesNoText('clean', ranked).text,
      yesNoText('malformed_vias', ranked).text,
      anyDefectText('clean', ranked).text,
      calibrationText(null, 640, 480),
      calibrationText(3.1, 640, 480),
      describeText(ranked, defs, 3.1, 640, 480),
      refusalText('it is not about the image', true),
    ])
      expect(stutterReasons(t), t).toEqual([]);
  });
});

describe('decoder token rules', () => {
  const vocab = ['<pad>', '<bos>', '<eos>', 'The', ' micrograph', ' shows', ' two', ' lines', '.', 'A', 'bout', ' 40'];
  const tok: PieceSource = { piece: (id) => vocab[id] };
  /** A greedy decoder whose favourite continuation is always the one that repeats. */
  function decode(preference: (out: number[]) => number[]): string {
    const out: number[] = [];
    for (let step = 0; step < 20; step++) {
      const next = preference(out).find((j) => j === 2 || allowedNext(out, j, tok));
      if (next === undefined || next === 2) break;
      out.push(next);
    }
    return finishText(out.map((i) => vocab[i]).join(''));
  }

  it('blocks repeated 3-grams, runs of one token, and a capitalised restart glued to a word', () => {
    const looping = decode((out) => [3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 2].slice(out.length % 4));
    expect(stutterReasons(looping), looping).toEqual([]);
    const stuck = decode(() => [9, 10, 11, 8, 2]);
    expect(stuck).not.toMatch(/AAA/);
    expect(stutterReasons(stuck), stuck).toEqual([]);
    expect(allowedNext([4, 5, 6], 3, tok)).toBe(false); // " two" + "The": a spliced restart
    expect(allowedNext([3, 4, 5], 4, tok)).toBe(true);
  });

  it('trims an answer cut by the length limit back to its last sentence', () => {
    expect(finishText('Lines are straight. The spacing is')).toBe('Lines are straight.');
    expect(finishText('Lines are straight,')).toBe('Lines are straight.');
  });
});

describe('class slot', () => {
  const classes = ['bridges', 'malformed_vias', 'short', 'clean'];
  it('finds class names in plural, singular, with a typo, and multi-word', () => {
    expect(classMentions('is there a bridge between the lines?', classes).map((m) => m.className)).toEqual(['bridges']);
    expect(classMentions('any malformed via here?', classes).map((m) => m.className)).toEqual(['malformed_vias']);
    expect(classMentions('do you see bridqes', classes).map((m) => m.className)).toEqual(['bridges']);
    expect(classMentions('is it a short or clean?', classes).map((m) => m.className)).toEqual(['short', 'clean']);
    expect(classMentions('what is the weather?', classes)).toEqual([]);
    expect(classMentions('any bridges in this shot?', classes).map((m) => m.className)).toEqual(['bridges']);
    expect(withClassSlot('Is there a bridge?', classes)).toBe('is there a xclassx');
  });

  it('finds a several-word name in another order or with a word between, but not words far apart', () => {
    expect(classMentions('Is the via malformed?', classes).map((m) => m.className)).toEqual(['malformed_vias']);
    expect(withClassSlot('Is the via malformed?', classes)).toBe('is the xclassx');
    expect(classMentions('are there vias that look malformed', classes).map((m) => m.className)).toEqual(['malformed_vias']);
    expect(classMentions('the via at the top left corner of this die looks malformed', classes)).toEqual([]);
  });
});

describe('measurement sentences', () => {
  const m: ImageMeasurement = {
    method: 'Otsu threshold + connected components',
    pixelSizeNm: 2,
    unit: 'nm',
    particles: { count: 41, excludedAtEdge: 3, ecd: { median: 52.3, p10: 31, p90: 80.2, mean: 54, sd: 12.1 } },
    lines: { pitch: 90, cd: 45, space: 45 },
  };
  it('reports only what the measurement holds, naming the method', () => {
    expect(quantityAsked('how many particles are there?')).toBe('count');
    expect(quantityAsked('how far apart are the lines?')).toBe('spacing');
    expect(quantityAsked('how wide are the lines in nm?')).toBe('width');
    expect(quantityAsked('how big are the grains?')).toBe('size');
    expect(measurementSentence(m, 'count')).toMatch(/^41 particles counted \(3 more touch the edge.*Otsu/);
    expect(measurementSentence(m, 'size')).toMatch(/Median equivalent circular diameter 52.3 nm/);
    expect(measurementSentence(m, 'spacing')).toMatch(/Pitch 90 nm, space between lines 45 nm/);
    expect(measurementSentence({ ...m, lines: null }, 'width')).toBeNull();
    expect(measurementSentence(m, 'size')).toMatch(/n = 41 particles\); method: Otsu.*at 2 nm\/px from the file's calibration/);
    // No calibration: lengths in px, said so; never a number in nm.
    const px = measurementSentence({ ...m, pixelSizeNm: null, unit: 'px' }, 'size')!;
    expect(px).toMatch(/52.3 px.*uncalibrated/);
    expect(px).not.toMatch(/\bnm\b/);
    for (const q of ['count', 'size', 'spacing', 'width'] as const) expect(stutterReasons(measurementSentence(m, q)!)).toEqual([]);
  });

  it('reads line-edge roughness, and names no quantity where the question asks for something no measurement gives', () => {
    expect(countsObjects('How many vias are in this field of view?')).toBe(true);
    expect(countsObjects('What is the number of particles per frame?')).toBe(true);
    expect(countsObjects('How many nm per pixel?')).toBe(false);
    expect(countsObjects('how many pixels wide is the image')).toBe(false);
    expect(countsObjects('What is the field of view?')).toBe(false);
    expect(quantityAsked('How rough are the line edges?')).toBe('roughness');
    expect(quantityAsked('what is the LER?')).toBe('roughness');
    expect(quantityAsked('What is the median ECD?')).toBe('size');
    expect(quantityAsked('What is the chemical composition of the particles?')).toBeNull();
    expect(quantityAsked('What is the electrical resistance of the line?')).toBeNull();
    expect(measurementSentence(m, 'roughness')).toBeNull(); // the measurement holds no LER
    const rough = measurementSentence({ ...m, lines: { pitch: 90, cd: 45, space: 45, ler: 3.6 } }, 'roughness')!;
    expect(rough).toMatch(/^Line-edge roughness \(3σ\) 3.6 nm at a pitch of 90 nm; line metrology, at 2 nm\/px/);
    expect(stutterReasons(rough)).toEqual([]);
  });
});

describe('a word doubled across pieces', () => {
  // Pieces as the student's tokenizer writes them: a leading space starts a word.
  const pieces = [' typical', ' o', 'f', ' cracks', '.', ' of'];
  const tok = { piece: (id: number) => pieces[id] };
  it('refuses the token that would close the second copy, and says a doubled word once at the end', () => {
    const soFar = [0, 1, 2, 1, 2]; // " typical of of"
    expect(repeatsLastWord(soFar, tok)).toBe(true);
    expect(allowedNext(soFar, 3, tok)).toBe(false); // " cracks" would seal "of of"
    expect(allowedNext([0, 1, 2], 3, tok)).toBe(true);
    expect(repeatsLastWord([0, 1, 2, 3], tok)).toBe(false);
    expect(finishText('Features typical of of cracks.')).toBe('Features typical of cracks.');
    expect(finishText('A 100 100 nm pitch.')).toBe('A 100 100 nm pitch.'); // numbers are left alone
  });
});
