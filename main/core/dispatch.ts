import type { EmmaApi, EmmaMethod, Envelope } from './contract.js';
import { EMMA_METHODS } from './contract.js';
import { validateArguments } from './validation.js';
import { errorInfo } from './errors.js';

export function isEmmaMethod(name: unknown): name is EmmaMethod {
  return typeof name === 'string' && (EMMA_METHODS as readonly string[]).includes(name);
}

/** Calls one API method with untrusted arguments and returns an envelope; never throws. */
export async function dispatch(api: EmmaApi, method: unknown, args: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isEmmaMethod(method)) return { ok: false, error: { code: 'unknown_method', message: `Unknown method: ${shortName(method)}` } };
    const valid = validateArguments(method, args);
    const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(api, valid);
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: errorInfo(e) };
  }
}

/** An unknown method name is the caller's text: echo a bounded, printable prefix only. */
function shortName(method: unknown): string {
  const text = String(method).replace(/[^\x20-\x7e]/g, '?');
  return text.length > 64 ? `${text.slice(0, 64)}… (${text.length} characters)` : text;
}
