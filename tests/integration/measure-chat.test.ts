// The chat answers size and count questions from the particle analysis (main/core/measure), through the same
// API the app uses, on real Zeiss TIFFs, even before any student is trained; class questions then say why not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { hasSharedData, sharedData, tempDir } from '../support/paths.js';

describe.skipIf(!hasSharedData)('chat answers from measurements', () => {
  const t = tempDir();
  let core: CoreInternals;
  let imageId: number;

  beforeAll(async () => {
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    // A copy in the test folder (not the shared data): the last test moves it away.
    copyFileSync(join(sharedData, 'sem-tiff', 'sem', '1908248.tif'), join(t.dir, '1908248.tif'));
    const report = await core.importNow({ paths: [join(t.dir, '1908248.tif')] });
    expect(report.imported).toBe(1);
    imageId = (await core.api.listImages({ limit: 1, offset: 0 })).items[0].id;
  });
  afterAll(async () => {
    await core.close();
    t.cleanup();
  });

  it('a size question gets the measured median ECD in nm with n, method and calibration; a count gets the count', async () => {
    const measured = await core.api.measureImage(imageId);
    const median = measured.particles.ecdNm!.median!;
    const size = await core.api.askStudent({ imageId, question: 'What is the typical diameter of these particles?' });
    expect(size.supported).toBe(true);
    expect(size.answer).toContain(`${Number(median.toPrecision(3))} nm`);
    expect(size.answer).toMatch(new RegExp(`n = ${measured.particles.count} particles`));
    expect(size.answer).toContain(measured.method);
    expect(size.answer).toMatch(/7\.34 nm\/px/);
    expect(size.confidence).toBeNull(); // a measurement, not a probability
    const count = await core.api.askStudent({ imageId, question: 'how many particles can you see?' });
    expect(count.answer).toMatch(new RegExp(`^${measured.particles.count} particles counted`));
    // Naming the frame does not make a count a calibration question.
    const inFrame = await core.api.askStudent({ imageId, question: 'How many grains are there per field of view?' });
    expect(inFrame.answer).toMatch(new RegExp(`^${measured.particles.count} particles counted`));
  });

  it('without a student, a class question or an unrelated one is not answered with a guess', async () => {
    const which = await core.api.askStudent({ imageId, question: 'which class is this image?' });
    expect(which.supported).toBe(false);
    expect(which.answer).toBeNull();
    const weather = await core.api.askStudent({ imageId, question: 'What will the weather be like tomorrow?' });
    expect(weather.answer).toBeNull();
  });

  it('keeps the measurement summary: after a restart a count question needs no second analysis (nor the file)', async () => {
    const before = await core.api.measureImage(imageId);
    const rows = core.db.prepare(`SELECT method_key FROM measurement_summaries`).pluck().all() as string[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/classical\|7\.344$/);
    await core.close();
    renameSync(join(t.dir, '1908248.tif'), join(t.dir, 'moved.tif'));
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    const count = await core.api.askStudent({ imageId, question: 'how many particles can you see?' });
    expect(count.answer).toMatch(new RegExp(`^${before.particles.count} particles counted`));
    // Measuring the image itself (the image view) still needs the file, and says so.
    await expect(core.api.measureImage(imageId)).rejects.toThrow();
  });
});
