// The review service on a real SQLite file with real micrographs and proposals from the teacher test double:
// decisions with exact before/after history and provenance, undo across a restart, queues (skip, flag, active
// learning with student predictions), manual labels and Q&A pairs, agreement and kappa, exports that parse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDatabase, type Db } from '../../../main/core/db/database.js';
import { listImages } from '../../../main/core/library/queries.js';
import { ReviewService } from '../../../main/core/review/service.js';
import type { ReviewItem } from '../../../main/core/contract.js';
import { hasSharedData, SHARED_DATA_MISSING } from '../../support/paths.js';
import { makeHarness, pickDistinct, type Harness } from '../teacher/harness.js';

if (!hasSharedData) console.warn(SHARED_DATA_MISSING);

/** Minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), to check what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe.skipIf(!hasSharedData)('review service on real images', () => {
  let h: Harness;
  let db: Db;
  let review: ReviewService;
  let items: ReviewItem[];
  const MEI = 'mei';

  beforeAll(async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 14), double: { latencyMs: 0 } });
    const job = await h.teacher.startRun({});
    const done = await h.jobs.wait(job.id);
    if (done.state !== 'done') throw new Error(`teacher run ${done.state}: ${done.error}`);
    db = h.db;
    review = new ReviewService(db, h.events, 'test');
    items = (await review.queue({ queue: 'proposals', limit: 100 })).items;
  }, 120_000);

  afterAll(async () => h?.close());

  const labelsOf = (imageId: number) =>
    db
      .prepare(
        `SELECT l.id, c.name AS cls, l.source, l.status, l.decision_id, l.supersedes_id FROM labels l JOIN classes c ON c.id = l.class_id
         WHERE l.image_id = ? ORDER BY l.id`,
      )
      .all(imageId) as { id: number; cls: string; source: string; status: string; decision_id: number | null; supersedes_id: number | null }[];

  it('the proposals queue shows every teacher proposal with its provenance, rationale, caption and Q&A pairs', async () => {
    expect(items).toHaveLength(14);
    for (const it of items) {
      expect(it.proposal?.source).toBe('teacher');
      expect(it.proposal?.status).toBe('proposed');
      expect(it.proposal?.teacherRunId).toBeGreaterThan(0);
      expect(it.proposal?.templateRef).toMatch(/@\d+$/);
      expect(it.proposal?.rationale?.length).toBeGreaterThan(0);
      expect(it.annotations.find((a) => a.kind === 'caption')?.answer.length).toBeGreaterThan(0);
      expect(it.annotations.filter((a) => a.kind === 'qa').length).toBeGreaterThan(0);
      expect(it.lastDecision).toBeNull();
    }
    expect(items.map((i) => i.image.id)).toEqual([...items.map((i) => i.image.id)].sort((a, b) => a - b));
  });

  it('accept: the proposal and its texts become accepted; the history row holds before/after and who proposed it', async () => {
    const it0 = items[0];
    const d = review.decide({ imageId: it0.image.id, action: 'accept', reviewer: MEI });
    expect(d.action).toBe('accept');
    expect(d.reviewer).toBe(MEI);
    expect(d.proposedClass).toBe(it0.proposal!.className);
    expect(d.finalClass).toBe(it0.proposal!.className);
    expect(d.teacherRunId).toBe(it0.proposal!.teacherRunId);
    expect(d.templateRef).toBe(it0.proposal!.templateRef);
    expect(d.proposalRef).toMatch(/^teacher run \d+ · template .+@\d+ · double-vision-1$/);
    expect(d.before).toContainEqual({ table: 'labels', id: it0.proposal!.labelId, status: 'proposed', className: it0.proposal!.className });
    expect(d.after).toContainEqual({ table: 'labels', id: it0.proposal!.labelId, status: 'accepted', className: it0.proposal!.className });
    expect(d.after.filter((r) => r.table === 'annotations').map((r) => r.status)).toEqual(it0.annotations.map(() => 'accepted'));
    expect(labelsOf(it0.image.id).map((l) => l.status)).toEqual(['accepted']);
    // It left the queue, and the library shows the accepted class.
    expect((await review.queue({ queue: 'proposals', limit: 100 })).items.map((i) => i.image.id)).not.toContain(it0.image.id);
    const page = listImages(db, { offset: 0, limit: 100, status: 'accepted' });
    expect(page.items.map((i) => i.id)).toContain(it0.image.id);
  });

  it('reject: proposal and texts rejected; the image then has no label', async () => {
    const it1 = items[1];
    const d = review.decide({ imageId: it1.image.id, action: 'reject', reviewer: MEI });
    expect(d.action).toBe('reject');
    expect(d.finalClass).toBeNull();
    expect(labelsOf(it1.image.id).map((l) => l.status)).toEqual(['rejected']);
    const anns = db.prepare(`SELECT DISTINCT status FROM annotations WHERE image_id = ?`).pluck().all(it1.image.id);
    expect(anns).toEqual(['rejected']);
    expect((await review.queue({ queue: 'unlabelled', limit: 100 })).items.map((i) => i.image.id)).toContain(it1.image.id);
  });

  it('edit: another class and a corrected answer are new operator rows that point at the proposal they replace', async () => {
    const it2 = items[2];
    const other = ['bridges', 'clean', 'cracks', 'short'].find((c) => c !== it2.proposal!.className)!;
    const qa = it2.annotations.find((a) => a.kind === 'qa')!;
    const d = review.decide({
      imageId: it2.image.id,
      action: 'accept',
      className: other,
      edits: [{ annotationId: qa.id, answer: 'About 120 nm wide, measured against the 7.3 nm/px calibration.' }],
      reviewer: MEI,
    });
    expect(d.action).toBe('edit');
    expect(d.proposedClass).toBe(it2.proposal!.className);
    expect(d.finalClass).toBe(other);
    const labels = labelsOf(it2.image.id);
    expect(labels).toHaveLength(2);
    expect(labels[0]).toMatchObject({ source: 'teacher', status: 'edited', cls: it2.proposal!.className });
    expect(labels[1]).toMatchObject({ source: 'human', status: 'accepted', cls: other, decision_id: d.id, supersedes_id: labels[0].id });
    const now = review.item(it2.image.id);
    const edited = now.annotations.find((a) => a.supersedesId === qa.id)!;
    expect(edited.answer).toMatch(/120 nm/);
    expect(edited.source).toBe('human');
    expect(now.annotations).toHaveLength(it2.annotations.length);
    // The proposal's own text is still there, marked edited.
    expect(db.prepare(`SELECT status, answer FROM annotations WHERE id = ?`).get(qa.id)).toEqual({ status: 'edited', answer: qa.answer });
    // Deciding again keeps the earlier text edit unless it is changed again.
    const again = review.decide({ imageId: it2.image.id, action: 'accept', className: other, reviewer: MEI });
    expect(again.action).toBe('edit');
    expect(review.item(it2.image.id).annotations.find((a) => a.supersedesId === qa.id)!.answer).toMatch(/120 nm/);
    // An edit may name the operator's earlier edit row: it replaces the same proposal text.
    const editRow = review.item(it2.image.id).annotations.find((a) => a.supersedesId === qa.id)!;
    review.decide({ imageId: it2.image.id, action: 'accept', className: other, edits: [{ annotationId: editRow.id, answer: 'About 125 nm.' }], reviewer: MEI });
    const after = review.item(it2.image.id).annotations;
    expect(after.filter((a) => a.supersedesId === qa.id).map((a) => a.answer)).toEqual(['About 125 nm.']);
    expect(after).toHaveLength(it2.annotations.length);
    expect(() => review.decide({ imageId: it2.image.id, action: 'accept', className: 'no such class', reviewer: MEI })).toThrow(/No class/);
    expect(() =>
      review.decide({ imageId: it2.image.id, action: 'accept', edits: [{ annotationId: items[3].annotations[0].id, answer: 'x' }], reviewer: MEI }),
    ).toThrow(/not part of this image's proposal/);
  });

  it('skip goes to the end of the reviewer’s queue; flag moves the image to the expert queue until someone decides', async () => {
    const [a, b] = [items[3], items[4]];
    review.decide({ imageId: a.image.id, action: 'skip', reviewer: MEI });
    const q = (await review.queue({ queue: 'proposals', limit: 100, reviewer: MEI })).items.map((i) => i.image.id);
    expect(q[q.length - 1]).toBe(a.image.id);
    expect(q[0]).not.toBe(a.image.id);
    review.decide({ imageId: b.image.id, action: 'flag', reviewer: MEI, note: 'is this a bridge or a short?' });
    expect((await review.queue({ queue: 'proposals', limit: 100 })).items.map((i) => i.image.id)).not.toContain(b.image.id);
    const flagged = await review.queue({ queue: 'flagged', limit: 100 });
    expect(flagged.items.map((i) => i.image.id)).toEqual([b.image.id]);
    expect(flagged.items[0].lastDecision?.note).toMatch(/bridge or a short/);
    review.decide({ imageId: b.image.id, action: 'accept', reviewer: 'expert' });
    expect((await review.queue({ queue: 'flagged', limit: 100 })).total).toBe(0);
  });

  it('undo reverts the newest decision exactly, survives a restart, and keeps order on one image', async () => {
    const it5 = items[5];
    const before = labelsOf(it5.image.id);
    const annsBefore = db.prepare(`SELECT id, status, answer FROM annotations WHERE image_id = ? ORDER BY id`).all(it5.image.id);
    const other = ['bridges', 'clean'].find((c) => c !== it5.proposal!.className)!;
    const d = review.decide({
      imageId: it5.image.id,
      action: 'accept',
      className: other,
      edits: [{ annotationId: it5.annotations[0].id, answer: 'operator caption' }],
      reviewer: MEI,
    });
    // Restart: close the database and open the same file again with a new service.
    db.close();
    h.db = db = openDatabase(h.dbPath);
    review = new ReviewService(db, null, 'test');
    const { undo, undone } = review.undo({ reviewer: MEI });
    expect(undone.id).toBe(d.id);
    expect(undone.undoneBy).toBe(undo.id);
    expect(undo.action).toBe('undo');
    expect(undo.undoesId).toBe(d.id);
    expect(undo.before).toEqual(d.after);
    expect(undo.after).toEqual(d.before);
    expect(labelsOf(it5.image.id)).toEqual(before);
    expect(db.prepare(`SELECT id, status, answer FROM annotations WHERE image_id = ? ORDER BY id`).all(it5.image.id)).toEqual(annsBefore);
    // The undone decision and its content stay in the history.
    const hist = review.history({ imageId: it5.image.id, limit: 10 });
    expect(hist.map((x) => x.action)).toEqual(['undo', 'edit']);
    expect(hist[1].after.find((r) => r.table === 'annotations' && r.status === 'accepted' && r.answer === 'operator caption')).toBeTruthy();
    expect(() => review.undo({ reviewer: MEI, decisionId: d.id })).toThrow(/already undone/);
    expect(() => review.undo({ reviewer: MEI, decisionId: undo.id })).toThrow(/not undone/);

    // Two decisions on one image: the earlier cannot be undone before the later.
    const first = review.decide({ imageId: it5.image.id, action: 'accept', reviewer: MEI });
    const second = review.decide({ imageId: it5.image.id, action: 'reject', reviewer: 'okafor' });
    expect(() => review.undo({ reviewer: MEI, decisionId: first.id })).toThrow(/later decision/);
    review.undo({ reviewer: 'okafor' });
    expect(review.undo({ reviewer: MEI }).undone.id).toBe(first.id);
    expect(labelsOf(it5.image.id)).toEqual(before);
    expect(second.before[0]).toMatchObject({ status: 'accepted' });
    // The history table refuses changes.
    expect(() => db.prepare(`UPDATE review_decisions SET reviewer = 'x' WHERE id = ?`).run(first.id)).toThrow(/append-only/);
  });

  it('manual labeling: one class for many images, then a hand-written Q&A pair', async () => {
    const ids = [items[6].image.id, items[7].image.id, items[8].image.id];
    const r = review.assign({ imageIds: ids, className: 'cracks', reviewer: MEI });
    expect(r).toEqual({ decisions: 3, unchanged: 0 });
    expect(review.assign({ imageIds: ids, className: 'cracks', reviewer: MEI })).toEqual({ decisions: 0, unchanged: 3 });
    for (const id of ids) expect(review.item(id).image.label?.className).toBe('cracks');
    const hist = review.history({ reviewer: MEI, limit: 3 });
    expect(hist.every((x) => x.action === 'assign')).toBe(true);
    const d = review.annotate({ imageId: ids[0], kind: 'qa', question: 'How wide is the crack?', answer: 'About 40 nm.', reviewer: MEI });
    expect(d.action).toBe('annotate');
    const qa = review.item(ids[0]).annotations.find((a) => a.question === 'How wide is the crack?');
    expect(qa).toMatchObject({ source: 'human', status: 'accepted', answer: 'About 40 nm.' });
  });

  it('active learning: disagreement and student uncertainty first; the reason says why', async () => {
    const pending = (await review.queue({ queue: 'proposals', limit: 100 })).items;
    expect(pending.length).toBeGreaterThanOrEqual(4);
    // Without a student the order falls back to teacher confidence.
    const fallback = await review.queue({ queue: 'active', limit: 100 });
    expect(fallback.items[0].reason).toMatch(/no student prediction/);
    const cid = (name: string) => (db.prepare(`SELECT id FROM classes WHERE name = ?`).get(name) as { id: number }).id;
    const addStudent = (imageId: number, probs: [string, number][]) => {
      for (const [c, p] of probs) {
        db.prepare(
          `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at) VALUES (?, ?, 'student', 'student v1', 'proposed', ?, ?)`,
        ).run(imageId, cid(c), p, new Date().toISOString());
      }
    };
    const [p0, p1, p2] = pending;
    const other = (c: string) => ['bridges', 'clean', 'cracks'].find((x) => x !== c)!;
    addStudent(p0.image.id, [
      [p0.proposal!.className, 0.97],
      [other(p0.proposal!.className), 0.02],
    ]); // sure, agrees
    addStudent(p1.image.id, [
      [p1.proposal!.className, 0.5],
      [other(p1.proposal!.className), 0.45],
    ]); // unsure, agrees
    addStudent(p2.image.id, [
      [other(p2.proposal!.className), 0.9],
      [p2.proposal!.className, 0.05],
    ]); // disagrees
    const q = (await review.queue({ queue: 'active', limit: 100 })).items;
    const rank = (id: number) => q.findIndex((i) => i.image.id === id);
    expect(rank(p2.image.id)).toBe(0);
    expect(rank(p1.image.id)).toBe(1);
    expect(rank(p1.image.id)).toBeLessThan(rank(p0.image.id));
    expect(q[0].reason).toMatch(/teacher says .*, student says/);
    expect(q[1].student?.margin).toBeCloseTo(0.05, 6);
    // Diversity returns the same images, spread over classes.
    const div = (await review.queue({ queue: 'proposals', limit: 100, diversity: true })).items;
    expect(div.map((i) => i.image.id).sort()).toEqual(pending.map((i) => i.image.id).sort());
    // With the thumbnail cache, every image gets a signature for the diversity order.
    const withSigs = new ReviewService(db, null, 'test', h.dir);
    const divSig = (await withSigs.queue({ queue: 'proposals', limit: 100, diversity: true })).items;
    expect(divSig.map((i) => i.image.id).sort()).toEqual(pending.map((i) => i.image.id).sort());
    const { SignatureCache } = await import('../../../main/core/review/signature.js');
    const sigs = await new SignatureCache(db, h.dir).forIds(pending.map((i) => i.image.id));
    expect(sigs.size).toBe(pending.length);
    const exclude = await review.queue({ queue: 'proposals', limit: 100, exclude: [pending[0].image.id] });
    expect(exclude.items.map((i) => i.image.id)).not.toContain(pending[0].image.id);
  });

  it('agreement per class, student agreement and kappa between operators', async () => {
    // A second operator reviews two images Mei decided: agrees on one, not on the other.
    const agreeId = items[0].image.id; // Mei accepted
    const disagreeId = items[2].image.id; // Mei edited the class
    review.decide({ imageId: agreeId, action: 'accept', reviewer: 'okafor' });
    review.decide({ imageId: disagreeId, action: 'reject', reviewer: 'okafor' });
    const s = review.stats();
    const pair = s.kappa.find((k) => [k.a, k.b].includes(MEI) && [k.a, k.b].includes('okafor'))!;
    expect(pair.n).toBeGreaterThanOrEqual(2);
    expect(pair.observed).toBeLessThan(1);
    expect(s.teacher.n).toBeGreaterThan(0);
    expect(s.teacher.agreed).toBeLessThan(s.teacher.n);
    const cls = s.perClass.find((c) => c.className === items[2].proposal!.className)!;
    expect(cls.teacher.n).toBeGreaterThan(cls.teacher.agreed);
    expect(s.reviewers.map((r) => r.reviewer)).toEqual(expect.arrayContaining([MEI, 'okafor', 'expert']));
    expect(s.queues.flagged).toBe(0);
    expect(s.reviewedImages).toBeGreaterThan(5);
  });

  it('exports: LLaVA JSON, JSONL, CSV and an ImageFolder tree that parse, each recorded with filter and snapshot', async () => {
    const out = join(h.dir, 'exports');
    const llava = await review.export({ format: 'llava', outPath: join(out, 'llava', 'train.json'), copyImages: true, filter: { reviewedOnly: true } });
    const conv = JSON.parse(readFileSync(llava.outPath, 'utf8')) as { id: string; image: string; conversations: { from: string; value: string }[] }[];
    expect(conv.length).toBe(llava.images);
    for (const c of conv) {
      expect(c.conversations.length % 2).toBe(0);
      c.conversations.forEach((t, i) => expect(t.from).toBe(i % 2 === 0 ? 'human' : 'gpt'));
      expect(
        c.conversations
          .map((t) => t.value)
          .join('')
          .split('<image>'),
      ).toHaveLength(2);
      expect(c.conversations[0].value.startsWith('<image>')).toBe(true);
      expect(existsSync(join(out, 'llava', c.image))).toBe(true);
    }
    expect(conv.some((c) => c.conversations.some((t) => t.value === 'About 40 nm.'))).toBe(true);

    const jsonl = await review.export({ format: 'jsonl', outPath: join(out, 'set.jsonl') });
    const lines = readFileSync(jsonl.outPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { class: string; image_id: number; reviewer: string | null });
    expect(lines).toHaveLength(jsonl.images);
    const edited = lines.find((l) => l.image_id === items[2].image.id);
    // Okafor's reject is the newest decision on that image, so it has no accepted class and is not exported.
    expect(edited).toBeUndefined();

    const csv = await review.export({ format: 'csv', outPath: join(out, 'set.csv'), filter: { classNames: ['cracks'] } });
    const rows = parseCsv(readFileSync(csv.outPath, 'utf8'));
    expect(rows[0]).toEqual([
      'image_id',
      'sha256',
      'path',
      'file_name',
      'class',
      'label_source',
      'reviewer',
      'decided_at',
      'pixel_size_nm',
      'magnification',
      'caption',
      'qa_count',
    ]);
    expect(rows.length - 1).toBe(csv.images);
    for (const r of rows.slice(1)) {
      expect(r).toHaveLength(12);
      expect(r[4]).toBe('cracks');
    }

    const tree = await review.export({ format: 'imagefolder', outPath: join(out, 'tree'), imageMode: 'symlink' });
    const classes = readdirSync(tree.outPath, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(classes).toEqual(Object.keys(tree.classes).sort());
    let n = 0;
    for (const c of classes) {
      for (const f of readdirSync(join(tree.outPath, c))) {
        expect(lstatSync(join(tree.outPath, c, f)).isSymbolicLink()).toBe(true);
        expect((await sharp(join(tree.outPath, c, f)).metadata()).width).toBeGreaterThan(0);
        n++;
      }
    }
    expect(n).toBe(tree.images);
    const cropped = await review.export({ format: 'imagefolder', outPath: join(out, 'cropped'), cropDataBar: true, filter: { classNames: ['cracks'] } });
    const f = readdirSync(join(cropped.outPath, 'cracks'))[0];
    expect(f).toMatch(/\.png$/);
    expect((await sharp(join(cropped.outPath, 'cracks', f)).metadata()).format).toBe('png');

    await expect(review.export({ format: 'csv', outPath: csv.outPath })).rejects.toThrow(/exists/);
    const recorded = db.prepare(`SELECT format, filter_json, snapshot_json, images FROM exports ORDER BY id`).all() as {
      format: string;
      filter_json: string;
      snapshot_json: string;
      images: number;
    }[];
    expect(recorded.map((r) => r.format)).toEqual(['llava', 'jsonl', 'csv', 'imagefolder', 'imagefolder']);
    expect(JSON.parse(recorded[2].filter_json)).toEqual({ classNames: ['cracks'] });
    const snap = JSON.parse(recorded[2].snapshot_json) as [number, number, string][];
    expect(snap).toHaveLength(recorded[2].images);
    expect(snap.every(([, , c]) => c === 'cracks')).toBe(true);
    expect(db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'review.export'`).pluck().get()).toBe(5);
    expect(review.exports(10)).toHaveLength(5);
  });
});
