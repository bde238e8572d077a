// Versioned prompt templates, stored in the database. A template is never edited in place: saving creates the
// next version, and every output records the template (name@version) that produced it.
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import type { TeacherTemplate } from './types.js';
import { CoreError } from '../errors.js';

export const DEFAULT_TEMPLATE_NAME = 'micrograph-qa';

/** Placeholders a template may use; rendering fails on any other `{{name}}`. */
export const TEMPLATE_PLACEHOLDERS = ['taxonomy', 'calibration', 'metadata', 'qa_instructions', 'qa_count', 'answer_shape'] as const;
export type TemplateVars = Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>;

const DEFAULT_SYSTEM = `You are an expert electron microscopist who writes training data for a smaller model.
You look at one scanning/transmission electron micrograph at a time (the instrument's data bar has been cropped off)
and answer only from what is visible in the image and the facts given in the text. Be concrete and brief.
Never invent a physical size: use the calibration given in the text, and when there is none, say the size is unknown.
Reply with exactly one JSON object and nothing else.`;

const DEFAULT_USER = `Classify this micrograph into exactly one class of this taxonomy (use the name exactly as written):
{{taxonomy}}

{{calibration}}
{{metadata}}

Then write:
- "caption": one or two sentences describing what the image shows;
- "qa": exactly {{qa_count}} question–answer pairs, in this order:
{{qa_instructions}}

For "class", give "name" (from the taxonomy), "confidence" (0 to 1) and a one-sentence "rationale".
For every pair, "value_nm" is a measured length in nanometres for size answers when the image is calibrated, otherwise null.

Answer with one JSON object of this shape:
{{answer_shape}}`;

interface TemplateRow {
  id: number;
  name: string;
  version: number;
  system_text: string;
  user_text: string;
  notes: string;
  created_at: string;
}

function toTemplate(r: TemplateRow): TeacherTemplate {
  return { id: r.id, name: r.name, version: r.version, system: r.system_text, user: r.user_text, notes: r.notes, createdAt: r.created_at };
}

export class TemplateError extends CoreError<'invalid_template'> {
  constructor(message: string) {
    super('invalid_template', message);
  }
}

/** Inserts the built-in template (version 1) if it is missing. */
export function ensureDefaultTemplate(db: Db): void {
  const found = db.prepare(`SELECT 1 FROM teacher_templates WHERE name = ? AND version = 1`).get(DEFAULT_TEMPLATE_NAME);
  if (found) return;
  db.prepare(`INSERT OR IGNORE INTO teacher_templates (name, version, system_text, user_text, notes, created_at) VALUES (?, 1, ?, ?, ?, ?)`).run(
    DEFAULT_TEMPLATE_NAME,
    DEFAULT_SYSTEM,
    DEFAULT_USER,
    'built-in',
    nowIso(),
  );
}

export function listTemplates(db: Db): TeacherTemplate[] {
  ensureDefaultTemplate(db);
  return (db.prepare(`SELECT * FROM teacher_templates ORDER BY name, version`).all() as TemplateRow[]).map(toTemplate);
}

export function getTemplate(db: Db, name: string, version: number | null): TeacherTemplate {
  ensureDefaultTemplate(db);
  const row = (
    version === null
      ? db.prepare(`SELECT * FROM teacher_templates WHERE name = ? ORDER BY version DESC LIMIT 1`).get(name)
      : db.prepare(`SELECT * FROM teacher_templates WHERE name = ? AND version = ?`).get(name, version)
  ) as TemplateRow | undefined;
  if (!row) throw new TemplateError(`no prompt template ${name}${version === null ? '' : `@${version}`}`);
  return toTemplate(row);
}

export function getTemplateById(db: Db, id: number): TeacherTemplate {
  const row = db.prepare(`SELECT * FROM teacher_templates WHERE id = ?`).get(id) as TemplateRow | undefined;
  if (!row) throw new TemplateError(`no prompt template with id ${id}`);
  return toTemplate(row);
}

export function checkTemplateText(text: string): void {
  for (const m of text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(m[1])) {
      throw new TemplateError(`unknown placeholder {{${m[1]}}}; allowed: ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`);
    }
  }
}

/** Saves a new version of a template (version 1 for a new name). */
export function saveTemplate(db: Db, t: { name: string; system: string; user: string; notes?: string }): TeacherTemplate {
  const name = t.name.trim();
  if (!/^[\w.-]{1,80}$/.test(name)) throw new TemplateError('template names are 1–80 letters, digits, _ . -');
  checkTemplateText(t.system);
  checkTemplateText(t.user);
  if (!t.user.includes('{{taxonomy}}') || !t.user.includes('{{calibration}}')) {
    throw new TemplateError('the user prompt must contain {{taxonomy}} and {{calibration}} (the teacher must see the classes and the scale)');
  }
  ensureDefaultTemplate(db);
  return db.transaction(() => {
    const last = db.prepare(`SELECT max(version) AS v FROM teacher_templates WHERE name = ?`).get(name) as { v: number | null };
    const version = (last.v ?? 0) + 1;
    const id = Number(
      db
        .prepare(`INSERT INTO teacher_templates (name, version, system_text, user_text, notes, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(name, version, t.system, t.user, t.notes ?? '', nowIso()).lastInsertRowid,
    );
    return getTemplateById(db, id);
  })();
}

export function renderTemplate(text: string, vars: TemplateVars): string {
  return text
    .replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => {
      if (!(name in vars)) throw new TemplateError(`unknown placeholder {{${name}}}`);
      return vars[name as keyof TemplateVars];
    })
    .replace(/\n{3,}/g, '\n\n');
}

export function templateRef(t: { name: string; version: number }): string {
  return `${t.name}@${t.version}`;
}
