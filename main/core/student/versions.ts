// Student model versions in SQLite (migration 004). A run starts as 'training'; only complete() can make
// it active, and it does so in one transaction that deactivates the previous version.
import { nowIso, type Db } from '../db/database.js';

export type VersionStatus = 'training' | 'completed' | 'failed' | 'cancelled';

export interface ModelVersion {
  readonly id: number;
  readonly parentId: number | null;
  readonly status: VersionStatus;
  readonly active: boolean;
  readonly preset: string;
  readonly dataSnapshot: Record<string, unknown>;
  readonly hyperparams: Record<string, unknown>;
  readonly metrics: Record<string, unknown>;
  readonly labels: string[];
  readonly provider: string | null;
  readonly durationS: number | null;
  readonly dir: string | null;
  readonly manifestPath: string | null;
  readonly onnxPath: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

interface Row {
  id: number; parent_id: number | null; status: VersionStatus; active: number; preset: string;
  data_snapshot_json: string; hyperparams_json: string; metrics_json: string; labels_json: string;
  provider: string | null; duration_s: number | null; dir: string | null; manifest_path: string | null;
  onnx_path: string | null; error: string | null; created_at: string; finished_at: string | null;
}

function fromRow(r: Row): ModelVersion {
  return {
    id: r.id, parentId: r.parent_id, status: r.status, active: r.active === 1, preset: r.preset,
    dataSnapshot: JSON.parse(r.data_snapshot_json), hyperparams: JSON.parse(r.hyperparams_json),
    metrics: JSON.parse(r.metrics_json), labels: JSON.parse(r.labels_json), provider: r.provider,
    durationS: r.duration_s, dir: r.dir, manifestPath: r.manifest_path, onnxPath: r.onnx_path, error: r.error,
    createdAt: r.created_at, finishedAt: r.finished_at,
  };
}

export function activeVersion(db: Db): ModelVersion | null {
  const r = db.prepare(`SELECT * FROM model_versions WHERE active = 1`).get() as Row | undefined;
  return r ? fromRow(r) : null;
}

export function getVersion(db: Db, id: number): ModelVersion | null {
  const r = db.prepare(`SELECT * FROM model_versions WHERE id = ?`).get(id) as Row | undefined;
  return r ? fromRow(r) : null;
}

export function listVersions(db: Db): ModelVersion[] {
  return (db.prepare(`SELECT * FROM model_versions ORDER BY id`).all() as Row[]).map(fromRow);
}

export function startVersion(db: Db, v: { preset: string; dataSnapshot: unknown; hyperparams: unknown; jobId?: number | null }): number {
  const parent = activeVersion(db);
  return Number(
    db.prepare(
      `INSERT INTO model_versions (parent_id, status, preset, data_snapshot_json, hyperparams_json, job_id, created_at)
       VALUES (?, 'training', ?, ?, ?, ?, ?)`,
    ).run(parent?.id ?? null, v.preset, JSON.stringify(v.dataSnapshot), JSON.stringify(v.hyperparams), v.jobId ?? null, nowIso()).lastInsertRowid,
  );
}

export interface Completion {
  metrics: Record<string, unknown>;
  labels: readonly string[];
  provider: string;
  durationS: number;
  dir: string;
  manifestPath: string;
  onnxPath: string;
  /** Make this version the active one (the caller decides, e.g. only when it is no worse than the active one). */
  activate: boolean;
}

export function completeVersion(db: Db, id: number, c: Completion): void {
  db.transaction(() => {
    db.prepare(
      `UPDATE model_versions SET status = 'completed', metrics_json = ?, labels_json = ?, provider = ?, duration_s = ?,
         dir = ?, manifest_path = ?, onnx_path = ?, finished_at = ? WHERE id = ? AND status = 'training'`,
    ).run(JSON.stringify(c.metrics), JSON.stringify(c.labels), c.provider, c.durationS, c.dir, c.manifestPath, c.onnxPath, nowIso(), id);
    if (c.activate) activateVersion(db, id);
  })();
}

/** Ends a run that did not complete; the active version is untouched. */
export function endVersion(db: Db, id: number, status: 'failed' | 'cancelled', error: string | null, durationS: number): void {
  db.prepare(`UPDATE model_versions SET status = ?, error = ?, duration_s = ?, finished_at = ? WHERE id = ? AND status = 'training'`)
    .run(status, error, durationS, nowIso(), id);
}

export function activateVersion(db: Db, id: number): void {
  db.transaction(() => {
    const v = getVersion(db, id);
    if (!v) throw new Error(`no model version ${id}`);
    if (v.status !== 'completed') throw new Error(`model version ${id} is ${v.status}; only a completed version can be active`);
    db.prepare(`UPDATE model_versions SET active = 0 WHERE active = 1 AND id != ?`).run(id);
    db.prepare(`UPDATE model_versions SET active = 1 WHERE id = ?`).run(id);
  })();
}

/** A version brought in from files: completed, inactive, no parent; data snapshot says where from. */
export function registerImported(db: Db, v: { source: string; labels: readonly string[]; metrics: Record<string, unknown>; hyperparams: Record<string, unknown> }): number {
  const now = nowIso();
  return Number(
    db.prepare(
      `INSERT INTO model_versions (parent_id, status, preset, data_snapshot_json, hyperparams_json, metrics_json, labels_json, provider, duration_s, created_at, finished_at)
       VALUES (NULL, 'completed', 'imported', ?, ?, ?, ?, 'cpu', 0, ?, ?)`,
    ).run(JSON.stringify({ split: `imported from ${v.source}`, importedFrom: v.source }), JSON.stringify(v.hyperparams), JSON.stringify(v.metrics), JSON.stringify(v.labels), now, now).lastInsertRowid,
  );
}

export function setVersionFiles(db: Db, id: number, f: { dir: string; manifestPath: string; onnxPath: string }): void {
  db.prepare(`UPDATE model_versions SET dir = ?, manifest_path = ?, onnx_path = ? WHERE id = ?`).run(f.dir, f.manifestPath, f.onnxPath, id);
}

/** Only for an import that failed half-way (never active, nothing refers to it). */
export function removeVersionRow(db: Db, id: number): void {
  db.prepare(`DELETE FROM model_versions WHERE id = ? AND active = 0`).run(id);
}

/** Merges keys into a run's recorded hyper-parameters (what it decided after it started: its stem, its language part). */
export function patchHyperparams(db: Db, id: number, patch: Record<string, unknown>): void {
  db.prepare(`UPDATE model_versions SET hyperparams_json = json_patch(hyperparams_json, ?) WHERE id = ?`).run(JSON.stringify(patch), id);
}
