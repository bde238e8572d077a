import type { Migration } from '../migrate.js';

// Student model versions: one row per training run. Files (ONNX, manifest, memory) live on disk under
// the data folder; the row records what the version was trained on and how well it did. At most one row is
// active (partial unique index); only a completed run can become active, so a failed or cancelled run
// never changes which version classifies.
export const migration004: Migration = {
  version: 4,
  name: 'student model versions',
  up: `
    CREATE TABLE model_versions (
      id                  INTEGER PRIMARY KEY,
      parent_id           INTEGER REFERENCES model_versions(id),
      status              TEXT    NOT NULL CHECK (status IN ('training', 'completed', 'failed', 'cancelled')),
      active              INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
      preset              TEXT    NOT NULL,
      -- {images, classes: {name: count}, train: [[imageId, labelId]...], val: [...], labelIds hash}
      data_snapshot_json  TEXT    NOT NULL DEFAULT '{}',
      hyperparams_json    TEXT    NOT NULL DEFAULT '{}',
      metrics_json        TEXT    NOT NULL DEFAULT '{}',
      labels_json         TEXT    NOT NULL DEFAULT '[]',
      provider            TEXT,
      duration_s          REAL,
      dir                 TEXT,
      manifest_path       TEXT,
      onnx_path           TEXT,
      error               TEXT,
      job_id              INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
      created_at          TEXT    NOT NULL,
      finished_at         TEXT
    );
    CREATE UNIQUE INDEX model_versions_one_active ON model_versions(active) WHERE active = 1;
    CREATE TRIGGER model_versions_active_completed BEFORE UPDATE OF active ON model_versions
    WHEN NEW.active = 1 AND NEW.status != 'completed'
    BEGIN SELECT RAISE(ABORT, 'only a completed model version can be active'); END;
  `,
};
