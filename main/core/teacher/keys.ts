// Where the teacher's API key comes from. The core never persists a key in plain text, never logs it and never
// returns it through the contract: it asks a TeacherKeyProvider for it right before a request. The Electron layer
// supplies a provider backed by safeStorage; the CLI and browser mode use an env var, a key file, or a key held in
// memory for the life of the process.
import { readFile } from 'node:fs/promises';
import { CoreError } from '../errors.js';

export interface TeacherKeyProvider {
  /** The key, or null when none is configured. */
  getKey(): Promise<string | null>;
  /** Stores (or with null, forgets) a key. Absent where this binding cannot store a key safely. */
  setKey?(key: string | null): Promise<void>;
  /** Where the key comes from, for the UI. Never the key itself. */
  describe(): string;
}

export class KeyStoreUnavailableError extends CoreError<'key_store_unavailable'> {
  constructor(message: string) {
    super('key_store_unavailable', message);
  }
}

/** OPENAI_API_KEY (or another variable) from the environment. */
export function envKeyProvider(variable = 'OPENAI_API_KEY', env: NodeJS.ProcessEnv = process.env): TeacherKeyProvider {
  return {
    async getKey() {
      const v = env[variable]?.trim();
      return v ? v : null;
    },
    describe: () => `env ${variable}`,
  };
}

/** A key file (first non-empty line), read at each request so a rotated key is picked up. */
export function fileKeyProvider(path: string): TeacherKeyProvider {
  return {
    async getKey() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new Error(`cannot read the API key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
      }
      const line = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .find((l) => l.length > 0);
      return line ?? null;
    },
    describe: () => `key file ${path}`,
  };
}

/** A key held in memory only, for this process (browser mode: typed in the UI, gone on restart). */
export function memoryKeyProvider(initial: string | null = null): TeacherKeyProvider {
  let key = initial;
  return {
    async getKey() {
      return key;
    },
    async setKey(k) {
      key = k && k.trim() ? k.trim() : null;
    },
    describe: () => 'kept in memory for this session',
  };
}

/** The first provider that has a key wins; setKey goes to the first provider that can store one. */
export function chainKeyProviders(...providers: TeacherKeyProvider[]): TeacherKeyProvider {
  const writable = providers.find((p) => p.setKey);
  let lastSource = providers[0]?.describe() ?? 'none';
  return {
    async getKey() {
      for (const p of providers) {
        const k = await p.getKey();
        if (k) {
          lastSource = p.describe();
          return k;
        }
      }
      return null;
    },
    ...(writable ? { setKey: (k: string | null) => writable.setKey!(k) } : {}),
    describe: () => lastSource,
  };
}

/** The default for plain Node (CLI, browser/lab-server mode): memory, then OPENAI_API_KEY, then EMMA_TEACHER_API_KEY_FILE. */
export function defaultKeyProvider(env: NodeJS.ProcessEnv = process.env): TeacherKeyProvider {
  const chain = [memoryKeyProvider(), envKeyProvider('OPENAI_API_KEY', env)];
  if (env.EMMA_TEACHER_API_KEY_FILE) chain.push(fileKeyProvider(env.EMMA_TEACHER_API_KEY_FILE));
  return chainKeyProviders(...chain);
}

/**
 * Removes secrets from text that may be stored, logged or returned: the key itself (and any long fragment of it),
 * bearer tokens, api-key headers and OpenAI-style keys.
 */
export function redactSecrets(text: string, key: string | null | undefined): string {
  let out = text;
  if (key && key.length >= 4) {
    out = out.split(key).join('[redacted]');
    // A server may echo a truncated key ("Incorrect API key provided: sk-abc***xyz").
    if (key.length >= 16) {
      for (const part of [key.slice(0, 12), key.slice(-8)]) out = out.split(part).join('[redacted]');
    }
  }
  return out
    .replace(/\b(Bearer)\s+[\w.\-~+/=]{8,}/gi, '$1 [redacted]')
    .replace(/(api[-_]?key["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi, '$1[redacted]')
    .replace(/\bsk-[\w\-*]{8,}/g, 'sk-[redacted]');
}
