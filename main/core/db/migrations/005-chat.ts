import type { Migration } from '../migrate.js';

// Chats over an image: the operator's questions, the student's and the teacher's answers, and corrections of
// student answers (each correction is also a reviewed Q&A pair in annotations, linked here). Append-only rows;
// deleting an image deletes its chat.
export const migration005: Migration = {
  version: 5,
  name: 'chat messages per image',
  up: `
    CREATE TABLE chat_messages (
      id             INTEGER PRIMARY KEY,
      image_id       INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      role           TEXT    NOT NULL CHECK (role IN ('user', 'student', 'teacher', 'correction')),
      text           TEXT    NOT NULL,
      confidence     REAL,
      -- 'v3' for a student answer, the model name for a teacher answer, the reviewer for a correction.
      model_ref      TEXT,
      reply_to       INTEGER REFERENCES chat_messages(id),
      annotation_id  INTEGER REFERENCES annotations(id),
      created_at     TEXT    NOT NULL
    );
    CREATE INDEX chat_messages_image ON chat_messages(image_id, id);
  `,
};
