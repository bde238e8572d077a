// Keeps the layers honest: the folder a file lives in decides what it may import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/paths.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir))) {
    const rel = join(dir, name);
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...sources(rel));
    else if (/\.(c|m)?tsx?$/.test(name)) out.push(rel);
  }
  return out;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(code: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of code.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return specs;
}

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function violations(dir: string, forbidden: (spec: string, file: string) => string | null): string[] {
  const found: string[] = [];
  for (const file of sources(dir)) {
    for (const spec of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) {
      const why = forbidden(spec, file);
      if (why) found.push(`${file}: ${spec} (${why})`);
    }
  }
  return found;
}

describe('layers', () => {
  it('the import scanner sees every import form (negative control)', () => {
    const code = `import x from 'electron';\nimport type { A } from "react";\nconst y = await import('fs');\nexport * from 'react-dom';\nimport 'sharp';`;
    expect(importsOf(code).sort()).toEqual(['electron', 'fs', 'react', 'react-dom', 'sharp']);
  });

  it('main/core imports neither electron nor React', () => {
    expect(violations('main/core', (s) => (/^(electron|react|react-dom)(\/|$)/.test(s) ? 'core must run without Electron or React' : null))).toEqual([]);
  });

  it('main/server and main/cli import no electron', () => {
    const rule = (s: string) => (/^electron(\/|$)/.test(s) ? 'must run in plain Node' : null);
    expect([...violations('main/server', rule), ...violations('main/cli', rule)]).toEqual([]);
  });

  it('the app reaches the engine only through native-models/index.ts', () => {
    const rule = (s: string) => (/native-models\/(?!index\.js$)/.test(s) ? 'import it from native-models/index.js' : null);
    expect(violations('main', rule)).toEqual([]);
  });

  it('native-models imports no electron, React or app code', () => {
    expect(violations('native-models', (s) => (/^(electron|react)(\/|$)/.test(s) || s.includes('/main/') ? 'engine stands alone' : null))).toEqual([]);
  });

  it('the renderer never touches Node, and takes only the contract from main/', () => {
    expect(
      violations('renderer/src', (s, file) => {
        if (nodeBuiltins.has(s)) return 'renderer cannot use Node';
        if (/^(electron|better-sqlite3|sharp|onnxruntime-node|openai)(\/|$)/.test(s)) return 'renderer cannot use native or main-process modules';
        if (s.includes('/main/') && !/\/main\/core\/contract(\.js)?$/.test(s))
          return `only the contract may be imported from main/ (${relative('renderer', file)})`;
        return null;
      }),
    ).toEqual([]);
  });

  it('the CLI is a client of the API: only cli/client.ts opens a core, and no command reaches past `api`', () => {
    // What the CLI may take from main/core besides the contract: the core's host (client.ts), the teacher's key
    // providers (they stay on the host side), the database tools that work on a file no core can open (check,
    // backup, users, serve), `emma info`'s file inspection and the preset names.
    const allowed = /\/core\/(contract|host\/client|teacher\/keys|db\/integrity|db\/database|paths|library\/inspect)(\.js)?$/;
    expect(
      violations('main/cli', (s, file) => {
        if (s.endsWith('/core/api.js')) return file.endsWith('client.ts') ? null : 'open the core with openCore (cli/client.ts)';
        return s.includes('/core/') && !allowed.test(s) ? "the CLI calls the API, not the core's modules" : null;
      }),
    ).toEqual([]);
    const internals: string[] = [];
    for (const file of sources('main/cli')) {
      const code = readFileSync(join(repoRoot, file), 'utf8');
      for (const m of code.matchAll(/\bcore\.(db|jobs|teacher|review|student|importNow|media)\b/g)) internals.push(`${file}: core.${m[1]}`);
    }
    expect(internals).toEqual([]);
  });

  it("the contract is its domains' slices and nothing else: the renderer takes no module through it", () => {
    const slice = /^(\.\/|\.\.\/)(\w+\/)?(contract|types)\.js$/;
    const files = ['main/core/contract.ts', ...sources('main/core').filter((f) => /^main\/core\/\w+\/contract\.ts$/.test(f)), 'main/core/measure/types.ts'];
    expect(files.length).toBeGreaterThanOrEqual(9);
    const found: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) if (!slice.test(spec)) found.push(`${file}: ${spec}`);
    }
    expect(found).toEqual([]);
  });

  it('every domain folder has its handler map, its contract slice and its schemas', () => {
    const domains = ['library', 'jobs', 'teacher', 'review', 'student', 'chat', 'measure', 'audit'];
    const missing = domains.flatMap((d) =>
      ['handlers.ts', 'contract.ts', 'schemas.ts'].filter((f) => !sources(`main/core/${d}`).includes(`main/core/${d}/${f}`)).map((f) => `${d}/${f}`),
    );
    expect(missing).toEqual([]);
  });

  it('the preload imports only electron and the contract', () => {
    expect(violations('preload', (s) => (s === 'electron' || /\/main\/core\/contract(\.js)?$/.test(s) ? null : 'preload exposes the bridge only'))).toEqual([]);
  });
});
