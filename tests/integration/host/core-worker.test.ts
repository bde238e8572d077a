// The core behind its thread boundary: calls and envelopes, events, media files, the host-side key provider,
// a database from the future refused at start, and a crashed worker answering every caller instead of hanging.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import { join } from 'node:path';
import { startCoreWorker, CoreStartError, type CoreClient } from '../../../main/core/host/client.js';
import { memoryKeyProvider } from '../../../main/core/teacher/keys.js';
import { tempDir } from '../../support/paths.js';

let client: CoreClient | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await client?.close();
  client = null;
  cleanup?.();
});

function tmp(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return t.dir;
}

describe('core worker', () => {
  it('answers calls in envelopes from another thread and validates arguments there', async () => {
    const dir = tmp();
    client = await startCoreWorker({ dbPath: join(dir, 'emma.sqlite'), mode: 'test' });
    expect(client.worker.threadId).not.toBe(threadId);
    expect(client.location.dbPath).toBe(join(dir, 'emma.sqlite'));
    expect(await client.call('getStatus', [])).toMatchObject({ ok: true, value: { imageCount: 0, mode: 'test' } });
    expect(await client.call('getImage', ['7'])).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(await client.call('dropTables', [])).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    await expect(client.api.getImage(99)).rejects.toMatchObject({ code: 'not_found' });
    await expect(client.media.file(99, 'thumb')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('pushes events and keeps the API key on the host side', async () => {
    const dir = tmp();
    const keys = memoryKeyProvider();
    client = await startCoreWorker({ dbPath: join(dir, 'emma.sqlite'), mode: 'test', teacherKeyProvider: keys });
    const events: string[] = [];
    client.events.on((e) => events.push(e.type));
    await client.api.setTeacherApiKey('sk-test-host-side');
    expect(await keys.getKey()).toBe('sk-test-host-side'); // stored by the host's provider, not in the worker
    const settings = await client.api.getTeacherSettings();
    expect(settings.keyConfigured).toBe(true);
    expect(JSON.stringify(settings)).not.toContain('sk-test-host-side');
    const job = await client.api.startImport({ paths: [join(dir, 'missing.tif')] });
    await expect.poll(async () => (await client!.api.getJob(job.id)).state, { timeout: 20_000 }).not.toMatch(/queued|running/);
    expect(events).toContain('job');
  });

  it('refuses a database from a newer Emma before anything starts', async () => {
    const dir = tmp();
    const file = join(dir, 'emma.sqlite');
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    const started = startCoreWorker({ dbPath: file, mode: 'test' });
    await expect(started).rejects.toBeInstanceOf(CoreStartError);
    await expect(started).rejects.toThrow(/newer Emma/);
  });

  it('a crashed worker fails open and later calls with a clear error instead of hanging', async () => {
    const dir = tmp();
    client = await startCoreWorker({ dbPath: join(dir, 'emma.sqlite'), mode: 'test' });
    await client.worker.terminate(); // what an abort inside a native addon looks like from here
    expect(await client.call('getStatus', [])).toMatchObject({ ok: false, error: { code: 'core_stopped' } });
    await expect(client.api.getStatus()).rejects.toThrow(/core stopped/);
  });
});
