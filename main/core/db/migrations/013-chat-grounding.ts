import type { Migration } from '../migrate.js';

// How each student answer in a chat was reached (the grounded chat's intent, refusal reason, prediction, similar
// reviewed images, measurement used), saved beside the answer, so a reopened chat shows the same evidence as the
// live one. NULL for questions, teacher answers, corrections and answers saved before this migration.
export const migration013: Migration = {
  version: 13,
  name: 'chat answer grounding',
  up: `
    ALTER TABLE chat_messages ADD COLUMN grounding_json TEXT CHECK (grounding_json IS NULL OR json_valid(grounding_json));
  `,
};
