// Points 2 and 3 of issue 12, with real processes: a second Emma opening the file must not fail the first one's
// work, and work whose process was killed (`kill -9`) must be failed on the next open, with the reason, and a
// killed training run's partial files removed while the active version stays active.
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../../main/core/api.js';
import { HEARTBEAT_MS, ownerGoneReason, PID_REUSE_MS, selfOwnerId, STALE_MS, type OwnerRow } from '../../../main/core/jobs/owners.js';
import { Worker } from 'node:worker_threads';
import { repoRoot, tempDir } from '../../support/paths.js';

const here = join(repoRoot, 'tests', 'integration', 'robust');
let cleanup: (() => void) | null = null;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanup?.();
  cleanup = null;
});

function dbFile(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return join(t.dir, 'emma.sqlite');
}

/** Starts the child, resolves with its first stdout line ("job 3", "version 2"). */
function startChild(mode: string, db: string): Promise<{ child: ChildProcess; id: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'owner-child.ts'), mode, db], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = new RegExp(`${mode} (\\d+)\\n`).exec(buf);
      if (m) resolve({ child, id: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

function emma(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jobState(db: string, id: number): { state: string; error: string | null } {
  const raw = new Database(db, { readonly: true });
  try {
    return raw.prepare(`SELECT state, error FROM jobs WHERE id = ?`).get(id) as { state: string; error: string | null };
  } finally {
    raw.close();
  }
}

describe('job owners (issue 12, point 2)', () => {
  it("a second process (emma list, another core) leaves a live process's job running; after kill -9 it is failed", async () => {
    const db = dbFile();
    const { child, id } = await startChild('job', db);
    // `emma list` while the first process works: before owners, this marked the job failed ("interrupted").
    const list = emma('list', '--db', db, '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(jobState(db, id)).toEqual({ state: 'running', error: null });
    const other = createCore({ dbPath: db, mode: 'cli' });
    expect((await other.api.getJob(id)).state).toBe('running');
    // What the background measurement pauses for: the live process's job, by kind; never its own jobs.
    expect(other.jobs.runningElsewhere(['import', 'train'])).toEqual([id]);
    expect(other.jobs.runningElsewhere(['train'])).toEqual([]);
    await other.close();
    expect(jobState(db, id).state).toBe('running');
    // The owner beats: its heartbeat moves on while it works.
    const beat = () => {
      const raw = new Database(db, { readonly: true });
      try {
        return raw.prepare(`SELECT o.heartbeat_ms FROM owners o JOIN jobs j ON j.owner_id = o.id WHERE j.id = ?`).pluck().get(id) as number;
      } finally {
        raw.close();
      }
    };
    const first = beat();
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS + 1500));
    expect(beat()).toBeGreaterThan(first);

    await kill9(child);
    const after = createCore({ dbPath: db, mode: 'cli' });
    try {
      expect(after.jobs.runningElsewhere(['import'])).toEqual([]);
      const job = await after.api.getJob(id);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(new RegExp(`^interrupted: its process \\(pid ${child.pid} on .+\\) is gone`));
      // The dead owner's row is pruned once it owns nothing live.
      expect(after.db.prepare(`SELECT count(*) FROM owners`).pluck().get()).toBe(0);
    } finally {
      await after.close();
    }
  });

  it('judges owners by pid on this host and by heartbeat elsewhere', () => {
    const now = Date.now();
    const base: OwnerRow = { id: 'x', pid: process.pid, host: 'elsewhere.example', started_at: '', heartbeat_ms: now };
    expect(ownerGoneReason(undefined, now)).toMatch(/no owner record/);
    expect(ownerGoneReason({ ...base, heartbeat_ms: now - STALE_MS + 1000 }, now)).toBeNull();
    expect(ownerGoneReason({ ...base, heartbeat_ms: now - STALE_MS - 1000 }, now)).toMatch(/no heartbeat for 12\d s/);
    const host = hostname();
    // Same host: this pid under another instance id is a previous process whose pid was reused.
    expect(ownerGoneReason({ ...base, host }, now)).toMatch(/this pid now belongs to another Emma/);
    // Same host, a live pid (our parent): alive while it beats within PID_REUSE_MS, however long ago STALE_MS was.
    expect(ownerGoneReason({ ...base, host, pid: process.ppid, heartbeat_ms: now - STALE_MS * 2 }, now)).toBeNull();
    expect(ownerGoneReason({ ...base, host, pid: process.ppid, heartbeat_ms: now - PID_REUSE_MS - 1000 }, now)).toMatch(/pid was reused/);
  });
});

describe('one owner per process', () => {
  it('a worker thread of this process inherits its owner id; the id names this pid', async () => {
    expect(selfOwnerId().startsWith(`${process.pid}:`)).toBe(true);
    const w = new Worker(`require('node:worker_threads').parentPort.postMessage(process.env.EMMA_OWNER_ID)`, { eval: true });
    const seen = await new Promise((r) => w.once('message', r));
    await w.terminate();
    expect(seen).toBe(selfOwnerId());
  });
});

describe('training runs of a killed process (issue 12, point 3)', () => {
  it('kill -9 during a run: the version is failed with the reason, its files removed, the active version kept', async () => {
    const db = dbFile();
    const dataDir = join(db, '..');
    // An active, completed version with files, as a previous training left it.
    const setup = createCore({ dbPath: db, mode: 'cli' });
    const now = new Date().toISOString();
    const activeDir = join(dataDir, 'models', 'v1');
    mkdirSync(activeDir, { recursive: true });
    writeFileSync(join(activeDir, 'manifest.json'), '{}');
    setup.db
      .prepare(`INSERT INTO model_versions (status, preset, dir, created_at, finished_at) VALUES ('completed', 'fast', ?, ?, ?)`)
      .run(activeDir, now, now);
    setup.db.prepare(`UPDATE model_versions SET active = 1 WHERE id = 1`).run();
    await setup.close();

    const { child, id } = await startChild('version', db);
    const partial = join(dataDir, 'models', `v${id}`);
    expect(existsSync(join(partial, 'head.onnx'))).toBe(true);
    // Opened while the run goes on: left alone.
    const models = emma('models', '--db', db, '--json');
    expect(models.code, models.stderr).toBe(0);
    expect(JSON.parse(models.stdout).versions.find((v: { id: number }) => v.id === id).status).toBe('training');
    expect(existsSync(partial)).toBe(true);

    await kill9(child);
    const after = emma('models', '--db', db, '--json');
    expect(after.code, after.stderr).toBe(0);
    const versions = JSON.parse(after.stdout).versions as { id: number; status: string; active: boolean; error: string | null }[];
    const killed = versions.find((v) => v.id === id)!;
    expect(killed.status).toBe('failed');
    expect(killed.error).toMatch(new RegExp(`interrupted: its process \\(pid ${child.pid} on .+\\) is gone; .*partial files were removed`));
    expect(existsSync(partial)).toBe(false);
    expect(versions.find((v) => v.id === 1)).toMatchObject({ status: 'completed', active: true });
    expect(existsSync(join(activeDir, 'manifest.json'))).toBe(true);
  });
});
