// Which process owns a job or a training run, and whether that process is still there (migration 007).
//
// Each Emma process that starts work registers one row in `owners` (random instance id, pid, host) and refreshes
// its heartbeat every HEARTBEAT_MS. Another process opening the same file fails a job only when its owner is gone:
// - same host, and the pid is not alive, or is this very process under another instance id (pid reused, e.g. a
//   container restarted with the same pid);
// - same host, pid alive, but no heartbeat for PID_REUSE_MS (the pid now belongs to something else);
// - another host (a shared folder): no heartbeat for STALE_MS.
// A busy owner whose event loop is blocked for a while (a long ONNX call) is not judged dead while its pid lives.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';

export const HEARTBEAT_MS = 5_000;
/** Without a pid to check (another host), an owner is gone after this long without a heartbeat. */
export const STALE_MS = 120_000;
/** A live pid whose owner has not beaten for this long is taken to be a reused pid. */
export const PID_REUSE_MS = 10 * 60_000;

export interface OwnerRow {
  id: string;
  pid: number;
  host: string;
  started_at: string;
  heartbeat_ms: number;
}

/**
 * This process's identity as an owner. Worker threads inherit a copy of the environment, so the id placed there by
 * the main thread makes a worker of the same process the same owner; a child process has another pid and makes
 * its own.
 */
function processOwnerId(): string {
  const inherited = process.env.EMMA_OWNER_ID;
  if (inherited?.startsWith(`${process.pid}:`)) return inherited;
  const id = `${process.pid}:${randomUUID()}`;
  process.env.EMMA_OWNER_ID = id;
  return id;
}
const self = { id: processOwnerId(), pid: process.pid, host: hostname(), startedAt: nowIso() };
const heartbeats = new Map<Db, NodeJS.Timeout>();

export function selfOwnerId(): string {
  return self.id;
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why an owner is gone, or null while it may still be running. `row` undefined: the owner row is missing. */
export function ownerGoneReason(row: OwnerRow | undefined, now = Date.now()): string | null {
  if (!row) return 'its process is gone (no owner record)';
  if (row.id === self.id) return null;
  const silentMs = now - row.heartbeat_ms;
  const silent = `${Math.round(silentMs / 1000)} s`;
  if (row.host === self.host) {
    if (row.pid === self.pid) return `its process (pid ${row.pid}) is gone: this pid now belongs to another Emma`;
    if (!pidAlive(row.pid)) return `its process (pid ${row.pid} on ${row.host}) is gone`;
    if (silentMs > PID_REUSE_MS) return `its process (pid ${row.pid}) has sent no heartbeat for ${silent}; the pid was reused`;
    return null;
  }
  if (silentMs > STALE_MS) return `its process (pid ${row.pid} on ${row.host}) has sent no heartbeat for ${silent}`;
  return null;
}

function beat(db: Db): void {
  db.prepare(
    `INSERT INTO owners (id, pid, host, started_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT(id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms`,
  ).run(self.id, self.pid, self.host, self.startedAt, Date.now());
}

/**
 * Registers this process as an owner on `db` (idempotent) and keeps its heartbeat going until release or close.
 * Returns the owner id to store with the job or version.
 */
export function ensureOwner(db: Db): string {
  beat(db);
  if (!heartbeats.has(db)) {
    const timer = setInterval(() => {
      if (!db.open) {
        clearInterval(timer);
        heartbeats.delete(db);
        return;
      }
      try {
        beat(db);
        reapOrphanedJobs(db);
      } catch {
        // A busy or read-only moment: the next beat tries again; the bounds above allow for many missed beats.
      }
    }, HEARTBEAT_MS);
    timer.unref();
    heartbeats.set(db, timer);
  }
  return self.id;
}

/** Stops the heartbeat and removes this process's owner row (a clean shutdown: nothing of ours runs any more). */
export function releaseOwner(db: Db): void {
  const timer = heartbeats.get(db);
  if (timer) clearInterval(timer);
  heartbeats.delete(db);
  if (!db.open) return;
  try {
    db.prepare(`DELETE FROM owners WHERE id = ?`).run(self.id);
  } catch {
    // best effort: a left-over row is judged by its pid and heartbeat like any other
  }
}

interface LiveJob {
  id: number;
  owner_id: string | null;
  updated_at: string;
}

/** Why a live (queued/running) job or version cannot be running any more, or null. */
export function orphanReason(db: Db, ownerId: string | null, lastChange: string, now = Date.now()): string | null {
  if (ownerId === null) {
    // Written by an Emma from before owners were recorded: judged by how long it has not changed.
    const age = now - Date.parse(lastChange);
    if (!Number.isFinite(age)) return 'no owner recorded and no readable time of its last change';
    return age > STALE_MS ? `no owner recorded and unchanged for ${Math.round(age / 1000)} s` : null;
  }
  const row = db.prepare(`SELECT * FROM owners WHERE id = ?`).get(ownerId) as OwnerRow | undefined;
  return ownerGoneReason(row, now);
}

/**
 * Fails queued/running jobs whose owner is gone; jobs of live processes (this one or another) are left alone.
 * Returns the ids failed.
 */
export function reapOrphanedJobs(db: Db): number[] {
  const now = Date.now();
  const live = db.prepare(`SELECT id, owner_id, updated_at FROM jobs WHERE state IN ('queued', 'running')`).all() as LiveJob[];
  const failed: number[] = [];
  const mark = db.prepare(`UPDATE jobs SET state = 'failed', error = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'running')`);
  for (const j of live) {
    const why = orphanReason(db, j.owner_id, j.updated_at, now);
    if (!why) continue;
    mark.run(`interrupted: ${why}; start it again to resume`, nowIso(), j.id);
    failed.push(j.id);
  }
  if (failed.length) pruneOwners(db, now);
  return failed;
}

/** Removes owner rows that are gone and own nothing live any more. */
export function pruneOwners(db: Db, now = Date.now()): void {
  const rows = db.prepare(`SELECT * FROM owners`).all() as OwnerRow[];
  const del = db.prepare(`DELETE FROM owners WHERE id = ?
    AND NOT EXISTS (SELECT 1 FROM jobs WHERE owner_id = ? AND state IN ('queued', 'running'))
    AND NOT EXISTS (SELECT 1 FROM model_versions WHERE owner_id = ? AND status = 'training')`);
  for (const r of rows) if (ownerGoneReason(r, now)) del.run(r.id, r.id, r.id);
}
