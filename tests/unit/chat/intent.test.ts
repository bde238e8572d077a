// The question layer on its own: fitted from the built-in seeds and a few reviewed questions, it routes wordings
// written for this test (neither seeds nor the benchmark's held-out file) and refuses what an image cannot answer.
import { describe, expect, it } from 'vitest';
import { fitIntents } from '../../../main/core/chat/fit.js';
import { paraphrases } from '../../../main/core/chat/augment.js';
import { IntentModel } from '../../../main/core/chat/intent.js';

const classes = ['bridges', 'clean', 'cracks', 'malformed_vias', 'open', 'other', 'scratches', 'short'];
const reviewed = [
  { question: 'What does the image show?', qaKind: 'identification' },
  { question: 'What is the characteristic feature size?', qaKind: 'size' },
  { question: 'What process step does this suggest?', qaKind: 'process' },
  { question: 'how do the lines look overall?', qaKind: null },
];

describe('intent model', () => {
  const m = fitIntents(classes, reviewed);

  it('routes unseen wordings to their intent', () => {
    const cases: [string, string][] = [
      ['Which defect category applies to this one?', 'which'],
      ['Is a short visible in this micrograph?', 'yesno'],
      ['Are there any cracks at all?', 'yesno'],
      ['How many particles do you count?', 'measure'],
      ['How wide are the lines in nm?', 'measure'],
      ['What is the pixel size of this image?', 'calibration'],
      ['Please describe this picture.', 'describe'],
      ['Which fabrication step does this point to?', 'process'],
    ];
    for (const [q, intent] of cases) {
      const d = m.decide(q);
      expect({ q, intent: d.intent, refused: d.outOfScope }).toEqual({ q, intent, refused: false });
    }
  });

  it('refuses questions no image can answer', () => {
    for (const q of [
      'Will it snow on Friday?',
      'Who is the lab manager?',
      'How much does a wafer cost?',
      'Tell me a funny story.',
      'What was the spot size on the microscope?',
    ]) {
      expect(m.decide(q).outOfScope, q).toBe(true);
    }
  });

  it('knows the words of the domain before any library teaches them, and still refuses what an image cannot show', () => {
    // Every content word here is from the built-in glossary (glossary.ts), none from a seed or template.
    for (const [q, intent] of [
      ['What anomaly is present on this die?', 'which'],
      ['Which failure mode do we have here?', 'which'],
      ['What is the median ECD?', 'measure'],
    ] as const) {
      const d = m.decide(q);
      expect({ q, intent: d.intent, refused: d.outOfScope }).toEqual({ q, intent, refused: false });
    }
    // A kind this taxonomy does not have stays unknown: the glossary holds general words, not kinds.
    for (const q of ['What was the anneal temperature of this wafer?', 'Who inspected this die?', 'What is the yield of this lot?', 'Is this martensite?']) {
      expect(m.decide(q).outOfScope, q).toBe(true);
    }
  });

  it('crosses a thread boundary as plain data and decides exactly as before', () => {
    // structuredClone is what postMessage does to the model the inference pool fits.
    const copy = IntentModel.fromData(structuredClone(m.toData()));
    for (const q of ['Is a short visible in this micrograph?', 'Will it snow on Friday?', 'How many particles do you count?', 'describe it']) {
      expect(copy.decide(q)).toEqual(m.decide(q));
    }
    expect(() => IntentModel.fromData({ ...m.toData(), b: new Float32Array(2) })).toThrow(/not an intent model/);
  });

  it('is deterministic and its paraphrases keep the slot', () => {
    expect(fitIntents(classes, reviewed).decide('is there a bridge?')).toEqual(m.decide('is there a bridge?'));
    const p = paraphrases('is there xclassx', 6, 3);
    expect(p.length).toBeGreaterThan(3);
    expect(p.every((x) => x.includes('xclassx'))).toBe(true);
  });
});
