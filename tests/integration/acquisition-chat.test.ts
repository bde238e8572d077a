// Questions about how an image was acquired are answered from the file's metadata (main/core/chat/acquisition.ts),
// on real instrument files imported through the API, and refused, saying why, where the file does not record it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { askedSetting } from '../../main/core/chat/acquisition.js';
import { askGrounded } from '../../main/core/chat/service.js';
import { hasSharedData, sharedData, tempDir } from '../support/paths.js';

describe('askedSetting', () => {
  it('names the setting a question asks about, in the words instruments use', () => {
    const name = (q: string) => askedSetting(q)?.name ?? null;
    expect(name('At what mag was this recorded?')).toBe('magnification');
    expect(name('What EHT did you use?')).toBe('accelerating voltage');
    expect(name('which kV was set')).toBe('accelerating voltage');
    expect(name('what was the WD')).toBe('working distance');
    expect(name('Was this imaged with the in-lens or the SE2 detector?')).toBe('detector');
    expect(name('Which microscope took this?')).toBe('instrument');
    expect(name('When was this micrograph acquired?')).toBe('acquisition date');
    expect(name('what probe current was used')).toBe('beam current');
    expect(name('pixel dwell time?')).toBe('dwell time');
    expect(name('What will the weather be like tomorrow?')).toBeNull();
    expect(name('what time is it')).toBeNull();
    expect(name('Who operated the microscope?')).toBeNull();
    expect(name('Which user set the working distance?')).toBeNull();
    expect(name('how many particles are there')).toBeNull();
  });
});

describe.skipIf(!hasSharedData)('chat answers acquisition questions from the file', () => {
  const t = tempDir();
  let core: CoreInternals;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    const files: [string, string][] = [
      ['zeiss', join(sharedData, 'sem-tiff', 'sem', '1908248.tif')],
      ['fei', join(sharedData, 'sem-tiff', 'vendors', 'FEI-Helios-Ebeam-8bits.tif')],
      ['png', join(sharedData, 'semi-defects', 'bridges', readdirSync(join(sharedData, 'semi-defects', 'bridges'))[0])],
    ];
    for (const [key, src] of files) {
      const dst = join(t.dir, `${key}${src.slice(src.lastIndexOf('.'))}`);
      copyFileSync(src, dst);
      const report = await core.importNow({ paths: [dst] });
      expect(report.imported, key).toBe(1);
      ids[key] = core.db.prepare(`SELECT id FROM images WHERE path = ?`).pluck().get(dst) as number;
    }
  });
  afterAll(async () => {
    await core.close();
    t.cleanup();
  });

  it('Zeiss TIFF: magnification, voltage, detector from the parsed header; dwell time and probe current quoted from the vendor block', async () => {
    const ask = (question: string) => core.api.askStudent({ imageId: ids.zeiss, question });
    const mag = await ask('What magnification was this image taken at?');
    expect(mag.supported).toBe(true);
    expect(mag.answer).toContain('50,000×');
    expect(mag.confidence).toBe(1);
    expect(mag.grounding?.source).toMatch(/Zeiss metadata/);
    expect(mag.grounding?.intent).toBe('acquisition');
    expect((await ask('What accelerating voltage was used?')).answer).toContain('20 kV');
    expect((await ask('Which detector recorded this?')).answer).toContain('InLens');
    expect((await ask('What was the working distance?')).answer).toContain('2.8 mm');
    const dwell = await ask('How long was the dwell time per pixel?');
    expect(dwell.answer).toContain('100 ns');
    expect(dwell.answer).toContain('DP_DWELL_TIME');
    expect((await ask('What was the beam current?')).answer).toContain('1.5 nA');
    // Calibration and unrelated questions are unchanged.
    expect((await ask('What is the pixel size?')).answer).toMatch(/7\.344 nm/);
    expect((await ask('What will the weather be like tomorrow?')).answer).toBeNull();
  });

  it('FEI TIFF: the beam current is quoted with its key, as the file states it (SI units)', async () => {
    const a = await core.api.askStudent({ imageId: ids.fei, question: 'what probe current was used?' });
    expect(a.answer).toContain('EBeam.BeamCurrent');
    expect(a.answer).toContain('6.25e-012');
  });

  it('a PNG without metadata: the setting is refused, saying the file does not record it, and the teacher is not offered', async () => {
    const a = await askGrounded(core.db, ids.png, 'What accelerating voltage was used for this image?');
    expect(a.refused).toBe(true);
    expect(a.reason).toBe("the file's metadata does not record the accelerating voltage");
    expect(a.offerTeacher).toBe(false);
    expect(a.confidence).toBe(0);
    expect(a.intent).toBe('acquisition');
    const dwell = await askGrounded(core.db, ids.png, 'How long was the dwell time per pixel?');
    expect(dwell.refused).toBe(true);
    expect(dwell.reason).toMatch(/does not record the dwell time/);
  });
});
