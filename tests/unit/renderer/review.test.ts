import { describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../../main/core/contract.js';
import { classForKey, decisionRequest, decisionText, expectedAction, mergeItems, typeAhead } from '../../../renderer/src/lib/review.js';

const CLASSES = ['bridges', 'clean', 'cracks', 'malformed_vias', 'open', 'other', 'scratches', 'short'];

function item(id: number, cls: string | null): ReviewItem {
  return {
    image: {
      id,
      sha256: 'x',
      fileName: `img-${id}.tif`,
      width: 10,
      height: 10,
      bitDepth: 8,
      pixelSizeNm: 5,
      magnification: null,
      importedAt: '',
      label: null,
      dataBar: null,
    },
    proposal: cls
      ? {
          labelId: 1,
          className: cls,
          confidence: 0.9,
          source: 'teacher',
          sourceRef: null,
          status: 'proposed',
          rationale: null,
          teacherRunId: 1,
          teacherOutputId: 1,
          templateRef: 't@1',
        }
      : null,
    annotations: [
      {
        id: 11,
        kind: 'caption',
        qaKind: null,
        question: null,
        answer: 'cap',
        valueNm: null,
        source: 'teacher',
        sourceRef: null,
        status: 'proposed',
        supersedesId: null,
      },
      {
        id: 12,
        kind: 'qa',
        qaKind: 'size',
        question: 'How big?',
        answer: '10 nm',
        valueNm: 10,
        source: 'teacher',
        sourceRef: null,
        status: 'proposed',
        supersedesId: null,
      },
    ],
    student: null,
    lastDecision: null,
    reason: null,
    priority: null,
  };
}

describe('review helpers (renderer)', () => {
  it('number keys pick the first nine classes', () => {
    expect(classForKey(CLASSES, '1')).toBe('bridges');
    expect(classForKey(CLASSES, '8')).toBe('short');
    expect(classForKey(CLASSES, '9')).toBeNull();
    expect(classForKey(CLASSES, '0')).toBeNull();
    expect(classForKey(CLASSES, 'a')).toBeNull();
  });

  it('type-ahead ranks prefix, then word prefix, then substring matches', () => {
    expect(typeAhead(CLASSES, 'sc')).toEqual(['scratches']);
    expect(typeAhead(CLASSES, 'S').slice(0, 2)).toEqual(['scratches', 'short']);
    expect(typeAhead(CLASSES, 'vias')).toEqual(['malformed_vias']);
    expect(typeAhead(CLASSES, 'ra')).toEqual(['cracks', 'scratches']);
    expect(typeAhead(CLASSES, '')).toEqual(CLASSES);
  });

  it('the decision request carries the picked class and only the changed texts', () => {
    const it0 = item(1, 'cracks');
    expect(decisionRequest(it0, 'accept', 'mei', null, new Map())).toEqual({ imageId: 1, action: 'accept', reviewer: 'mei', className: 'cracks' });
    const edited = decisionRequest(
      it0,
      'accept',
      'mei',
      'short',
      new Map([
        [11, 'cap'],
        [12, 'about 12 nm'],
      ]),
    );
    expect(edited).toEqual({ imageId: 1, action: 'accept', reviewer: 'mei', className: 'short', edits: [{ annotationId: 12, answer: 'about 12 nm' }] });
    expect(expectedAction(it0, edited)).toBe('edit');
    expect(expectedAction(it0, decisionRequest(it0, 'accept', 'mei', 'cracks', new Map()))).toBe('accept');
    expect(decisionRequest(it0, 'reject', 'mei', 'short', new Map([[12, 'x']]))).toEqual({ imageId: 1, action: 'reject', reviewer: 'mei' });
    expect(decisionRequest(item(2, null), 'accept', 'mei', null, new Map()).className).toBeUndefined();
  });

  it('decision words and merging queue pages', () => {
    expect(decisionText({ action: 'edit', proposedClass: 'open', finalClass: 'short' })).toBe('edited · open → short');
    expect(decisionText({ action: 'reject', proposedClass: 'open', finalClass: null })).toBe('rejected · open');
    expect(decisionText({ action: 'skip', proposedClass: null, finalClass: null })).toBe('skipped');
    const merged = mergeItems([item(1, 'a'), item(2, 'a')], [item(2, 'a'), item(3, 'a')]);
    expect(merged.map((i) => i.image.id)).toEqual([1, 2, 3]);
  });
});
