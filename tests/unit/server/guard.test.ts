// Lab-server mode's rewrite of the methods the command line added (issue 15, point 2): every path they take is
// confined to the data folders, the mask importer is the signed-in user, and no call may point the teacher at
// another endpoint for one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labArguments } from '../../../main/server/auth/guard.js';
import { PathConfinement } from '../../../main/server/auth/confine.js';
import type { User } from '../../../main/server/auth/users.js';
import { tempDir } from '../../support/paths.js';

const t = tempDir('emma-guard-');
const root = join(t.dir, 'data');
mkdirSync(join(root, 'eval', 'a'), { recursive: true });
writeFileSync(join(root, 'x.png'), 'not really');
const paths = new PathConfinement([root]);
const user: User = { id: 1, name: 'grace', role: 'lead', disabled: false, createdAt: '', lastLoginAt: null };
afterAll(() => t.cleanup());

describe('labArguments for the CLI-era methods', () => {
  it('confines the files of startClassifyFiles, startMeasureFiles (and maskOut), startEvaluation and askStudentOnce', async () => {
    const inside = join(root, 'x.png');
    expect(await labArguments('startClassifyFiles', [{ paths: [inside] }], user, paths)).toEqual([{ paths: [inside] }]);
    await expect(labArguments('startClassifyFiles', [{ paths: ['/etc/passwd'] }], user, paths)).rejects.toMatchObject({ code: 'outside_data_folders' });
    await expect(labArguments('startMeasureFiles', [{ paths: ['/etc/passwd'] }], user, paths)).rejects.toMatchObject({ code: 'outside_data_folders' });
    await expect(labArguments('startMeasureFiles', [{ paths: [inside], maskOut: '/tmp/elsewhere' }], user, paths)).rejects.toMatchObject({
      code: 'outside_data_folders',
    });
    const [m] = (await labArguments('startMeasureFiles', [{ paths: [inside], maskOut: join(root, 'masks') }], user, paths)) as [{ maskOut: string }];
    expect(m.maskOut).toBe(join(root, 'masks'));
    expect(await labArguments('startEvaluation', [join(root, 'eval')], user, paths)).toEqual([join(root, 'eval')]);
    await expect(labArguments('startEvaluation', ['/etc'], user, paths)).rejects.toMatchObject({ code: 'outside_data_folders' });
    await expect(labArguments('askStudentOnce', [{ image: '/etc/passwd', question: 'what is it?' }], user, paths)).rejects.toMatchObject({
      code: 'outside_data_folders',
    });
    expect(await labArguments('askStudentOnce', [{ image: 7, question: 'what is it?' }], user, paths)).toEqual([{ image: 7, question: 'what is it?' }]);
  });

  it('names the signed-in user as the importer of masks, and confines the masks folder (also as a job)', async () => {
    expect(await labArguments('importMasks', [root, 'cli:someone'], user, paths)).toEqual([root, 'grace']);
    expect(await labArguments('startMaskImport', [root, 'cli:someone'], user, paths)).toEqual([root, 'grace']);
    await expect(labArguments('startMaskImport', ['/etc'], user, paths)).rejects.toMatchObject({ code: 'outside_data_folders' });
  });

  it('drops per-call teacher overrides (another endpoint would receive the lab key)', async () => {
    expect(await labArguments('testTeacherConnection', [{ baseUrl: 'https://evil.example/v1' }], user, paths)).toEqual([]);
    expect(await labArguments('startTeacherRun', [{ limit: 2 }, { baseUrl: 'https://evil.example/v1' }], user, paths)).toEqual([{ limit: 2 }]);
  });
});

describe('validation of the CLI-era methods (what crosses the worker and HTTP boundaries)', () => {
  it('accepts what the commands send and refuses malformed calls', async () => {
    const { validateArguments } = await import('../../../main/core/validation.js');
    expect(validateArguments('startClassifyFiles', [{ paths: ['/a.png'] }])).toEqual([{ paths: ['/a.png'] }]);
    expect(() => validateArguments('startClassifyFiles', [{ paths: [] }])).toThrow();
    expect(validateArguments('startEvaluation', ['/eval'])).toEqual(['/eval']);
    expect(validateArguments('askStudentOnce', [{ image: 3, question: 'q' }])).toEqual([{ image: 3, question: 'q' }]);
    expect(validateArguments('askStudentOnce', [{ image: '/a.png', question: 'q' }])).toEqual([{ image: '/a.png', question: 'q' }]);
    expect(() => validateArguments('askStudentOnce', [{ image: -1, question: 'q' }])).toThrow();
    expect(validateArguments('startMeasureFiles', [{ paths: ['/a.png'], maskOut: '/m', classical: true }])).toEqual([
      { paths: ['/a.png'], maskOut: '/m', classical: true },
    ]);
    expect(validateArguments('importMasks', ['/masks'])).toEqual(['/masks']);
    expect(validateArguments('importMasks', ['/masks', 'cli:grace'])).toEqual(['/masks', 'cli:grace']);
    expect(validateArguments('testTeacherConnection', [])).toEqual([]);
    expect(validateArguments('testTeacherConnection', [{ model: 'gpt-4o' }])).toEqual([{ model: 'gpt-4o' }]);
    expect(validateArguments('startTeacherRun', [{ limit: 2 }, { model: 'gpt-4o' }])).toEqual([{ limit: 2 }, { model: 'gpt-4o' }]);
  });
});
