import type { Migration } from '../migrate.js';

// The teacher: project settings (egress switch, endpoint configuration without the key), versioned prompt
// templates, probed endpoint capabilities, runs, every request made (with usage, cost and the raw answer),
// the parsed outputs per image, and captions / question–answer pairs as reviewable annotations.
// No column ever holds an API key.
export const migration002: Migration = {
  version: 2,
  name: 'teacher runs, requests, outputs, annotations, settings',
  up: `
    CREATE TABLE IF NOT EXISTS settings (
      key         TEXT PRIMARY KEY,
      value_json  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );

    CREATE TABLE teacher_templates (
      id           INTEGER PRIMARY KEY,
      name         TEXT    NOT NULL,
      version      INTEGER NOT NULL,
      system_text  TEXT    NOT NULL,
      user_text    TEXT    NOT NULL,
      notes        TEXT    NOT NULL DEFAULT '',
      created_at   TEXT    NOT NULL,
      UNIQUE (name, version)
    );

    CREATE TABLE teacher_capabilities (
      endpoint     TEXT NOT NULL,
      model        TEXT NOT NULL,
      reachable    INTEGER NOT NULL,
      vision       INTEGER,
      json_schema  INTEGER,
      json_object  INTEGER,
      streaming    INTEGER,
      notes_json   TEXT NOT NULL DEFAULT '[]',
      probed_at    TEXT NOT NULL,
      PRIMARY KEY (endpoint, model)
    );

    CREATE TABLE teacher_runs (
      id              INTEGER PRIMARY KEY,
      job_id          INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
      config_key      TEXT    NOT NULL,
      template_id     INTEGER NOT NULL REFERENCES teacher_templates(id),
      provider        TEXT    NOT NULL,
      endpoint_host   TEXT    NOT NULL,
      model           TEXT    NOT NULL,
      config_json     TEXT    NOT NULL,
      selection_json  TEXT    NOT NULL,
      state           TEXT    NOT NULL CHECK (state IN ('running', 'done', 'budget', 'cancelled', 'failed')),
      stop_detail     TEXT,
      budget_usd      REAL,
      budget_tokens   INTEGER,
      created_at      TEXT    NOT NULL,
      updated_at      TEXT    NOT NULL
    );

    -- One row per HTTP request sent (retries and repairs included).
    CREATE TABLE teacher_requests (
      id                 INTEGER PRIMARY KEY,
      run_id             INTEGER REFERENCES teacher_runs(id) ON DELETE CASCADE,
      image_id           INTEGER REFERENCES images(id) ON DELETE SET NULL,
      image_sha256       TEXT,
      purpose            TEXT    NOT NULL CHECK (purpose IN ('answer', 'repair', 'ask', 'probe')),
      attempt            INTEGER NOT NULL,
      response_format    TEXT    NOT NULL,
      endpoint_host      TEXT    NOT NULL,
      model              TEXT    NOT NULL,
      started_at         TEXT    NOT NULL,
      latency_ms         INTEGER,
      http_status        INTEGER,
      outcome            TEXT    NOT NULL,
      error              TEXT,
      prompt_tokens      INTEGER NOT NULL DEFAULT 0,
      completion_tokens  INTEGER NOT NULL DEFAULT 0,
      cost_usd           REAL    NOT NULL DEFAULT 0,
      raw_response       TEXT
    );
    CREATE INDEX teacher_requests_run ON teacher_requests(run_id);
    CREATE INDEX teacher_requests_image ON teacher_requests(image_id);

    -- The final outcome per image and configuration: at most one row, so a resumed run never duplicates.
    CREATE TABLE teacher_outputs (
      id                 INTEGER PRIMARY KEY,
      run_id             INTEGER NOT NULL REFERENCES teacher_runs(id) ON DELETE CASCADE,
      image_id           INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      config_key         TEXT    NOT NULL,
      template_id        INTEGER NOT NULL REFERENCES teacher_templates(id),
      status             TEXT    NOT NULL CHECK (status IN ('valid', 'invalid', 'failed')),
      reason             TEXT,
      class_name         TEXT,
      confidence         REAL,
      parsed_json        TEXT,
      request_id         INTEGER REFERENCES teacher_requests(id) ON DELETE SET NULL,
      label_id           INTEGER REFERENCES labels(id) ON DELETE SET NULL,
      prompt_tokens      INTEGER NOT NULL DEFAULT 0,
      completion_tokens  INTEGER NOT NULL DEFAULT 0,
      cost_usd           REAL    NOT NULL DEFAULT 0,
      created_at         TEXT    NOT NULL,
      updated_at         TEXT    NOT NULL,
      UNIQUE (config_key, image_id)
    );
    CREATE INDEX teacher_outputs_run ON teacher_outputs(run_id);
    CREATE INDEX teacher_outputs_image ON teacher_outputs(image_id);

    -- Captions and question–answer pairs about an image, with provenance, reviewable like labels.
    CREATE TABLE annotations (
      id                 INTEGER PRIMARY KEY,
      image_id           INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      kind               TEXT    NOT NULL CHECK (kind IN ('caption', 'qa')),
      qa_kind            TEXT,
      question           TEXT,
      answer             TEXT    NOT NULL,
      value_nm           REAL,
      source             TEXT    NOT NULL CHECK (source IN ('human', 'teacher', 'student')),
      source_ref         TEXT,
      status             TEXT    NOT NULL CHECK (status IN ('proposed', 'accepted', 'edited', 'rejected')),
      teacher_output_id  INTEGER REFERENCES teacher_outputs(id) ON DELETE SET NULL,
      created_at         TEXT    NOT NULL,
      updated_at         TEXT    NOT NULL
    );
    CREATE INDEX annotations_image ON annotations(image_id);
    CREATE INDEX annotations_status ON annotations(status);
  `,
};
