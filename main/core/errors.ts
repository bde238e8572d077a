// The one error type of the core. A failure the caller should understand is a CoreError whose code is one of the
// contract's ERROR_CODES; anything else that escapes a method (a bug, SQLite, the file system) is reported as
// 'internal' with its message, never under a code guessed from whatever the object carries.
import { ERROR_CODES, type ErrorCode, type ErrorInfo } from './contract.js';
import { ImageReadError } from './library/errors.js';

export class CoreError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CoreError';
  }
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/** A thrown value as it crosses a boundary. */
export function errorInfo(e: unknown): ErrorInfo {
  const message = e instanceof Error ? e.message : typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : String(e);
  if (e instanceof CoreError) return { code: e.code, message };
  // The decoder's own codes say why for the importer's report; across the boundary the file is missing or unreadable.
  if (e instanceof ImageReadError) return { code: e.code === 'not-found' ? 'not_found' : 'image_unreadable', message };
  return { code: 'internal', message };
}
