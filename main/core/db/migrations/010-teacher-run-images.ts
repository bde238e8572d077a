import type { Migration } from '../migrate.js';

// 1. The number of images a teacher run set out to answer (its limit applied, images already answered skipped), so
//    the runs table shows the run's own count rather than the size of its selection. Null for runs started before.
// 2. Manual calibrations ("set scale" along a burned-in scale bar), append-only with their provenance: the line
//    drawn (in image pixels), the length it represents, who set it and when, and the pixel size it replaced.
export const migration010: Migration = {
  version: 10,
  name: 'teacher run image count, manual calibrations',
  up: `
    ALTER TABLE teacher_runs ADD COLUMN planned_images INTEGER CHECK (planned_images IS NULL OR planned_images >= 0);

    CREATE TABLE image_calibrations (
      id             INTEGER PRIMARY KEY,
      image_id       INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      pixel_size_nm  REAL    NOT NULL CHECK (pixel_size_nm > 0),
      previous_nm    REAL,
      method         TEXT    NOT NULL,
      line_px        REAL    NOT NULL CHECK (line_px > 0),
      length_nm      REAL    NOT NULL CHECK (length_nm > 0),
      set_by         TEXT    NOT NULL,
      at             TEXT    NOT NULL
    );
    CREATE INDEX image_calibrations_image ON image_calibrations (image_id, id);
  `,
};
