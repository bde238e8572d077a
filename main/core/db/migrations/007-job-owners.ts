import type { Migration } from '../migrate.js';

// Who runs a job or a training run: one row per live Emma process that owns work (a random instance id, its
// pid and host, a heartbeat it refreshes every few seconds). Jobs and model versions name their owner, so a
// second process opening the file fails only work whose owner is gone (pid dead on this host, or no heartbeat
// for longer than a bound), never the work of a process that is still running. Rows written before this
// migration have no owner; they are judged by how long ago they last changed (see main/core/jobs/owners.ts).
export const migration007: Migration = {
  version: 7,
  name: 'job and training owners with heartbeats',
  up: `
    CREATE TABLE owners (
      id            TEXT    PRIMARY KEY,
      pid           INTEGER NOT NULL,
      host          TEXT    NOT NULL,
      started_at    TEXT    NOT NULL,
      -- milliseconds since the Unix epoch, refreshed by the owning process
      heartbeat_ms  INTEGER NOT NULL
    );
    ALTER TABLE jobs ADD COLUMN owner_id TEXT;
    ALTER TABLE model_versions ADD COLUMN owner_id TEXT;
    CREATE INDEX jobs_live ON jobs(state) WHERE state IN ('queued', 'running');
    CREATE INDEX model_versions_training ON model_versions(status) WHERE status = 'training';
  `,
};
