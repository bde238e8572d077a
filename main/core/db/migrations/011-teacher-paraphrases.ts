import type { Migration } from '../migrate.js';

// Paraphrases of the chat's question wordings asked of the teacher (text only, one request per run, cached).
// 1. teacher_requests accepts the purpose 'paraphrase'. SQLite cannot change a CHECK in place, so the table is
//    rebuilt with its rows and ids; teacher_outputs.request_id (ON DELETE SET NULL) is saved before the old table is
//    dropped and restored after, since the migration runs with foreign keys on.
// 2. teacher_paraphrases: one row per request content (cache_key, a hash of what would be sent), valid with the
//    validated paraphrases, or invalid with the reason only (invalid output is never stored).
export const migration011: Migration = {
  version: 11,
  name: 'teacher paraphrases',
  up: `
    CREATE TABLE teacher_requests_011 (
      id                 INTEGER PRIMARY KEY,
      run_id             INTEGER REFERENCES teacher_runs(id) ON DELETE CASCADE,
      image_id           INTEGER REFERENCES images(id) ON DELETE SET NULL,
      image_sha256       TEXT,
      purpose            TEXT    NOT NULL CHECK (purpose IN ('answer', 'repair', 'ask', 'probe', 'paraphrase')),
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
    INSERT INTO teacher_requests_011 (id, run_id, image_id, image_sha256, purpose, attempt, response_format, endpoint_host, model,
        started_at, latency_ms, http_status, outcome, error, prompt_tokens, completion_tokens, cost_usd, raw_response)
      SELECT id, run_id, image_id, image_sha256, purpose, attempt, response_format, endpoint_host, model,
        started_at, latency_ms, http_status, outcome, error, prompt_tokens, completion_tokens, cost_usd, raw_response
      FROM teacher_requests;
    CREATE TEMP TABLE m011_links AS SELECT id, request_id FROM teacher_outputs WHERE request_id IS NOT NULL;
    DROP TABLE teacher_requests;
    ALTER TABLE teacher_requests_011 RENAME TO teacher_requests;
    CREATE INDEX teacher_requests_run ON teacher_requests(run_id);
    CREATE INDEX teacher_requests_image ON teacher_requests(image_id);
    UPDATE teacher_outputs SET request_id = (SELECT l.request_id FROM m011_links l WHERE l.id = teacher_outputs.id)
      WHERE id IN (SELECT id FROM m011_links);
    DROP TABLE m011_links;

    CREATE TABLE teacher_paraphrases (
      id                 INTEGER PRIMARY KEY,
      cache_key          TEXT    NOT NULL UNIQUE,
      run_id             INTEGER REFERENCES teacher_runs(id) ON DELETE SET NULL,
      request_id         INTEGER REFERENCES teacher_requests(id) ON DELETE SET NULL,
      endpoint_host      TEXT    NOT NULL,
      model              TEXT    NOT NULL,
      status             TEXT    NOT NULL CHECK (status IN ('valid', 'invalid')),
      reason             TEXT,
      sources_json       TEXT    NOT NULL,
      paraphrases_json   TEXT,
      paraphrase_count   INTEGER NOT NULL DEFAULT 0 CHECK (paraphrase_count >= 0),
      prompt_tokens      INTEGER NOT NULL DEFAULT 0,
      completion_tokens  INTEGER NOT NULL DEFAULT 0,
      cost_usd           REAL    NOT NULL DEFAULT 0,
      created_at         TEXT    NOT NULL,
      updated_at         TEXT    NOT NULL,
      CHECK ((status = 'valid') = (paraphrases_json IS NOT NULL AND paraphrase_count > 0))
    );
  `,
};
