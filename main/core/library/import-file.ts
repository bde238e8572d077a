// The per-file work of an import, the same whether it runs in the importing thread or in a pool worker
// (import-pool.ts): read the file once, hash those bytes, and decode the same bytes for the metadata, the data
// bar and the thumbnail. Nothing here touches the database; the importer decides what a hash means.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { inspectWithThumbnail, type ImageInspection } from './inspect.js';
import { thumbnailPath } from './media-cache.js';
import { writeFileAtomic } from './write-atomic.js';

/**
 * Files up to this size are read into memory once; larger ones are hashed as a stream and decoded from disk. With
 * at most 2 files in flight per processor (4 in the importing thread when it runs without the workers it was
 * allowed), buffered bytes stay under 2 x 64 MiB per core.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface HashedFile {
  sha256: string;
  size: number;
  /** The content, when it was small enough to keep for the decode. */
  bytes: Buffer | null;
}

export interface PreparedFile {
  info: ImageInspection;
}

/** What a file-system entry is, in words, when it is not a regular file or a folder (FIFO, device, socket). */
export function specialKind(s: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a file or folder';
}

/** Reads and hashes a regular file (refusing anything else, even if it was swapped in after the folder walk). */
export async function readAndHash(path: string): Promise<HashedFile> {
  // Non-blocking open, then a check on what was opened: a file swapped for a FIFO after the walk must not hang us.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new Error(`not a regular file: ${specialKind(s)}`);
    if (s.size <= MAX_BUFFERED_BYTES) {
      const bytes = await readWhole(handle, s.size);
      // Synchronous on purpose: WebCrypto's digest copies the input and blocked this thread longer (Node 20, measured).
      return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, bytes };
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size, bytes: null };
  } finally {
    await handle.close();
  }
}

/**
 * The file's bytes in one buffer of its stated size (FileHandle.readFile reads in chunks and joins them: a copy of
 * every file). A file that grew meanwhile is read to its stated size; one that shrank is returned as it is now.
 */
async function readWhole(handle: FileHandle, size: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await handle.read(bytes, at, size - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at === size ? bytes : bytes.subarray(0, at);
}

/** One decode gives the metadata, the data bar and the thumbnail, which is written to the cache by content hash. */
export async function prepareFile(path: string, hashed: HashedFile, dataDir: string): Promise<PreparedFile> {
  const { info, thumbnail } = await inspectWithThumbnail(path, {
    thumbnail: { maxSide: 256 },
    ...(hashed.bytes ? { bytes: hashed.bytes } : {}),
  });
  await writeFileAtomic(thumbnailPath(dataDir, hashed.sha256), thumbnail, { durable: false });
  return { info };
}
