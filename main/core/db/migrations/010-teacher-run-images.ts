import type { Migration } from '../migrate.js';

// The number of images a teacher run set out to answer (its limit applied, images already answered skipped), so the
// runs table shows the run's own count rather than the size of its selection. Null for runs started before this.
export const migration010: Migration = {
  version: 10,
  name: 'teacher run image count',
  up: `
    ALTER TABLE teacher_runs ADD COLUMN planned_images INTEGER CHECK (planned_images IS NULL OR planned_images >= 0);
  `,
};
