// Student model versions in SQLite (migration 004). A run starts as 'training'; only complete() can make
// it active, and it does so in one transaction that deactivates the previous version.
import { rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { nowIso, type Db } from '../db/database.js';
import { ensureOwner, orphanReason } from '../jobs/owners.js';

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
  id: number;
  parent_id: number | null;
  status: VersionStatus;
  active: number;
  preset: string;
  data_snapshot_json: string;
  hyperparams_json: string;
  metrics_json: string;
  labels_json: string;
  provider: string | null;
  duration_s: number | null;
  dir: string | null;
  manifest_path: string | null;
  onnx_path: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function fromRow(r: Row): ModelVersion {
  return {
    id: r.id,
    parentId: r.parent_id,
    status: r.status,
    active: r.active === 1,
    preset: r.preset,
    dataSnapshot: JSON.parse(r.data_snapshot_json),
    hyperparams: JSON.parse(r.hyperparams_json),
    metrics: JSON.parse(r.metrics_json),
    labels: JSON.parse(r.labels_json),
    provider: r.provider,
    durationS: r.duration_s,
    dir: r.dir,
    manifestPath: r.manifest_path,
    onnxPath: r.onnx_path,
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
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
  // The run's owner: its job's (the job may run it in a worker thread of the same process), else this process.
  const jobOwner = v.jobId != null ? ((db.prepare(`SELECT owner_id FROM jobs WHERE id = ?`).pluck().get(v.jobId) as string | null | undefined) ?? null) : null;
  const owner = jobOwner ?? ensureOwner(db);
  return Number(
    db
      .prepare(
        `INSERT INTO model_versions (parent_id, status, preset, data_snapshot_json, hyperparams_json, job_id, created_at, owner_id)
       VALUES (?, 'training', ?, ?, ?, ?, ?, ?)`,
      )
      .run(parent?.id ?? null, v.preset, JSON.stringify(v.dataSnapshot), JSON.stringify(v.hyperparams), v.jobId ?? null, nowIso(), owner).lastInsertRowid,
  );
}

/**
 * Runs left 'training' by a process that is gone (killed during `emma train`, the app crashed): marked failed with
 * the reason, their partial files removed. A run whose job or process is still going is left alone; the active
 * version is never touched (a training run is never active). Returns the versions failed.
 */
export function reapOrphanedVersions(db: Db, dataDir: string): { id: number; reason: string }[] {
  const rows = db
    .prepare(
      `SELECT v.id, v.owner_id, v.created_at, v.dir, v.job_id, j.state AS job_state, j.error AS job_error
     FROM model_versions v LEFT JOIN jobs j ON j.id = v.job_id WHERE v.status = 'training'`,
    )
    .all() as {
    id: number;
    owner_id: string | null;
    created_at: string;
    dir: string | null;
    job_id: number | null;
    job_state: string | null;
    job_error: string | null;
  }[];
  const out: { id: number; reason: string }[] = [];
  const mark = db.prepare(`UPDATE model_versions SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'training' AND active = 0`);
  for (const r of rows) {
    let why: string | null;
    if (r.job_id !== null && r.job_state !== null) {
      why =
        r.job_state === 'queued' || r.job_state === 'running'
          ? null
          : `its training job #${r.job_id} ended (${r.job_state}${r.job_error ? `: ${r.job_error}` : ''}) before the run finished`;
    } else {
      why = orphanReason(db, r.owner_id, r.created_at);
    }
    if (!why) continue;
    const reason = `interrupted: ${why}; this run's partial files were removed and the active version is unchanged`;
    if (mark.run(reason, nowIso(), r.id).changes === 0) continue;
    removeRunFiles(dataDir, r.id, r.dir);
    out.push({ id: r.id, reason });
  }
  return out;
}

/** Deletes a failed run's folder, only where it is the run's own `<dataDir>/models/v<id>` (never anything else). */
function removeRunFiles(dataDir: string, id: number, recorded: string | null): void {
  const own = resolve(dataDir, 'models', `v${id}`);
  for (const dir of new Set([own, ...(recorded ? [resolve(recorded)] : [])])) {
    if (basename(dir) !== `v${id}` || dirname(dir) !== resolve(dataDir, 'models')) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left on disk, harmless: nothing refers to a failed run's files.
    }
  }
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
  db.prepare(`UPDATE model_versions SET status = ?, error = ?, duration_s = ?, finished_at = ? WHERE id = ? AND status = 'training'`).run(
    status,
    error,
    durationS,
    nowIso(),
    id,
  );
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
export function registerImported(
  db: Db,
  v: { source: string; labels: readonly string[]; metrics: Record<string, unknown>; hyperparams: Record<string, unknown> },
): number {
  const now = nowIso();
  return Number(
    db
      .prepare(
        `INSERT INTO model_versions (parent_id, status, preset, data_snapshot_json, hyperparams_json, metrics_json, labels_json, provider, duration_s, created_at, finished_at)
       VALUES (NULL, 'completed', 'imported', ?, ?, ?, ?, 'cpu', 0, ?, ?)`,
      )
      .run(
        JSON.stringify({ split: `imported from ${v.source}`, importedFrom: v.source }),
        JSON.stringify(v.hyperparams),
        JSON.stringify(v.metrics),
        JSON.stringify(v.labels),
        now,
        now,
      ).lastInsertRowid,
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
