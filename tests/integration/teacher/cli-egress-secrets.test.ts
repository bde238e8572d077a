// The `emma teacher` commands as a lab's script would run them (real process, real database file, the test double
// of the remote teacher on 127.0.0.1), the egress switch, the contract over the real core, and the API key, which
// must never appear in output, logs, the audit log, the database, job results or any contract response.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type CoreInternals } from '../../../main/core/api.js';
import { dispatch } from '../../../main/core/dispatch.js';
import { memoryKeyProvider } from '../../../main/core/teacher/keys.js';
import type { EmmaEvent } from '../../../main/core/contract.js';
import { hasSharedData, repoRoot, sharedData, tempDir } from '../../support/paths.js';
import { startTeacherDouble, type TeacherDouble } from '../../support/teacher-double-server.js';
import { databaseBytes, makeHarness, MODEL, pickDistinct } from './harness.js';

const KEY = 'sk-emma-cli-secret-0123456789abcdef';

/** Runs the CLI asynchronously (the double answers from this process, so spawnSync would deadlock). */
function emma(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'emma.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, OPENAI_API_KEY: '', EMMA_TEACHER_BASE_URL: '', EMMA_TEACHER_MODEL: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!hasSharedData)('emma teacher (CLI)', () => {
  let double: TeacherDouble;
  let t: { dir: string; cleanup: () => void };
  let db: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    double = await startTeacherDouble();
    t = tempDir('emma-teacher-cli-');
    db = join(t.dir, 'lab.sqlite');
    env = { OPENAI_API_KEY: KEY, EMMA_TEACHER_BASE_URL: double.baseUrl, EMMA_TEACHER_MODEL: MODEL };
    const imp = await emma(['import', join(sharedData, 'semi-defects', 'bridges'), join(sharedData, 'semi-defects', 'clean'), '--db', db, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await double?.close();
    t?.cleanup();
  });

  it('refuses to send anything while egress is off, and says how to turn it on', async () => {
    const status = await emma(['teacher', 'egress', '--db', db, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: false });
    const test = await emma(['teacher', 'test', '--db', db], env);
    expect(test.code).toBe(1);
    expect(test.stderr).toMatch(/egress is off.*emma teacher egress on/s);
    const run = await emma(['teacher', 'run', '--db', db, '--json'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/egress is off/);
    expect(double.requests).toHaveLength(0);
  }, 60_000);

  it('egress on (audited), taxonomy, test connection, then a run with --json in the documented shape', async () => {
    const on = await emma(['teacher', 'egress', 'on', '--by', 'okafor', '--db', db]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/egress is ON: .*set by cli:okafor/);
    const tax = await emma(['teacher', 'taxonomy', 'semi-defects', '--db', db, '--json']);
    expect(JSON.parse(tax.stdout).classes.map((c: { name: string }) => c.name)).toContain('malformed_vias');

    const test = await emma(['teacher', 'test', '--db', db, '--json'], env);
    expect(test.code, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ reachable: true, vision: true, jsonSchema: true, jsonObject: true, streaming: true });

    const price = await emma(['teacher', 'price', MODEL, '1000', '1000', '--db', db, '--json']);
    expect(JSON.parse(price.stdout)[MODEL]).toEqual({ inputPerMTok: 1000, outputPerMTok: 1000 });
    const keyFile = join(t.dir, 'key.txt');
    writeFileSync(keyFile, `${KEY}\n`);
    const run = await emma(
      [
        'teacher',
        'run',
        '--limit',
        '12',
        '--concurrency',
        '3',
        '--budget-usd',
        '100',
        '--json',
        '--db',
        db,
        '--api-key-file',
        keyFile,
        '--base-url',
        double.baseUrl,
        '--model',
        MODEL,
      ],
      { OPENAI_API_KEY: '' },
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out).sort()).toEqual(['completionTokens', 'costUsd', 'flagged', 'paraphrases', 'processed', 'promptTokens', 'proposals', 'requests']);
    // 12 images and the run's one text-only paraphrase request (on by default).
    expect(out).toMatchObject({ processed: 12, proposals: 12, flagged: [], requests: 13, paraphrases: { status: 'valid' } });
    expect(out.costUsd).toBeCloseTo((out.promptTokens + out.completionTokens) / 1000, 4);
    expect(out.promptTokens).toBeGreaterThan(0);
    for (const r of [on, tax, test, run]) expect(r.stdout + r.stderr).not.toContain(KEY);

    // Resumable: the next run asks only for images not answered yet.
    const next = await emma(['teacher', 'run', '--limit', '5', '--json', '--db', db], env);
    expect(JSON.parse(next.stdout)).toMatchObject({ processed: 5, proposals: 5 });
    const runs = JSON.parse((await emma(['teacher', 'runs', '--db', db, '--json'])).stdout);
    expect(runs).toHaveLength(2);

    // The key never reached the database file, and the audit log has the egress change and every request.
    expect(databaseBytes(db)).not.toContain(KEY);
    expect(double.requests.every((r) => !r.rawBody.includes(KEY) && !r.url.includes(KEY))).toBe(true);
    expect(double.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
  }, 90_000);
});

