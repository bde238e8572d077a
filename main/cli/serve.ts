import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startCoreWorker } from '../core/host/client.js';
import { startServer } from '../server/http-server.js';

/** The built renderer, whether we run from source (main/cli) or compiled (dist/main/cli). */
export function findRendererDir(): string {
  for (const rel of ['../../dist/renderer', '../../renderer']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}/index.html`) && !existsSync(`${dir}/src`)) return dir;
  }
  return fileURLToPath(new URL('../../dist/renderer', import.meta.url));
}

/** Browser mode and lab-server mode: the same UI over HTTP. Runs until interrupted. */
export async function serveCommand(options: { db?: string; host?: string; port?: number; reason?: string }): Promise<number> {
  // The core runs in a worker thread: decoding, SQLite and ONNX never hold up this event loop.
  const core = await startCoreWorker({ dbPath: options.db, mode: options.host && options.host !== '127.0.0.1' ? 'lab-server' : 'browser' });
  const server = await startServer({ core, rendererDir: findRendererDir(), host: options.host, port: options.port });
  const reason = options.reason ?? process.env.EMMA_START_REASON;
  if (reason) console.log(reason);
  console.log(`Emma is running in browser mode. Open this address in Chrome, Edge or Firefox:\n\n  ${server.openUrl}\n`);
  console.log(`Data: ${core.location.dbPath}`);
  // A damaged file never gets here (createCore refuses it); a file too large to check at open says so.
  if (core.openNote) console.log(`Note: ${core.openNote}`);
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    console.log(`Lab-server mode: listening on ${options.host}, reachable from the network; keep the token private.`);
  }
  console.log('Press Ctrl+C to stop.');
  const stop = async () => {
    await server.close();
    await core.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return 0;
}
