import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** ../shared/data beside the checkout (EMMA_SHARED_DATA overrides). Never copied into the repository. */
export const sharedData = process.env.EMMA_SHARED_DATA ?? resolve(repoRoot, '../shared/data');
export const hasSharedData = existsSync(join(sharedData, 'README.md'));
export const SHARED_DATA_MISSING = `real micrographs not found at ${sharedData} (set EMMA_SHARED_DATA); skipping`;

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'emma-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
