import type { Migration } from '../migrate.js';

// What a model version's student computed for an image (image-facts.ts): class probabilities and nearest memory
// rows, by content hash, so the chat answers about an already classified image without running the model again.
// A cache of derived data: deleting rows only costs a recomputation; rows go with their version.
// Beside it, the chat's summary of a measurement (count, size distribution, pitch) by content hash and by what
// measured it (segmenter version or the classical default, the format, the pixel size used), so a size or count
// question about an image measured before needs no second particle analysis, across restarts too.
export const migration012: Migration = {
  version: 12,
  name: 'student image facts, measurement summaries',
  up: `
    CREATE TABLE student_image_facts (
      version_id    INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
      image_sha256  TEXT    NOT NULL,
      probs         BLOB    NOT NULL CHECK (length(probs) > 0 AND length(probs) % 4 = 0),
      near_json     TEXT    NOT NULL CHECK (json_valid(near_json)),
      created_at    TEXT    NOT NULL,
      PRIMARY KEY (version_id, image_sha256)
    ) WITHOUT ROWID;

    CREATE TABLE measurement_summaries (
      image_sha256  TEXT NOT NULL,
      method_key    TEXT NOT NULL,
      summary_json  TEXT NOT NULL CHECK (json_valid(summary_json)),
      created_at    TEXT NOT NULL,
      PRIMARY KEY (image_sha256, method_key)
    ) WITHOUT ROWID;
  `,
};
