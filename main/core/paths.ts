import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Where a site's data lives: one SQLite file plus derived caches beside it. */
export interface DataLocation {
  dataDir: string;
  dbPath: string;
}

/** The per-user data folder, no admin rights needed; EMMA_DATA_DIR overrides. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.EMMA_DATA_DIR) return resolve(env.EMMA_DATA_DIR);
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'Emma');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Emma');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'emma');
}

/** `--db` wins, then EMMA_DB, then `<data dir>/emma.sqlite`. Caches live beside the database file. */
export function resolveDataLocation(dbOption?: string, env: NodeJS.ProcessEnv = process.env): DataLocation {
  const explicit = dbOption ?? env.EMMA_DB;
  if (explicit) {
    const dbPath = resolve(explicit);
    return { dbPath, dataDir: dirname(dbPath) };
  }
  const dataDir = defaultDataDir(env);
  return { dataDir, dbPath: join(dataDir, 'emma.sqlite') };
}
