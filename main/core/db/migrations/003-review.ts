import type { Migration } from '../migrate.js';

// Review: every operator decision on an image (accept, edit, reject, skip, flag, manual assignment, a hand-written
// Q&A pair, undo) as one append-only history row with who, when, the exact before/after state of the rows it
// touched, and which teacher run / prompt template or student version made the proposal. Labels and annotations
// made by a decision point back at it (decision_id) and at the proposal they replace (supersedes_id).
// Exports of reviewed data record their filter and the label snapshot they were made from.
export const migration003: Migration = {
  version: 3,
  name: 'review decisions (append-only history), exports',
  up: `
    CREATE TABLE review_decisions (
      id                 INTEGER PRIMARY KEY,
      image_id           INTEGER NOT NULL REFERENCES images(id),
      action             TEXT    NOT NULL CHECK (action IN ('accept', 'edit', 'reject', 'skip', 'flag', 'assign', 'annotate', 'undo')),
      reviewer           TEXT    NOT NULL,
      at                 TEXT    NOT NULL,
      -- The state of every row the decision touched, before and after: {labels: [...], annotations: [...]}.
      before_json        TEXT    NOT NULL DEFAULT '{}',
      after_json         TEXT    NOT NULL DEFAULT '{}',
      -- What the operator decided about the class: the proposal's class and the final one (NULL: rejected / none).
      proposed_class     TEXT,
      final_class        TEXT,
      -- Provenance of the proposal decided on.
      proposal_label_id  INTEGER,
      proposal_source    TEXT CHECK (proposal_source IS NULL OR proposal_source IN ('human', 'teacher', 'student')),
      proposal_ref       TEXT,
      teacher_run_id     INTEGER,
      teacher_output_id  INTEGER,
      template_ref       TEXT,
      student_ref        TEXT,
      student_class      TEXT,
      -- An undo row names the decision it reverts; undo rows themselves are not undone (decide again instead).
      undoes_id          INTEGER REFERENCES review_decisions(id),
      note               TEXT
    );
    CREATE INDEX review_decisions_image ON review_decisions(image_id, id);
    CREATE INDEX review_decisions_reviewer ON review_decisions(reviewer, id);
    CREATE UNIQUE INDEX review_decisions_undoes ON review_decisions(undoes_id) WHERE undoes_id IS NOT NULL;

    CREATE TRIGGER review_decisions_append_only_update BEFORE UPDATE ON review_decisions
    BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;
    CREATE TRIGGER review_decisions_append_only_delete BEFORE DELETE ON review_decisions
    BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;

    ALTER TABLE labels ADD COLUMN decision_id INTEGER REFERENCES review_decisions(id);
    ALTER TABLE labels ADD COLUMN supersedes_id INTEGER;
    ALTER TABLE annotations ADD COLUMN decision_id INTEGER REFERENCES review_decisions(id);
    ALTER TABLE annotations ADD COLUMN supersedes_id INTEGER;
    CREATE INDEX labels_source_status ON labels(source, status, image_id);
    CREATE INDEX labels_decision ON labels(decision_id) WHERE decision_id IS NOT NULL;
    CREATE INDEX annotations_decision ON annotations(decision_id) WHERE decision_id IS NOT NULL;
    CREATE INDEX annotations_output ON annotations(teacher_output_id);
    CREATE INDEX teacher_outputs_label ON teacher_outputs(label_id);

    CREATE TABLE exports (
      id             INTEGER PRIMARY KEY,
      format         TEXT    NOT NULL CHECK (format IN ('llava', 'jsonl', 'csv', 'imagefolder')),
      out_path       TEXT    NOT NULL,
      filter_json    TEXT    NOT NULL,
      options_json   TEXT    NOT NULL DEFAULT '{}',
      -- [[imageId, labelId, className], ...] as exported.
      snapshot_json  TEXT    NOT NULL,
      images         INTEGER NOT NULL,
      files          INTEGER NOT NULL,
      created_by     TEXT    NOT NULL,
      created_at     TEXT    NOT NULL
    );
  `,
};
