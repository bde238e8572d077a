// Per-project teacher settings in the `settings` table (this database is the project): the endpoint
// configuration (never the key), the egress switch, and probed capabilities. Plus the audit log writer.
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import { DEFAULT_PRICES } from './pricing.js';
import { DEFAULT_TEMPLATE_NAME } from './templates.js';
import type { TeacherCapabilities, TeacherConfig, TeacherConfigPatch, TeacherEgress } from './types.js';

const CONFIG_KEY = 'teacher.config';
const EGRESS_KEY = 'teacher.egress';

export const DEFAULT_CONFIG: TeacherConfig = {
  provider: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o',
  azureApiVersion: null,
  classNames: [],
  templateName: DEFAULT_TEMPLATE_NAME,
  templateVersion: null,
  qaCount: 5,
  maxImageSide: 1024,
  imageDetail: 'high',
  sendMetadata: false,
  temperature: 0.2,
  maxOutputTokens: 1200,
  concurrency: 4,
  maxAttempts: 5,
  requestTimeoutMs: 120_000,
  prices: DEFAULT_PRICES,
  // On by default: one text-only request per run (a few thousand tokens), cached, so a repeated run costs nothing.
  paraphraseCount: 3,
};

const price = z.object({ inputPerMTok: z.number().min(0).max(10_000), outputPerMTok: z.number().min(0).max(10_000) });

export const configPatchSchema = z
  .object({
    provider: z.enum(['openai', 'azure', 'compatible']),
    baseUrl: z
      .string()
      .max(2000)
      .refine((s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search;
        } catch {
          return false;
        }
      }, 'baseUrl must be an http(s) URL without credentials or query string'),
    model: z.string().trim().min(1).max(200),
    azureApiVersion: z.string().trim().min(1).max(50).nullable(),
    classNames: z.array(z.string().min(1).max(80)).max(500),
    templateName: z.string().min(1).max(80),
    templateVersion: z.number().int().positive().nullable(),
    qaCount: z.number().int().min(1).max(20),
    maxImageSide: z.number().int().min(64).max(4096),
    imageDetail: z.enum(['low', 'high', 'auto']),
    sendMetadata: z.boolean(),
    temperature: z.number().min(0).max(2),
    maxOutputTokens: z.number().int().min(64).max(32_000),
    concurrency: z.number().int().min(1).max(64),
    maxAttempts: z.number().int().min(1).max(20),
    requestTimeoutMs: z.number().int().min(100).max(600_000),
    prices: z.record(z.string().min(1).max(200), price),
    paraphraseCount: z.number().int().min(0).max(10),
  })
  .partial()
  .strict();

export function getSetting<T>(db: Db, key: string): T | null {
  const row = db.prepare(`SELECT value_json FROM settings WHERE key = ?`).get(key) as { value_json: string } | undefined;
  return row ? (JSON.parse(row.value_json) as T) : null;
}

export function putSetting(db: Db, key: string, value: unknown): void {
  db.prepare(
    `INSERT INTO settings (key, value_json, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
  ).run(key, JSON.stringify(value), nowIso());
}

export function readConfig(db: Db): TeacherConfig {
  const stored = getSetting<Partial<TeacherConfig>>(db, CONFIG_KEY) ?? {};
  return { ...DEFAULT_CONFIG, ...stored, prices: { ...DEFAULT_CONFIG.prices, ...(stored.prices ?? {}) } };
}

export function writeConfig(db: Db, patch: TeacherConfigPatch, actor: string): TeacherConfig {
  const valid = configPatchSchema.parse(patch);
  const next = { ...readConfig(db), ...valid };
  db.transaction(() => {
    putSetting(db, CONFIG_KEY, next);
    audit(db, actor, 'teacher.config', { changed: Object.keys(valid) });
  })();
  return next;
}

/** Applies command-line / environment overrides for one run without storing them. */
export function withOverrides(config: TeacherConfig, patch: TeacherConfigPatch): TeacherConfig {
  return { ...config, ...configPatchSchema.parse(patch) };
}

export function readEgress(db: Db): TeacherEgress {
  return getSetting<TeacherEgress>(db, EGRESS_KEY) ?? { enabled: false, changedAt: null, changedBy: null };
}

export function writeEgress(db: Db, enabled: boolean, actor: string, details: Record<string, unknown> = {}): TeacherEgress {
  const value: TeacherEgress = { enabled, changedAt: nowIso(), changedBy: actor };
  db.transaction(() => {
    putSetting(db, EGRESS_KEY, value);
    audit(db, actor, enabled ? 'teacher.egress.on' : 'teacher.egress.off', details);
  })();
  return value;
}

export function audit(db: Db, actor: string, action: string, details: Record<string, unknown>): void {
  db.prepare(`INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, ?, ?)`).run(nowIso(), actor, action, JSON.stringify(details));
}

interface CapRow {
  endpoint: string;
  model: string;
  reachable: number;
  vision: number | null;
  json_schema: number | null;
  json_object: number | null;
  streaming: number | null;
  notes_json: string;
  probed_at: string;
}

const bool = (v: number | null) => (v === null ? null : v === 1);
const int = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

export function readCapabilities(db: Db, endpoint: string, model: string): TeacherCapabilities | null {
  const r = db.prepare(`SELECT * FROM teacher_capabilities WHERE endpoint = ? AND model = ?`).get(endpoint, model) as CapRow | undefined;
  if (!r) return null;
  return {
    endpoint: r.endpoint,
    model: r.model,
    reachable: r.reachable === 1,
    vision: bool(r.vision),
    jsonSchema: bool(r.json_schema),
    jsonObject: bool(r.json_object),
    streaming: bool(r.streaming),
    notes: JSON.parse(r.notes_json) as string[],
    probedAt: r.probed_at,
  };
}

export function writeCapabilities(db: Db, c: TeacherCapabilities): void {
  db.prepare(
    `INSERT INTO teacher_capabilities (endpoint, model, reachable, vision, json_schema, json_object, streaming, notes_json, probed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(endpoint, model) DO UPDATE SET reachable = excluded.reachable, vision = excluded.vision,
       json_schema = excluded.json_schema, json_object = excluded.json_object, streaming = excluded.streaming,
       notes_json = excluded.notes_json, probed_at = excluded.probed_at`,
  ).run(c.endpoint, c.model, c.reachable ? 1 : 0, int(c.vision), int(c.jsonSchema), int(c.jsonObject), int(c.streaming), JSON.stringify(c.notes), c.probedAt);
}

/** Records that a format does not work on an endpoint (learned during a run), keeping the other facts. */
export function markFormatUnsupported(db: Db, endpoint: string, model: string, format: 'json_schema' | 'json_object', note: string): void {
  const c = readCapabilities(db, endpoint, model) ?? {
    endpoint,
    model,
    reachable: true,
    vision: null,
    jsonSchema: null,
    jsonObject: null,
    streaming: null,
    notes: [],
    probedAt: nowIso(),
  };
  if (format === 'json_schema') c.jsonSchema = false;
  else c.jsonObject = false;
  c.notes = [...c.notes, note].slice(-20);
  writeCapabilities(db, c);
}
