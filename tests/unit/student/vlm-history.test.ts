// The decoder's prefix with chat history: `<bos> q1 <sep> a1 <turn> question <sep> answer <eos>`, the question
// always kept, whole turns dropped oldest first, the length bounded by the model's positions.
import { describe, expect, it } from 'vitest';
import { BOS, CAPTION, EOS, SEP, TURN } from '../../../native-models/student/tokenizer.js';
import { decoderSequence, type DecoderTurn } from '../../../native-models/student/vlm.js';
import { Rng } from '../../../native-models/util/rng.js';

// Token ids above the control/slot range, easy to tell apart: questions 100+, answers 200+.
const seq = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const turn = (k: number, q: number, a: number): DecoderTurn => ({ question: seq(100 + 10 * k, q), answer: seq(200 + 10 * k, a) });

describe('decoder sequence with chat history', () => {
  const q = seq(150, 4);
  const a = seq(250, 5);

  it('without history is the single-question sequence', () => {
    const plain = decoderSequence(q, a, 40);
    expect(plain).toEqual({ ids: [BOS, ...q, SEP, ...a, EOS], answerStart: 6, turns: 0 });
    expect(decoderSequence(q, null, 40)).toEqual({ ids: [BOS, ...q, SEP], answerStart: 6, turns: 0 });
    expect(decoderSequence(null, a, 40).ids).toEqual([BOS, CAPTION, SEP, ...a, EOS]);
  });

  it('puts earlier turns, oldest first, between <bos> and the question; the answer starts after the last <sep>', () => {
    const h = [turn(1, 2, 3), turn(2, 3, 2)];
    const r = decoderSequence(q, a, 64, h);
    expect(r.ids).toEqual([BOS, ...h[0].question, SEP, ...h[0].answer, TURN, ...h[1].question, SEP, ...h[1].answer, TURN, ...q, SEP, ...a, EOS]);
    expect(r.turns).toBe(2);
    expect(r.ids.slice(r.answerStart)).toEqual([...a, EOS]); // the loss covers these only
    // Captions never take history.
    expect(decoderSequence(null, a, 64, h).ids).toEqual([BOS, CAPTION, SEP, ...a, EOS]);
  });

  it('drops the oldest turns first, keeps the question and the whole answer within T', () => {
    const h = [turn(1, 2, 3), turn(2, 3, 2)];
    // plain: 1 + 4 + 1 + 5 + 1 = 12; newest turn: 3 + 1 + 2 + 1 = 7; oldest: 2 + 1 + 3 + 1 = 7.
    expect(decoderSequence(q, a, 26, h).turns).toBe(2);
    const one = decoderSequence(q, a, 25, h);
    expect(one.turns).toBe(1);
    expect(one.ids).toEqual([BOS, ...h[1].question, SEP, ...h[1].answer, TURN, ...q, SEP, ...a, EOS]);
    const none = decoderSequence(q, a, 18, h);
    expect(none).toEqual({ ...decoderSequence(q, a, 18), turns: 0 });
    // A short old turn does not jump over a long recent one that does not fit (turns stay contiguous).
    expect(decoderSequence(q, a, 18, [turn(1, 1, 1), turn(2, 10, 10)]).turns).toBe(0);
    // Inference: no answer yet, `room` positions kept free after the prefix.
    const p = decoderSequence(q, null, 20, h, 8);
    expect(p.turns).toBe(0);
    expect(decoderSequence(q, null, 21, h, 8).ids).toEqual([BOS, ...h[1].question, SEP, ...h[1].answer, TURN, ...q, SEP]);
  });

  it('random histories: a suffix of the turns, question kept, bounded length', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const T = 8 + rng.int(60);
      const question = seq(150, 1 + rng.int(12));
      const answer = rng.next() < 0.3 ? null : seq(250, 1 + rng.int(20));
      const history = Array.from({ length: rng.int(4) }, (_, k) => turn(k, 1 + rng.int(8), 1 + rng.int(15)));
      const room = answer ? answer.length + 1 : 1 + rng.int(10);
      const r = decoderSequence(question, answer, T, history, room);
      const plain = decoderSequence(question, answer, T);
      expect(r.ids.length).toBeLessThanOrEqual(T);
      expect(r.ids[0]).toBe(BOS);
      // The current question (as much of it as fits without history) is always there, right before the answer.
      const head = plain.ids.slice(1, plain.answerStart);
      expect(r.ids.slice(r.answerStart - head.length, r.answerStart)).toEqual(head);
      expect(r.ids.slice(r.answerStart)).toEqual(plain.ids.slice(plain.answerStart, plain.answerStart + r.ids.length - r.answerStart));
      // The turns kept are the most recent ones.
      const kept = history.slice(history.length - r.turns);
      expect(r.ids.slice(1, r.answerStart - head.length)).toEqual(kept.flatMap((t) => [...t.question, SEP, ...t.answer, TURN]));
      if (r.turns > 0) {
        expect(r.answerStart + room).toBeLessThanOrEqual(T); // the prefix leaves the room asked for
        if (answer) expect(r.ids.at(-1)).toBe(EOS); // so a trained answer is never cut by its history
      }
      // One turn more would not have fitted.
      if (r.turns < history.length) {
        const older = history[history.length - r.turns - 1];
        expect(r.answerStart + older.question.length + older.answer.length + 2 + room).toBeGreaterThan(T);
      }
    }
  });
});
