import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

let tmpCounter = 0;
/** Folders this thread has made: an import writes thousands of thumbnails into 256 folders. */
const madeDirs = new Set<string>();

/**
 * Writes a file so that it is either complete or absent: temp file, (fsync), rename.
 * `durable: false` skips the fsync for caches that can be rebuilt (thumbnails, previews).
 * The temp name carries the thread id as well as the pid: import workers share the process.
 */
export async function writeFileAtomic(path: string, data: Buffer, options: { durable?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const tmp = `${path}.${process.pid}.${threadId}.${++tmpCounter}.tmp`;
  try {
    await writeFile(tmp, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // The folder was removed since (a cleared cache): make it again.
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, data);
  }
  if (options.durable ?? true) {
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await rename(tmp, path);
}