describe.skipIf(!hasSharedData)('teacher through the contract (createCore + dispatch)', () => {
  let core: CoreInternals;
  let double: TeacherDouble;
  let t: { dir: string; cleanup: () => void };
  const events: EmmaEvent[] = [];

  beforeAll(async () => {
    double = await startTeacherDouble();
    t = tempDir('emma-teacher-api-');
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test', teacherKeyProvider: memoryKeyProvider() });
    core.events.on((e) => events.push(e));
    await core.importNow({ paths: await pickDistinct('semi-defects', 6) });
  }, 60_000);

  afterAll(async () => {
    await core?.close();
    await double?.close();
    t?.cleanup();
  });

  const call = async (method: string, ...args: unknown[]) => {
    const env = await dispatch(core.api, method, args);
    const text = JSON.stringify(env);
    expect(text).not.toContain(KEY);
    if (!env.ok) throw Object.assign(new Error(env.error.message), { code: env.error.code });
    return env.value as never;
  };

  it('with egress off nothing leaves: run, test and ask are refused with egress_disabled', async () => {
    await call('setTeacherApiKey', KEY);
    await call('applyTaxonomySet', 'semi-defects');
    await call('updateTeacherConfig', { provider: 'compatible', baseUrl: double.baseUrl, model: MODEL });
    for (const [m, a] of [
      ['startTeacherRun', {}],
      ['testTeacherConnection', undefined],
      ['teacherAsk', { imageId: 1, question: 'bridges?' }],
    ] as const) {
      const env = await dispatch(core.api, m, a === undefined ? [] : [a]);
      expect(env).toMatchObject({ ok: false, error: { code: 'egress_disabled' } });
    }
    expect(double.requests).toHaveLength(0);
    expect(core.jobs.list(10).filter((j) => j.kind === 'teacher')).toHaveLength(0);
  });

  it('every teacher method answers over the contract without ever returning the key', async () => {
    const s0 = (await call('getTeacherSettings')) as { keyConfigured: boolean; keySource: string; egress: { enabled: boolean } };
    expect(s0).toMatchObject({ keyConfigured: true, keySource: expect.not.stringContaining(KEY), egress: { enabled: false } });
    await call('setTeacherEgress', true);
    expect(((await call('testTeacherConnection')) as { jsonSchema: boolean }).jsonSchema).toBe(true);
    expect(await call('listTaxonomySets')).toHaveLength(2);
    expect(((await call('saveTaxonomyClass', { name: 'particles', description: 'stray particles' })) as unknown[]).length).toBeGreaterThan(8);
    const tpl = (await call('saveTeacherTemplate', {
      name: 'micrograph-qa',
      system: 'Be brief.',
      user: 'Classes:\n{{taxonomy}}\n{{calibration}}\n{{qa_instructions}}\n{{answer_shape}}',
    })) as { version: number };
    expect(tpl.version).toBe(2);
    expect(await call('listTeacherTemplates')).toHaveLength(2);
    const job = (await call('startTeacherRun', { concurrency: 2 })) as { id: number; kind: string };
    expect(job.kind).toBe('teacher');
    const done = await core.jobs.wait(job.id);
    expect(done.state).toBe('done');
    expect(JSON.stringify(await call('getJob', job.id))).toContain('"proposals":6');
    const runs = (await call('listTeacherRuns', 10)) as { id: number; template: string }[];
    expect(runs[0].template).toBe('micrograph-qa@2'); // the new version is used and recorded
    await call('getTeacherRun', runs[0].id);
    const outs = (await call('listTeacherOutputs', { runId: runs[0].id, offset: 0, limit: 100 })) as { template: string }[];
    expect(outs).toHaveLength(6);
    expect(outs[0].template).toBe('micrograph-qa@2');
    const audit = (await call('listTeacherAudit', 1000)) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['teacher.egress.on', 'teacher.request', 'teacher.run.start', 'teacher.run.end', 'teacher.key.set']),
    );
    await call('listTaxonomy');
    const img = (await call('listImages', { offset: 0, limit: 10 })) as { items: { label: { source: string; status: string } | null }[] };
    expect(img.items.some((i) => i.label?.source === 'teacher' || i.label?.source === undefined)).toBe(true);
  });

  it('teacherAsk streams the answer as events, then returns it with usage', async () => {
    const r = (await call('teacherAsk', { imageId: 1, question: 'Are there bridges between the lines?', streamId: 's-1' })) as {
      answer: string;
      promptTokens: number;
      streamId: string;
    };
    expect(r.streamId).toBe('s-1');
    expect(r.answer).toMatch(/mean grey level/);
    expect(r.promptTokens).toBeGreaterThan(0);
    const deltas = events.filter((e): e is Extract<EmmaEvent, { type: 'teacher-stream' }> => e.type === 'teacher-stream' && e.streamId === 's-1');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.at(-1)!.done).toBe(true);
    expect(deltas.map((d) => d.delta).join('')).toBe(r.answer);
    const ask = double.requests.at(-1)!;
    expect(ask.body?.stream).toBe(true);
  });

  it("the key appears nowhere: events, job results, the database file, the requests' bodies", async () => {
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(JSON.stringify(core.jobs.list(100))).not.toContain(KEY);
    expect(databaseBytes(core.location.dbPath)).not.toContain(KEY);
    expect(double.requests.every((r) => !r.rawBody.includes(KEY))).toBe(true);
  });
});

