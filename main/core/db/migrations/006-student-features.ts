import type { Migration } from '../migrate.js';

// Per-image stem features across training runs (a cache: derived data only, safe to delete). Keyed by the stem's
// identity (SHA-256 of its bank, config and encoding, see main/core/student/features.ts) and the image's content
// hash, so a re-imported file keeps its features and a new stem never reads another stem's. `data` is `dim`
// little-endian float32 values. No foreign key to images: rows outlive a deleted image until their stem is pruned.
export const migration006: Migration = {
  version: 6,
  name: 'student feature cache',
  up: `
    CREATE TABLE student_features (
      stem_hash     TEXT    NOT NULL,
      image_sha256  TEXT    NOT NULL,
      dim           INTEGER NOT NULL CHECK (dim > 0),
      data          BLOB    NOT NULL CHECK (length(data) = 4 * dim),
      created_at    TEXT    NOT NULL,
      PRIMARY KEY (stem_hash, image_sha256)
    ) WITHOUT ROWID;
  `,
};
