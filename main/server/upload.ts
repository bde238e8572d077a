// POST /api/upload?name=...: one file's raw bytes, streamed to the uploads folder (never held in memory, never
// base64). Answers an upload id for importUploads. A body that fails, is cut off or grows past the limit
// leaves nothing behind.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newUpload } from '../core/library/uploads.js';

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadResult {
  uploadId: string;
  name: string;
  bytes: number;
}

export async function receiveUpload(req: IncomingMessage, dataDir: string, name: string, limit: number): Promise<UploadResult> {
  if (!name || name.length > 1024) throw new UploadError(400, 'POST /api/upload needs ?name=<file name> (at most 1024 characters).');
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new UploadError(413, `The file is ${declared} bytes; uploads are limited to ${limit} bytes.`);
  }
  const target = newUpload(dataDir, name);
  const part = `${target.path}.part`;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) done(new UploadError(413, `The upload grew past the limit of ${limit} bytes; nothing was kept.`));
      else done(null, chunk);
    },
  });
  await mkdir(target.dir, { recursive: true });
  try {
    // A client that goes away mid-body ends the request without 'end': pipeline rejects with a premature close.
    await pipeline(req, counter, createWriteStream(part, { flags: 'wx' }));
    if (!req.complete) throw new UploadError(400, 'The upload was cut off; nothing was kept.');
    await rename(part, target.path);
  } catch (e) {
    await rm(target.dir, { recursive: true, force: true });
    if (e instanceof UploadError) throw e;
    throw new UploadError(400, `The upload failed: ${(e as Error).message}; nothing was kept.`);
  }
  return { uploadId: target.id, name: target.path.slice(target.dir.length + 1), bytes };
}
