// Typed errors (issue 15, point 5): one CoreError whose code is from the contract's list; dispatch reports exactly
// that code and never one guessed from an object's `code` property; the UI words every code.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type EmmaApi } from '../../../main/core/contract.js';
import { dispatch } from '../../../main/core/dispatch.js';
import { CoreError, errorInfo } from '../../../main/core/errors.js';
import { ImageNotFoundError } from '../../../main/core/library/queries.js';
import { JobNotFoundError } from '../../../main/core/jobs/job-manager.js';
import { ReviewError } from '../../../main/core/review/state.js';
import { EgressDisabledError } from '../../../main/core/teacher/service.js';
import { TeacherCallError } from '../../../main/core/teacher/client.js';
import { ImageReadError } from '../../../main/core/library/errors.js';
import { ApiError } from '../../../renderer/src/api/index.js';
import { errorLead, messageOf } from '../../../renderer/src/lib/errors.js';

function apiThrowing(e: unknown): EmmaApi {
  return {
    getImage: async () => {
      throw e;
    },
  } as unknown as EmmaApi;
}

describe('CoreError across the boundary', () => {
  it('dispatch reports the CoreError code and message of each error class', async () => {
    const cases: [unknown, string][] = [
      [new ImageNotFoundError(7), 'not_found'],
      [new JobNotFoundError(7), 'not_found'],
      [new ReviewError('undo_order', 'undo the newer one first'), 'undo_order'],
      [new EgressDisabledError(), 'egress_disabled'],
      [new TeacherCallError('auth', 'bad key', 401, null, null), 'teacher_auth'],
      [new TeacherCallError('timeout', 'no answer', null, null, null), 'teacher_unreachable'],
      [new ImageReadError('/x.tif', 'corrupt', 'truncated strip'), 'image_unreadable'],
      [new ImageReadError('/x.tif', 'not-found', 'no such file'), 'not_found'],
    ];
    for (const [error, code] of cases) {
      const envelope = await dispatch(apiThrowing(error), 'getImage', [1]);
      expect(envelope).toEqual({ ok: false, error: { code, message: (error as Error).message } });
      expect(ERROR_CODES).toContain(code);
    }
  });

  it('does not guess a code from what a foreign error carries', async () => {
    // An object that merely has a `code` (even one in the list) is not a CoreError: it is an internal failure.
    const lookalike = Object.assign(new Error('looks like a code'), { code: 'not_found' });
    expect(await dispatch(apiThrowing(lookalike), 'getImage', [1])).toEqual({ ok: false, error: { code: 'internal', message: 'looks like a code' } });
    // A real SQLite error (its code is SQLITE_…) and a thrown string.
    const db = new Database(':memory:');
    let sqlite: unknown;
    try {
      db.prepare('SELECT * FROM no_such_table').all();
    } catch (e) {
      sqlite = e;
    }
    db.close();
    expect((sqlite as { code?: string }).code).toMatch(/^SQLITE_/);
    expect(errorInfo(sqlite).code).toBe('internal');
    expect(errorInfo('plain text')).toEqual({ code: 'internal', message: 'plain text' });
  });

  it('invalid arguments and unknown methods have their own codes', async () => {
    expect(await dispatch(apiThrowing(null), 'getImage', ['x'])).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(await dispatch(apiThrowing(null), 'noSuchMethod', [])).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  });
});

describe('the UI words errors by code', () => {
  it('has an operator-friendly lead for every code, distinct per code', () => {
    const leads = ERROR_CODES.map((c) => errorLead(c));
    for (const lead of leads) expect(lead.length).toBeGreaterThan(3);
    expect(new Set(leads).size).toBe(leads.length);
  });

  it("shows the lead for the code, then the core's specifics", () => {
    expect(messageOf(new ApiError('not_found', 'No image with id 7.'))).toBe(`${errorLead('not_found')}: No image with id 7.`);
    expect(messageOf(new ApiError('core_stopped', ''))).toBe(errorLead('core_stopped'));
    // Failures raised in the UI itself keep their own words.
    expect(messageOf(new Error('Drop a TIFF, PNG or JPEG micrograph.'))).toBe('Drop a TIFF, PNG or JPEG micrograph.');
    expect(new CoreError('conflict', 'x').code).toBe('conflict');
  });
});
