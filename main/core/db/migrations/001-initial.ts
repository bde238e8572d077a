import type { Migration } from '../migrate.js';

// The library, the taxonomy, labels with provenance, jobs and an audit log.
// Teacher runs, reviews and model versions arrive in later migrations.
export const migration001: Migration = {
  version: 1,
  name: 'initial library schema',
  up: `
    CREATE TABLE images (
      id              INTEGER PRIMARY KEY,
      sha256          TEXT    NOT NULL UNIQUE,
      path            TEXT    NOT NULL,
      file_name       TEXT    NOT NULL,
      file_size       INTEGER NOT NULL,
      format          TEXT    NOT NULL,
      width           INTEGER NOT NULL,
      height          INTEGER NOT NULL,
      bit_depth       INTEGER NOT NULL,
      pages           INTEGER NOT NULL DEFAULT 1,
      pixel_size_nm   REAL,
      magnification   REAL,
      kv              REAL,
      wd_mm           REAL,
      detector        TEXT,
      instrument      TEXT,
      vendor          TEXT,
      acquired_at     TEXT,
      databar_y       INTEGER,
      databar_height  INTEGER,
      metadata_json   TEXT    NOT NULL DEFAULT '{}',
      imported_at     TEXT    NOT NULL,
      import_job_id   INTEGER REFERENCES jobs(id) ON DELETE SET NULL
    );
    CREATE INDEX images_file_name ON images(file_name);

    CREATE TABLE classes (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      description TEXT NOT NULL DEFAULT '',
      created_at  TEXT NOT NULL
    );

    -- One row per statement about an image. Rows are never updated in place except for status changes,
    -- which the review history (a later migration) records; provenance says who or what made each one.
    CREATE TABLE labels (
      id          INTEGER PRIMARY KEY,
      image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      class_id    INTEGER NOT NULL REFERENCES classes(id),
      source      TEXT    NOT NULL CHECK (source IN ('human', 'teacher', 'student')),
      source_ref  TEXT,
      status      TEXT    NOT NULL CHECK (status IN ('proposed', 'accepted', 'edited', 'rejected')),
      confidence  REAL,
      created_at  TEXT    NOT NULL
    );
    CREATE INDEX labels_image ON labels(image_id);
    CREATE INDEX labels_class ON labels(class_id);

    CREATE TABLE jobs (
      id            INTEGER PRIMARY KEY,
      kind          TEXT NOT NULL,
      state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
      params_json   TEXT NOT NULL DEFAULT '{}',
      progress_json TEXT NOT NULL DEFAULT '{"done":0,"total":null,"message":""}',
      result_json   TEXT,
      error         TEXT,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL
    );

    CREATE TABLE audit_log (
      id           INTEGER PRIMARY KEY,
      at           TEXT NOT NULL,
      actor        TEXT NOT NULL,
      action       TEXT NOT NULL,
      details_json TEXT NOT NULL DEFAULT '{}'
    );
  `,
};
