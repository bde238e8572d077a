// One typed error for everything the image layer refuses, so the importer can report
// `{ path, error: reason }` and skip the file without string-matching library messages.

export type ImageErrorCode =
  | 'not-found' // no such file
  | 'unreadable' // exists but cannot be opened (permissions, a directory, I/O error)
  | 'unsupported' // not an image format we (or libvips) understand
  | 'corrupt' // recognised format, but truncated or structurally broken
  | 'too-large'; // refused by the pixel limit (decompression-bomb guard)

export class ImageReadError extends Error {
  override readonly name = 'ImageReadError';
  constructor(
    readonly path: string,
    readonly code: ImageErrorCode,
    /** Human-readable, one line, without the path (the importer reports path and reason apart). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    // message is the reason alone: callers put the path next to it (`{ path, error }`).
    super(reason, options);
  }
}

export function isImageReadError(e: unknown): e is ImageReadError {
  return e instanceof ImageReadError;
}
