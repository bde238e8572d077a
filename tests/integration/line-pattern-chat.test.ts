// A real line/space pattern (semi-defects, 224x224 PNG without calibration): the chat's count question gets the
// lines' pitch and width from line metrology, not "0 particles counted".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createCore, type CoreInternals } from '../../main/core/api.js';
import { isLinePattern } from '../../renderer/src/viewer/ParticleLayer.js';
import { hasSharedData, sharedData, tempDir } from '../support/paths.js';

describe.skipIf(!hasSharedData)('chat on a line pattern', () => {
  const t = tempDir();
  let core: CoreInternals;
  let imageId: number;

  beforeAll(async () => {
    core = createCore({ dbPath: join(t.dir, 'emma.sqlite'), mode: 'test' });
    await core.importNow({ paths: [join(sharedData, 'semi-defects', 'open', 'open_0000__3.png')] });
    imageId = (await core.api.listImages({ limit: 1, offset: 0 })).items[0].id;
  });
  afterAll(async () => {
    await core.close();
    t.cleanup();
  });

  it('answers how many particles with the line measurement', async () => {
    const r = await core.api.measureImage(imageId);
    expect(r.lines).not.toBeNull();
    expect(r.particles.count).toBe(0);
    expect(isLinePattern(r)).toBe(true);
    const count = await core.api.askStudent({ imageId, question: 'how many particles are there?' });
    expect(count.answer).not.toMatch(/0 particles counted/);
    expect(count.answer).toMatch(/line\/space pattern/);
    expect(count.answer).toContain(`pitch ${Number(r.lines!.pitch.toPrecision(3))} px`);
    expect(count.answer).toMatch(/uncalibrated/);
  });

  it('answers the line-edge roughness from line metrology, and refuses a quantity no measurement gives', async () => {
    const r = await core.api.measureImage(imageId);
    const rough = await core.api.askStudent({ imageId, question: 'How rough are the line edges?' });
    if (r.lines!.ler3sigma === null) expect(rough.answer).toMatch(/can't measure/);
    else
      expect(rough.answer).toMatch(new RegExp(`^Line-edge roughness \\(3σ\\) ${Number(r.lines!.ler3sigma.toPrecision(3))} px.*; line metrology, uncalibrated`));
    const composition = await core.api.askStudent({ imageId, question: 'What is the chemical composition of the lines?' });
    expect(composition.answer).toMatch(/^I can't answer that from this image: it asks for a quantity Emma does not measure/);
    expect(composition.grounding?.refused).toBe(true);
    expect(composition.confidence).toBe(0);
  });
});
