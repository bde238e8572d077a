// Child process for the crash tests (tests/integration/robust/owners.test.ts): a real Emma core on a real file that
// holds work and never finishes it, so the parent can open the same file meanwhile and then `kill -9` this process.
//   job <db>      starts a job that runs until killed; prints "job <id>"
//   version <db>  starts a training run (no job, as `emma train` does) and writes part of its files; prints "version <id>"
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCore } from '../../../main/core/api.js';
import { startVersion } from '../../../main/core/student/versions.js';

const [mode, dbPath] = process.argv.slice(2);
const core = createCore({ dbPath, mode: 'cli' });
if (mode === 'job') {
  const job = core.jobs.start(
    'import',
    { paths: ['held by the child'] },
    (ctx) =>
      new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ imported: 0, duplicates: 0, failed: [], notes: [], cancelled: true }))),
  );
  process.stdout.write(`job ${job.id}\n`);
} else if (mode === 'version') {
  const id = startVersion(core.db, { preset: 'fast', dataSnapshot: {}, hyperparams: {} });
  const dir = join(core.location.dataDir, 'models', `v${id}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'head.onnx'), Buffer.alloc(4096, 7)); // half-written model files
  process.stdout.write(`version ${id}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
// Stay alive (the heartbeat timer is unref'd on purpose; this one is not).
setInterval(() => undefined, 60_000);
