// A pool worker of the importer (started by import-pool.ts through spawnWorker): reads, hashes and decodes the
// files it is sent, and keeps a file's bytes between its hash and its decode. It imports only the decoding
// modules (no database, no ONNX Runtime), so it starts quickly.
import { parentPort } from 'node:worker_threads';
import { prepareFile, readAndHash, type HashedFile } from './import-file.js';
import type { PoolReply, PoolRequest } from './import-pool.js';

const held = new Map<number, HashedFile>();
const port = parentPort!;
const reply = (r: PoolReply) => port.postMessage(r);

port.on('message', (req: PoolRequest) => {
  void handle(req);
});

async function handle(req: PoolRequest): Promise<void> {
  try {
    if (req.kind === 'hash') {
      const h = await readAndHash(req.path);
      held.set(req.id, h);
      reply({ id: req.id, ok: true, sha256: h.sha256, size: h.size });
    } else if (req.kind === 'decode') {
      const h = held.get(req.id);
      held.delete(req.id);
      if (!h) throw new Error('internal: decode asked for a file this worker did not hash');
      const { info } = await prepareFile(req.path, h, req.dataDir);
      reply({ id: req.id, ok: true, info });
    } else {
      held.delete(req.id);
    }
  } catch (e) {
    reply({ id: req.id, ok: false, message: e instanceof Error ? e.message : String(e) });
  }
}

reply({ id: -1, ok: true });
