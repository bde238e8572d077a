// Training runs in a worker thread: the loss falls, the caller's event loop keeps turning, cancel stops
// it, and a checkpointed + resumed (even after a hard kill) run ends bit-identical to an uninterrupted one.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../native-models/runtime/checkpoint.js';
import type { StepReport } from '../../native-models/runtime/train-loop.js';
import { startTraining } from '../../native-models/runtime/trainer.js';
import { tinySpec } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'emma-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = tinySpec;

describe('training in a worker', () => {
  it('learns (loss falls), reports progress, and never blocks the caller', async () => {
    const reports: StepReport[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let provider = '';
    const job = startTraining(spec(), { onProgress: (r) => reports.push(r), onReady: (m) => (provider = m.provider) });
    const result = await job.result;
    clearInterval(timer);
    expect(result.status).toBe('completed');
    expect(result.step).toBe(100);
    expect(provider).toBe('cpu');
    expect(reports.map((r) => r.step)).toEqual([...Array(100).keys()].map((i) => i + 1));
    const first = reports.slice(0, 4).reduce((s, r) => s + r.loss, 0) / 4;
    const last = reports.slice(-4).reduce((s, r) => s + r.loss, 0) / 4;
    expect(first).toBeGreaterThan(1.2); // ~ln 4 at the start
    expect(last).toBeLessThan(first * 0.5);
    // The main thread kept serving timers while the worker trained.
    expect(ticks).toBeGreaterThan(10);
  });

  it('cancel stops after the current step, with a checkpoint to resume from', async () => {
    const path = join(dir, 'cancel.ckpt');
    let job: ReturnType<typeof startTraining> | undefined;
    // eslint-disable-next-line prefer-const -- the progress callback may run before startTraining returns
    job = startTraining(spec({ steps: 500, checkpoint: { path, every: 1000 } }), {
      onProgress: (r) => {
        if (r.step === 3) job?.cancel();
      },
    });
    const result = await job.result;
    expect(result.status).toBe('cancelled');
    expect(result.step).toBeGreaterThanOrEqual(3);
    expect(result.step).toBeLessThan(10);
    expect(readCheckpoint(path).header.step).toBe(result.step);
  });

  it('checkpoint + resume after SIGKILL equals an uninterrupted run, bit for bit', async () => {
    const full = await startTraining(spec({ steps: 12 })).result;

    // A real crash: a separate process trains with a checkpoint every 4 steps and is SIGKILLed after step 6.
    const path = join(dir, 'kill.ckpt');
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'train-child.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let killedAt = 0;
    await new Promise<void>((resolve) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /step (\d+)\n/.exec(buf);
        if (m && Number(m[1]) >= 6 && !killedAt) {
          killedAt = Number(m[1]);
          child.kill('SIGKILL');
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
      child.on('exit', () => resolve());
    });
    expect(killedAt).toBeGreaterThanOrEqual(6);
    expect(killedAt).toBeLessThan(12);
    // A half-written temp file from the crash must not matter.
    writeFileSync(`${path}.tmp-99999-1`, 'garbage');
    const saved = readCheckpoint(path).header.step;
    expect([4, 8]).toContain(saved);

    const resumed = await startTraining(spec({ steps: 12, checkpoint: { path, every: 4 }, resume: true })).result;
    expect(resumed.resumedFrom).toBe(saved);
    expect(resumed.step).toBe(12);
    expect(resumed.losses).toEqual(full.losses.slice(saved));
    expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(full.params.buffer))).toBe(true);
  });

  it('refuses to resume a checkpoint written by another configuration', async () => {
    const path = join(dir, 'other.ckpt');
    await startTraining(spec({ steps: 2, checkpoint: { path, every: 1 } })).result;
    await expect(startTraining(spec({ steps: 2, seed: 12, checkpoint: { path, every: 1 }, resume: true })).result).rejects.toThrow(
      /different training configuration/,
    );
  });

  it('the same seed gives the same run; another seed does not', async () => {
    const [a, b, c] = await Promise.all([
      startTraining(spec({ steps: 3 })).result,
      startTraining(spec({ steps: 3 })).result,
      startTraining(spec({ steps: 3, seed: 5 })).result,
    ]);
    expect(a.losses).toEqual(b.losses);
    expect(a.losses).not.toEqual(c.losses);
  });
});

describe('checkpoint files', () => {
  it('replace atomically and detect truncation', () => {
    const path = join(dir, 'atomic.ckpt');
    const header = { model: { arch: 'x', config: {} }, layoutKey: 'k', total: 3, step: 1, seed: 0, specKey: 's', savedAt: '' };
    const arr = (x: number) => new Float32Array([x, x, x]);
    writeCheckpoint(path, { header, params: arr(1), m: arr(2), v: arr(3) });
    writeCheckpoint(path, { header: { ...header, step: 2 }, params: arr(4), m: arr(5), v: arr(6) });
    const c = readCheckpoint(path);
    expect(c.header.step).toBe(2);
    expect([...c.params, ...c.m, ...c.v]).toEqual([4, 4, 4, 5, 5, 5, 6, 6, 6]);
    expect(readdirSync(dir).filter((f) => f.startsWith('atomic.ckpt.tmp'))).toEqual([]);
    writeFileSync(path, readCheckpointBytes(path).subarray(0, readCheckpointBytes(path).length - 4));
    expect(() => readCheckpoint(path)).toThrow(/truncated|not an Emma/);
    expect(existsSync(path)).toBe(true);
  });
});

function readCheckpointBytes(path: string): Buffer {
  return readFileSync(path);
}