describe.skipIf(!hasSharedData)('teacher secrets under errors', () => {
  it('a server that echoes the key in its error: the key is scrubbed from the job error, requests, audit and DB', async () => {
    const h = await makeHarness({ files: await pickDistinct('semi-defects', 3) });
    try {
      h.double.options.behavior = () => ({ status: 401, message: `Incorrect API key provided: ${h.key}. You can find your API key at ...` });
      const job = await h.jobs.wait((await h.teacher.startRun({})).id);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/refused the API key/);
      const everything = JSON.stringify([job, h.seen, h.db.prepare(`SELECT * FROM teacher_requests`).all(), h.db.prepare(`SELECT * FROM audit_log`).all()]);
      expect(everything).not.toContain(h.key);
      expect(everything).not.toContain(h.key.slice(0, 12));
      expect(databaseBytes(h.dbPath)).not.toContain(h.key);
      expect(h.db.prepare(`SELECT error FROM teacher_requests LIMIT 1`).get()).toMatchObject({ error: expect.stringContaining('[redacted]') });
    } finally {
      await h.close();
    }
  });

  it('Azure OpenAI: deployment path, api-version and the api-key header', async () => {
    const h = await makeHarness({ files: await pickDistinct('semi-defects', 2) });
    try {
      await h.teacher.updateConfig({ provider: 'azure', baseUrl: h.double.origin, model: 'gpt4o-site', azureApiVersion: '2024-10-21' });
      const job = await h.jobs.wait((await h.teacher.startRun({})).id);
      expect(job.state, job.error ?? '').toBe('done');
      const req = h.double.requests[0];
      expect(req.url).toBe('/openai/deployments/gpt4o-site/chat/completions?api-version=2024-10-21');
      expect(req.headers['api-key']).toBe(h.key);
      expect(req.headers.authorization).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
