// Exports of reviewed data: LLaVA-style conversations (instruction tuning), JSONL, CSV and an ImageFolder tree.
// The set: every image whose newest accepted label is a class (from review, or an operator's folder import), with
// its accepted caption and Q&A pairs. Each export is recorded (exports table) with its filter and the exact
// label snapshot it was made from, and in the audit log: what left the building, and when.
import { copyFile, link, mkdir, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import type { ReviewExportFilter, ReviewExportFormat, ReviewExportInfo, ReviewExportRequest } from '../contract.js';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { readGray } from '../library/decode.js';
import { LABEL_ACTIONS_SQL, NOT_UNDONE, ReviewError } from './state.js';

export interface ExportRecord {
  imageId: number;
  sha256: string;
  path: string;
  fileName: string;
  width: number;
  height: number;
  pixelSizeNm: number | null;
  magnification: number | null;
  dataBar: { y: number; height: number } | null;
  labelId: number;
  className: string;
  labelSource: string;
  labelRef: string | null;
  reviewer: string | null;
  decisionId: number | null;
  decidedAt: string | null;
  proposedBy: string | null;
  caption: string | null;
  qa: { question: string; answer: string; kind: string | null; valueNm: number | null; source: string }[];
}

interface Row {
  id: number;
  sha256: string;
  path: string;
  file_name: string;
  width: number;
  height: number;
  pixel_size_nm: number | null;
  magnification: number | null;
  databar_y: number | null;
  databar_height: number | null;
  label_id: number;
  class_name: string;
  label_source: string;
  label_ref: string | null;
}

/** The reviewed set as it stands, filtered; image id order. */
export function exportRecords(db: Db, filter: ReviewExportFilter = {}): ExportRecord[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.sha256, i.path, i.file_name, i.width, i.height, i.pixel_size_nm, i.magnification, i.databar_y, i.databar_height,
         l.id AS label_id, c.name AS class_name, l.source AS label_source, l.source_ref AS label_ref
       FROM images i
       JOIN labels l ON l.id = (SELECT l2.id FROM labels l2 WHERE l2.image_id = i.id AND l2.status = 'accepted' ORDER BY l2.id DESC LIMIT 1)
       JOIN classes c ON c.id = l.class_id
       ORDER BY i.id`,
    )
    .all() as Row[];
  const decisionOf = db.prepare(
    `SELECT d.id, d.reviewer, d.at, d.proposal_ref FROM review_decisions d
     WHERE d.image_id = ? AND d.action IN ${LABEL_ACTIONS_SQL} AND ${NOT_UNDONE('d')} ORDER BY d.id DESC LIMIT 1`,
  );
  const annotationsOf = db.prepare(
    `SELECT kind, qa_kind, question, answer, value_nm, source FROM annotations WHERE image_id = ? AND status = 'accepted'
     ORDER BY (kind = 'qa'), id`,
  );
  const classes = filter.classNames?.length ? new Set(filter.classNames) : null;
  const reviewers = filter.reviewers?.length ? new Set(filter.reviewers) : null;
  const out: ExportRecord[] = [];
  for (const r of rows) {
    if (classes && !classes.has(r.class_name)) continue;
    const d = decisionOf.get(r.id) as { id: number; reviewer: string; at: string; proposal_ref: string | null } | undefined;
    if ((filter.reviewedOnly || reviewers) && !d) continue;
    if (reviewers && d && !reviewers.has(d.reviewer)) continue;
    const anns = annotationsOf.all(r.id) as {
      kind: string;
      qa_kind: string | null;
      question: string | null;
      answer: string;
      value_nm: number | null;
      source: string;
    }[];
    out.push({
      imageId: r.id,
      sha256: r.sha256,
      path: r.path,
      fileName: r.file_name,
      width: r.width,
      height: r.height,
      pixelSizeNm: r.pixel_size_nm,
      magnification: r.magnification,
      dataBar: r.databar_y != null && r.databar_height != null ? { y: r.databar_y, height: r.databar_height } : null,
      labelId: r.label_id,
      className: r.class_name,
      labelSource: r.label_source,
      labelRef: r.label_ref,
      reviewer: d?.reviewer ?? null,
      decisionId: d?.id ?? null,
      decidedAt: d?.at ?? null,
      proposedBy: d?.proposal_ref ?? null,
      caption: anns.find((a) => a.kind === 'caption')?.answer ?? null,
      qa: anns
        .filter((a) => a.kind === 'qa' && a.question)
        .map((a) => ({ question: a.question!, answer: a.answer, kind: a.qa_kind, valueNm: a.value_nm, source: a.source })),
    });
  }
  return out;
}

const CLASS_QUESTION = 'Which class does this micrograph show? Answer with the class name.';

/** LLaVA conversation records: the class, then the caption, then each Q&A pair; the calibration in the first turn. */
export function llavaRecords(records: ExportRecord[], imageRef: (r: ExportRecord) => string): unknown[] {
  return records.map((r) => {
    const calib = r.pixelSizeNm != null ? `\nPixel size: ${r.pixelSizeNm} nm per pixel.` : '';
    const turns: { from: 'human' | 'gpt'; value: string }[] = [
      { from: 'human', value: `<image>${calib}\n${CLASS_QUESTION}` },
      { from: 'gpt', value: r.className },
    ];
    if (r.caption) turns.push({ from: 'human', value: 'Describe this micrograph.' }, { from: 'gpt', value: r.caption });
    for (const qa of r.qa) turns.push({ from: 'human', value: qa.question }, { from: 'gpt', value: qa.answer });
    return {
      id: `emma-${r.imageId}`,
      image: imageRef(r),
      conversations: turns,
      emma: { sha256: r.sha256, className: r.className, pixelSizeNm: r.pixelSizeNm },
    };
  });
}

export function jsonlLine(r: ExportRecord): string {
  return JSON.stringify({
    image_id: r.imageId,
    sha256: r.sha256,
    path: r.path,
    file_name: r.fileName,
    class: r.className,
    label_source: r.labelSource,
    label_ref: r.labelRef,
    reviewer: r.reviewer,
    decision_id: r.decisionId,
    decided_at: r.decidedAt,
    proposed_by: r.proposedBy,
    width: r.width,
    height: r.height,
    pixel_size_nm: r.pixelSizeNm,
    magnification: r.magnification,
    data_bar: r.dataBar,
    caption: r.caption,
    qa: r.qa,
  });
}

export const CSV_COLUMNS = [
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
] as const;

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF line ends. */
export function csvField(v: unknown): string {
  const s = v == null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvText(records: ExportRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) {
    lines.push(
      [r.imageId, r.sha256, r.path, r.fileName, r.className, r.labelSource, r.reviewer, r.decidedAt, r.pixelSizeNm, r.magnification, r.caption, r.qa.length]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A class name as a folder name (no separators, no leading dots). */
export function folderName(name: string): string {
  return (
    name
      .replace(/[^\w.\- ]+/g, '_')
      .replace(/^\.+/, '_')
      .trim() || '_'
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** One image file into `dir`: the original (copied, hard-linked or symlinked) or a cropped PNG. Returns its path. */
async function placeImage(r: ExportRecord, dir: string, mode: 'copy' | 'hardlink' | 'symlink', crop: boolean): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (crop) {
    const target = join(dir, `${r.imageId}-${basename(r.fileName, extname(r.fileName))}.png`);
    const gray = await readGray(r.path, r.dataBar ? { crop: { top: 0, left: 0, width: r.width, height: r.dataBar.y } } : {});
    await sharp(gray.data, { raw: { width: gray.width, height: gray.height, channels: 1 } })
      .png()
      .toFile(target);
    return target;
  }
  const target = join(dir, `${r.imageId}-${r.fileName}`);
  if (mode === 'symlink') await symlink(resolve(r.path), target);
  else if (mode === 'hardlink') {
    try {
      await link(r.path, target);
    } catch {
      await copyFile(r.path, target); // another volume: a copy is the next best thing
    }
  } else await copyFile(r.path, target);
  return target;
}

export async function exportReviewed(db: Db, req: ReviewExportRequest, actor: string): Promise<ReviewExportInfo> {
  const filter = req.filter ?? {};
  const out = resolve(req.outPath);
  const records = exportRecords(db, filter);
  if (records.length === 0) throw new ReviewError('empty_export', 'Nothing to export: no reviewed image matches the filter.');
  const mode = req.imageMode ?? 'copy';
  const crop = req.cropDataBar ?? false;
  let files = 0;

  if (req.format === 'imagefolder') {
    if ((await exists(out)) && (await readdir(out)).length > 0) {
      throw new ReviewError('exists', `${out} is not empty; choose a new folder for the ImageFolder export.`);
    }
    await mkdir(out, { recursive: true });
    for (const r of records) {
      await placeImage(r, join(out, folderName(r.className)), mode, crop);
      files++;
    }
  } else {
    if (await exists(out)) throw new ReviewError('exists', `${out} exists; choose a new file name for the export.`);
    await mkdir(dirname(out), { recursive: true });
    if (req.format === 'llava') {
      const refs = new Map<number, string>();
      if (req.copyImages) {
        const dir = join(dirname(out), 'images');
        for (const r of records) {
          refs.set(
            r.imageId,
            relative(dirname(out), await placeImage(r, dir, mode, crop))
              .split('\\')
              .join('/'),
          );
          files++;
        }
      }
      await writeAtomic(
        out,
        `${JSON.stringify(
          llavaRecords(records, (r) => refs.get(r.imageId) ?? r.path),
          null,
          1,
        )}\n`,
      );
    } else if (req.format === 'jsonl') {
      await writeAtomic(out, records.map((r) => `${jsonlLine(r)}\n`).join(''));
    } else {
      await writeAtomic(out, csvText(records));
    }
    files++;
  }

  const classes: Record<string, number> = {};
  for (const r of records) classes[r.className] = (classes[r.className] ?? 0) + 1;
  const createdAt = nowIso();
  const createdBy = req.actor ?? actor;
  const options = { imageMode: mode, cropDataBar: crop, copyImages: req.copyImages ?? false };
  const id = db.transaction(() => {
    const exportId = Number(
      db
        .prepare(
          `INSERT INTO exports (format, out_path, filter_json, options_json, snapshot_json, images, files, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          req.format,
          out,
          JSON.stringify(filter),
          JSON.stringify(options),
          JSON.stringify(records.map((r) => [r.imageId, r.labelId, r.className])),
          records.length,
          files,
          createdBy,
          createdAt,
        ).lastInsertRowid,
    );
    db.prepare(`INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, 'review.export', ?)`).run(
      createdAt,
      createdBy,
      JSON.stringify({ exportId, format: req.format, outPath: out, images: records.length, files, filter, options }),
    );
    return exportId;
  })();
  if (req.format === 'imagefolder') {
    await writeAtomic(
      join(out, 'emma-export.json'),
      `${JSON.stringify({ exportId: id, format: req.format, filter, options, createdBy, createdAt, classes, images: records.map((r) => ({ imageId: r.imageId, sha256: r.sha256, labelId: r.labelId, className: r.className })) }, null, 1)}\n`,
    );
  }
  return { id, format: req.format, outPath: out, filter, images: records.length, files, classes, createdBy, createdAt };
}

interface ExportRow {
  id: number;
  format: ReviewExportFormat;
  out_path: string;
  filter_json: string;
  snapshot_json: string;
  images: number;
  files: number;
  created_by: string;
  created_at: string;
}

export function listExports(db: Db, limit: number): ReviewExportInfo[] {
  const rows = db.prepare(`SELECT * FROM exports ORDER BY id DESC LIMIT ?`).all(limit) as ExportRow[];
  return rows.map((r) => {
    const classes: Record<string, number> = {};
    for (const [, , c] of JSON.parse(r.snapshot_json) as [number, number, string][]) classes[c] = (classes[c] ?? 0) + 1;
    return {
      id: r.id,
      format: r.format,
      outPath: r.out_path,
      filter: JSON.parse(r.filter_json) as ReviewExportFilter,
      images: r.images,
      files: r.files,
      classes,
      createdBy: r.created_by,
      createdAt: r.created_at,
    };
  });
}
