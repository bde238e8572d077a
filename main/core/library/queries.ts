import type { ClassCount, ImageDetail, ImageLabel, ImageSummary, LabelSource, LabelStatus, ListImagesQuery, ListImagesResult } from '../contract.js';
import type { Db } from '../db/database.js';
import { CoreError } from '../errors.js';

export class ImageNotFoundError extends CoreError<'not_found'> {
  constructor(id: number) {
    super('not_found', `No image with id ${id}.`);
  }
}

interface LabelRow {
  id: number;
  class_name: string;
  source: LabelSource;
  source_ref: string | null;
  status: LabelStatus;
  confidence: number | null;
  created_at: string;
}

export interface ImageRow {
  id: number;
  sha256: string;
  path: string;
  file_name: string;
  file_size: number;
  format: string;
  width: number;
  height: number;
  bit_depth: number;
  pages: number;
  pixel_size_nm: number | null;
  magnification: number | null;
  kv: number | null;
  wd_mm: number | null;
  detector: string | null;
  instrument: string | null;
  vendor: string | null;
  acquired_at: string | null;
  databar_y: number | null;
  databar_height: number | null;
  metadata_json: string;
  imported_at: string;
}

// The label an image "has": reviewed or human labels before open proposals, newest first; rejected ones never.
const CURRENT_LABEL_ID = `(SELECT l.id FROM labels l WHERE l.image_id = i.id AND l.status != 'rejected'
                          ORDER BY (l.status = 'proposed'), l.id DESC LIMIT 1)`;

const LABEL_COLUMNS = `l.id, c.name AS class_name, l.source, l.source_ref, l.status, l.confidence, l.created_at`;

function toLabel(row: LabelRow): ImageLabel {
  return {
    id: row.id,
    className: row.class_name,
    source: row.source,
    sourceRef: row.source_ref,
    status: row.status,
    confidence: row.confidence,
    createdAt: row.created_at,
  };
}

function toSummary(row: ImageRow, label: ImageLabel | null): ImageSummary {
  return {
    id: row.id,
    sha256: row.sha256,
    fileName: row.file_name,
    width: row.width,
    height: row.height,
    bitDepth: row.bit_depth,
    pixelSizeNm: row.pixel_size_nm,
    magnification: row.magnification,
    importedAt: row.imported_at,
    label,
  };
}

export function listImages(db: Db, q: ListImagesQuery): ListImagesResult {
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = q.filter ?? { kind: 'any' };
  if (filter.kind === 'unlabelled') where.push(`cur.id IS NULL`);
  if (filter.kind === 'labelled') where.push(`cur.id IS NOT NULL`);
  if (filter.kind === 'class') {
    where.push(`cur_class.name = ?`);
    params.push(filter.className);
  }
  if (q.source) {
    where.push(`cur.source = ?`);
    params.push(q.source);
  }
  if (q.status) {
    where.push(`cur.status = ?`);
    params.push(q.status);
  }
  if (q.search) {
    where.push(`i.file_name LIKE ? ESCAPE '\\'`);
    params.push(`%${q.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  }
  // Without a label condition, page the images table alone and look up labels for that page only:
  // at 100,000 images this keeps a page well under the cost of evaluating every image's label.
  const byLabel = filter.kind !== 'any' || q.source !== undefined || q.status !== undefined;
  const labelJoin = `LEFT JOIN labels cur ON cur.id = ${CURRENT_LABEL_ID}
    LEFT JOIN classes cur_class ON cur_class.id = cur.class_id`;
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT count(*) AS n FROM images i ${byLabel ? labelJoin : ''} ${whereSql}`).get(...params) as { n: number }).n;
  const columns = `i.*, cur.id AS l_id, cur_class.name AS l_class_name, cur.source AS l_source, cur.source_ref AS l_source_ref,
              cur.status AS l_status, cur.confidence AS l_confidence, cur.created_at AS l_created_at`;
  const sql = byLabel
    ? `SELECT ${columns} FROM images i ${labelJoin} ${whereSql} ORDER BY i.id LIMIT ? OFFSET ?`
    : `SELECT ${columns} FROM (SELECT * FROM images i ${whereSql} ORDER BY i.id LIMIT ? OFFSET ?) i ${labelJoin} ORDER BY i.id`;
  const rows = db.prepare(sql).all(...params, q.limit, q.offset) as (ImageRow & Record<string, unknown>)[];
  return {
    total,
    offset: q.offset,
    items: rows.map((r) =>
      toSummary(
        r,
        r.l_id === null
          ? null
          : toLabel({
              id: r.l_id as number,
              class_name: r.l_class_name as string,
              source: r.l_source as LabelSource,
              source_ref: r.l_source_ref as string | null,
              status: r.l_status as LabelStatus,
              confidence: r.l_confidence as number | null,
              created_at: r.l_created_at as string,
            }),
      ),
    ),
  };
}

export function getImageRow(db: Db, id: number): ImageRow {
  const row = db.prepare(`SELECT * FROM images WHERE id = ?`).get(id) as ImageRow | undefined;
  if (!row) throw new ImageNotFoundError(id);
  return row;
}

export function getImage(db: Db, id: number): ImageDetail {
  const row = getImageRow(db, id);
  const labels = (
    db.prepare(`SELECT ${LABEL_COLUMNS} FROM labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = ? ORDER BY l.id DESC`).all(id) as LabelRow[]
  ).map(toLabel);
  const current = labels.filter((l) => l.status !== 'rejected').sort((a, b) => Number(a.status === 'proposed') - Number(b.status === 'proposed'))[0] ?? null;
  return {
    ...toSummary(row, current),
    path: row.path,
    fileSize: row.file_size,
    format: row.format,
    pages: row.pages,
    kV: row.kv,
    workingDistanceMm: row.wd_mm,
    detector: row.detector,
    instrument: row.instrument,
    vendor: row.vendor,
    acquiredAt: row.acquired_at,
    dataBar: row.databar_y === null || row.databar_height === null ? null : { y: row.databar_y, height: row.databar_height },
    metadata: JSON.parse(row.metadata_json) as Record<string, string>,
    labels,
  };
}

export function listClasses(db: Db): ClassCount[] {
  return db
    .prepare(
      `SELECT c.name AS className, count(cur.id) AS count FROM classes c
       LEFT JOIN (SELECT l.id, l.class_id FROM images i JOIN labels l ON l.id = ${CURRENT_LABEL_ID}) cur ON cur.class_id = c.id
       GROUP BY c.id ORDER BY c.name`,
    )
    .all() as ClassCount[];
}
