// Checkpoints that survive a kill: write a temp file, fsync it, rename over the old one, fsync the
// directory. A reader sees either the previous complete checkpoint or the new complete one, never a mix.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const MAGIC = 'EMMACKP1';

export interface CheckpointHeader {
  /** Architecture + config, to refuse resuming a different model. */
  readonly model: { arch: string; config: unknown };
  /** Names and shapes of the flat layout, to refuse a mismatched buffer. */
  readonly layoutKey: string;
  readonly total: number;
  /** Steps completed. */
  readonly step: number;
  readonly seed: number;
  /** Hash of the training spec fields that must match for a resume to be exact. */
  readonly specKey: string;
  readonly savedAt: string;
}

export interface Checkpoint {
  readonly header: CheckpointHeader;
  readonly params: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export function writeCheckpoint(path: string, c: Checkpoint): void {
  const header = Buffer.from(JSON.stringify(c.header), 'utf8');
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'ascii');
  pre.writeUInt32LE(header.length, 8);
  const pad = Buffer.alloc((4 - ((16 + header.length) % 4)) % 4);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const part of [pre, header, pad]) writeSync(fd, part);
    for (const a of [c.params, c.m, c.v]) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is not possible everywhere (Windows); the rename itself is still atomic.
  }
}

export function readCheckpoint(path: string): Checkpoint {
  const buf = readFileSync(path);
  if (buf.subarray(0, 8).toString('ascii') !== MAGIC) throw new Error(`${path}: not an Emma checkpoint`);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString('utf8')) as CheckpointHeader;
  let off = 16 + len;
  off += (4 - (off % 4)) % 4;
  const n = header.total;
  if (buf.length !== off + 12 * n) throw new Error(`${path}: truncated checkpoint (${buf.length} bytes, expected ${off + 12 * n})`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 12 * n));
  return { header, params: all.slice(0, n), m: all.slice(n, 2 * n), v: all.slice(2 * n, 3 * n) };
}
