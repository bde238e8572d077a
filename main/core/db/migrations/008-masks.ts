import type { Migration } from '../migrate.js';

// Per-image particle masks (manual outlines imported from files or drawn in the UI), the training and
// checking data of the particle segmenter. One current mask per image; re-importing replaces it and the
// provenance says where the current one came from. `labels` is the instance label image, width*height
// little-endian uint32 values (0 background, k particle k), deflate-compressed.
export const migration008: Migration = {
  version: 8,
  name: 'particle masks',
  up: `
    CREATE TABLE image_masks (
      image_id      INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
      width         INTEGER NOT NULL CHECK (width > 0),
      height        INTEGER NOT NULL CHECK (height > 0),
      particles     INTEGER NOT NULL CHECK (particles >= 0),
      kind          TEXT    NOT NULL CHECK (kind IN ('binary', 'labels', 'drawn')),
      labels        BLOB    NOT NULL,
      source_path   TEXT,
      source_sha256 TEXT,
      imported_at   TEXT    NOT NULL,
      imported_by   TEXT    NOT NULL
    );
  `,
};
