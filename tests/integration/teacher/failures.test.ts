// Every way the remote model misbehaves, one test each, against the test double over real HTTP.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TeacherRunResult } from '../../../main/core/teacher/types.js';
import { hasSharedData, sharedData } from '../../support/paths.js';
import { decodeDataUrl, type DoubleBehavior } from '../../support/teacher-double-server.js';
import { makeHarness, pickDistinct, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function run(hh: Harness, request = {}): Promise<TeacherRunResult> {
  const job = await hh.jobs.wait((await hh.teacher.startRun(request)).id);
  expect(job.error).toBeNull();
  return job.result as TeacherRunResult;
}

/** The double misbehaves with `first` on each image's first answer request, then answers validly. */
const firstThen = (first: DoubleBehavior) => ({
  behavior: ({ purpose, attempt }: { purpose: string; attempt: number }) => (purpose === 'answer' && attempt === 1 ? first : undefined),
});

describe.skipIf(!hasSharedData)('teacher failure modes', () => {
  it('honours Retry-After on 429: no request reaches the server before the wait is over', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 3), double: firstThen({ status: 429, retryAfter: '1' }), config: { concurrency: 1 } });
    const r = await run(h);
    expect(r.proposals).toBe(3);
    const reqs = h.double.requests.filter((x) => x.purpose === 'answer');
    expect(reqs.map((x) => x.answered)).toEqual(['429', 'valid', '429', 'valid', '429', 'valid']);
    for (let i = 0; i < reqs.length; i += 2) expect(reqs[i + 1].at - reqs[i].at).toBeGreaterThanOrEqual(1000);
    const outcomes = h.db.prepare(`SELECT outcome, http_status FROM teacher_requests ORDER BY id`).all();
    expect(outcomes.slice(0, 2)).toEqual([
      { outcome: 'rate_limited', http_status: 429 },
      { outcome: 'ok', http_status: 200 },
    ]);
  });

  it('a 429 pauses every worker, not just the one that got it', async () => {
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 4),
      double: { latencyMs: 30, behavior: ({ index }) => (index === 0 ? { status: 429, retryAfterMs: 700 } : undefined) },
      config: { concurrency: 4 },
    });
    const r = await run(h);
    expect(r.proposals).toBe(4);
    // Judged from the client's own request log, so a loaded machine's late arrivals at the double don't count:
    // requests started before the 429 came back may complete; none starts inside the Retry-After window.
    const rows = h.db.prepare(`SELECT started_at, latency_ms, http_status FROM teacher_requests WHERE purpose = 'answer' ORDER BY id`).all() as {
      started_at: string;
      latency_ms: number;
      http_status: number | null;
    }[];
    const limited = rows.find((x) => x.http_status === 429)!;
    const gateFrom = Date.parse(limited.started_at) + limited.latency_ms;
    const startedAt = rows.filter((x) => x !== limited).map((x) => Date.parse(x.started_at));
    expect(startedAt.filter((t) => t > gateFrom + 5 && t < gateFrom + 700 - 5)).toEqual([]);
    // The retry itself came after the window (the check above is not vacuous).
    expect(startedAt.some((t) => t >= gateFrom + 695)).toBe(true);
  });

  it('retries 500 with backoff, then flags the image if the server keeps failing', async () => {
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 2),
      double: {
        behavior: ({ purpose, image, attempt }) => {
          if (purpose !== 'answer') return undefined;
          return image && attempt <= 2 ? { status: 500 } : undefined;
        },
      },
      config: { concurrency: 1, maxAttempts: 3 },
    });
    let r = await run(h);
    expect(r.proposals).toBe(2);
    expect(h.db.prepare(`SELECT count(*) AS n FROM teacher_requests WHERE outcome = 'server'`).get()).toEqual({ n: 4 });
    // Always 500: flagged with the reason after maxAttempts, nothing stored as a label.
    await h.teacher.updateConfig({ qaCount: 3 }); // a new configuration, so the images are asked again
    h.double.options.behavior = ({ purpose }) => (purpose === 'answer' ? { status: 503, message: 'overloaded' } : undefined);
    r = await run(h);
    expect(r.proposals).toBe(0);
    expect(r.flagged).toHaveLength(2);
    expect(r.flagged[0].reason).toMatch(/request failed after 3 attempt\(s\): HTTP 503/);
    expect(r.requests).toBe(6);
    // A failed (transport) outcome is retried by the next run of the same configuration.
    h.double.options.behavior = undefined;
    r = await run(h);
    expect(r.proposals).toBe(2);
    expect(r.skipped).toBe(0);
  });

  it('retries dropped connections, bodies cut mid-way, and answers slower than the timeout', async () => {
    const plan: DoubleBehavior[] = ['drop', 'drop-mid-body', { slowMs: 1500 }];
    let n = 0;
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 3),
      double: { behavior: ({ purpose, attempt }) => (purpose === 'answer' && attempt === 1 ? plan[n++ % 3] : undefined) },
      config: { concurrency: 1, requestTimeoutMs: 500 },
    });
    const r = await run(h);
    expect(r.proposals).toBe(3);
    const outcomes = (h.db.prepare(`SELECT outcome FROM teacher_requests WHERE outcome != 'ok' ORDER BY id`).all() as { outcome: string }[]).map(
      (x) => x.outcome,
    );
    expect(outcomes).toEqual(['network', 'network', 'timeout']);
  });

  it('repairs an invalid answer once; a second invalid answer is flagged with the reason, never a label', async () => {
    let images = 0;
    const fate = new Map<string, number>();
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 3),
      double: {
        behavior: ({ purpose, image }) => {
          if (!image) return undefined;
          if (!fate.has(image.key)) fate.set(image.key, images++);
          const i = fate.get(image.key)!;
          if (i === 0) return purpose === 'answer' ? 'invalid-json' : 'valid'; // repaired
          if (i === 1) return 'schema-violation'; // flagged
          return undefined;
        },
      },
      config: { concurrency: 1 },
    });
    const r = await run(h);
    expect(r.proposals).toBe(2);
    expect(r.flagged).toHaveLength(1);
    expect(r.flagged[0].reason).toMatch(/not in the taxonomy/);
    expect(r.flagged[0].reason).toMatch(/after one repair/);
    const repair = h.double.requests.find((x) => x.purpose === 'repair')!;
    const last = repair.body!.messages!.at(-1)!;
    expect(String(last.content)).toMatch(/not usable: answer is not JSON/);
    expect(h.db.prepare(`SELECT count(*) AS n FROM labels WHERE image_id = ? AND source = 'teacher'`).get(r.flagged[0].imageId)).toEqual({ n: 0 });
    const out = h.teacher.listOutputs({ imageId: r.flagged[0].imageId, offset: 0, limit: 10 });
    expect(out[0]).toMatchObject({ status: 'invalid', answer: null, labelId: null });
    // The raw answers are kept for inspection.
    const raw = h.db.prepare(`SELECT raw_response FROM teacher_requests WHERE image_id = ? AND purpose = 'repair'`).get(r.flagged[0].imageId) as {
      raw_response: string;
    };
    expect(raw.raw_response).toMatch(/not-a-class/);
  });

  for (const mode of ['reject', 'reject-json-schema', 'ignore'] as const) {
    it(`works with a server that ${mode === 'ignore' ? 'ignores' : mode === 'reject' ? 'rejects' : 'rejects json_schema in'} response_format`, async () => {
      h = await makeHarness({ files: await pickDistinct('semi-defects', 4), double: { responseFormat: mode }, config: { concurrency: 2 } });
      const r = await run(h);
      expect(r.proposals).toBe(4);
      expect(r.flagged).toEqual([]);
      expect(r.responseFormat).toBe(mode === 'reject' ? 'text' : mode === 'reject-json-schema' ? 'json_object' : 'json_schema');
      const caps = (await h.teacher.getSettings()).capabilities;
      if (mode !== 'ignore') expect(caps?.jsonSchema).toBe(false);
      if (mode === 'reject') expect(caps?.jsonObject).toBe(false);
      // The next run starts with the format that works: no more rejected requests.
      await h.teacher.updateConfig({ qaCount: 2 });
      const before = h.double.requests.filter((x) => x.answered.startsWith('400')).length;
      await run(h);
      expect(h.double.requests.filter((x) => x.answered.startsWith('400')).length).toBe(before);
    });
  }

  it('test connection probes and stores what the endpoint supports', async () => {
    h = await makeHarness({ files: await pickDistinct('semi-defects', 1), double: { responseFormat: 'reject-json-schema' } });
    const caps = await h.teacher.testConnection();
    expect(caps).toMatchObject({ reachable: true, vision: true, jsonSchema: false, jsonObject: true, streaming: true });
    expect(caps.notes.join('\n')).toMatch(/seen correctly/);
    expect((await h.teacher.getSettings()).capabilities).toEqual(caps);
    h.double.options.vision = false;
    const blind = await h.teacher.testConnection();
    expect(blind.vision).toBe(false);
    expect(h.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'teacher.test'`).get()).toEqual({ n: 2 });
  });

  it.skipIf(!hasSharedData)('sends the image without its data bar, downscaled, with the calibration of the image as sent', async () => {
    h = await makeHarness({ files: [join(sharedData, 'sem-tiff', 'sem', '1908248.tif')], config: { maxImageSide: 512 } });
    const img = h.db.prepare(`SELECT width, height, databar_y, pixel_size_nm FROM images`).get() as {
      width: number;
      height: number;
      databar_y: number;
      pixel_size_nm: number;
    };
    expect(img.databar_y).toBeGreaterThan(600);
    const r = await run(h);
    expect(r.proposals).toBe(1);
    const req = h.double.requests.find((x) => x.purpose === 'answer')!;
    const sent = await decodeDataUrl(req.imageUrls[0]);
    expect(sent.format).toBe('jpeg');
    expect(sent.width).toBe(512);
    expect(sent.height).toBe(Math.round((img.databar_y * 512) / img.width)); // data bar rows are gone
    const prompt = JSON.stringify(req.body);
    expect(prompt).toContain(`one pixel of the attached image is ${Number((img.pixel_size_nm * 2).toPrecision(4))} nm`);
    expect(prompt).not.toMatch(/1908248|\.tif|InLens|Zeiss/i); // no file name; no metadata unless allowed
    const size = h.db.prepare(`SELECT answer, value_nm FROM annotations WHERE qa_kind = 'size'`).get() as { answer: string; value_nm: number };
    expect(size.value_nm).toBeGreaterThan(0);
    expect(size.answer).toMatch(/nm/);

    // Full size: the data bar is still cropped.
    await h.teacher.updateConfig({ maxImageSide: 1024, sendMetadata: true });
    h.double.reset();
    await run(h);
    const full = await decodeDataUrl(h.double.requests[0].imageUrls[0]);
    expect(full).toMatchObject({ width: img.width, height: img.databar_y });
    expect(JSON.stringify(h.double.requests[0].body)).toMatch(/detector: InLens/);
  });

  it('flags a size answer that ignores the calibration, and keeps the rest of that answer', async () => {
    h = await makeHarness({ files: [join(sharedData, 'sem-tiff', 'sem', '1908248.tif')], double: { behavior: () => 'ignore-calibration' } });
    const r = await run(h);
    expect(r.flagged).toHaveLength(0);
    expect(r.partial).toHaveLength(1);
    expect(r.partial![0].reason).toMatch(/flagged item 3 \(size\): size answer ignores the calibration/);
    expect(r.proposals).toBe(1);
    const kinds = h.db.prepare(`SELECT kind, qa_kind FROM annotations WHERE source = 'teacher' ORDER BY id`).all() as {
      kind: string;
      qa_kind: string | null;
    }[];
    expect(kinds.map((k) => k.qa_kind ?? k.kind)).toEqual(['caption', 'identification', 'morphology', 'defects', 'process']);
    expect(h.db.prepare(`SELECT count(*) FROM labels WHERE source = 'teacher'`).pluck().get()).toBe(1);
    const out = h.db.prepare(`SELECT status, reason, parsed_json FROM teacher_outputs`).get() as { status: string; reason: string; parsed_json: string };
    expect(out.status).toBe('valid');
    expect(out.reason).toMatch(/ignores the calibration/);
    expect(JSON.parse(out.parsed_json).invalidQa).toEqual([expect.objectContaining({ index: 2, kind: 'size', question: 'How large are the features?' })]);
  });

  it('one malformed Q&A item flags just that item: the class proposal, caption and other items are kept (also after the repair)', async () => {
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 2),
      double: { behavior: ({ purpose }) => (purpose === 'answer' || purpose === 'repair' ? 'bad-qa-item' : undefined) },
    });
    const r = await run(h);
    expect(r.flagged).toEqual([]);
    expect(r.proposals).toBe(2);
    expect(r.partial).toHaveLength(2);
    for (const p of r.partial!) expect(p.reason).toMatch(/kept the class, caption and 4 valid Q&A item\(s\); flagged item 5/);
    // One repair was tried per image (the answer as a whole was not valid), then its valid parts were kept.
    expect(h.double.requests.filter((x) => x.purpose === 'repair')).toHaveLength(2);
    for (const id of h.imageIds) {
      expect(h.db.prepare(`SELECT count(*) FROM labels WHERE image_id = ? AND source = 'teacher' AND status = 'proposed'`).pluck().get(id)).toBe(1);
      const rows = h.db.prepare(`SELECT kind, qa_kind, question FROM annotations WHERE image_id = ? AND source = 'teacher' ORDER BY id`).all(id) as {
        kind: string;
        qa_kind: string | null;
        question: string | null;
      }[];
      expect(rows.map((x) => x.qa_kind ?? x.kind)).toEqual(['caption', 'identification', 'morphology', 'size', 'defects']);
      expect(rows.every((x) => x.kind === 'caption' || (x.question ?? '').length > 0)).toBe(true);
      const out = h.teacher.listOutputs({ imageId: id, offset: 0, limit: 5 })[0];
      expect(out).toMatchObject({ status: 'valid', labelId: expect.any(Number) });
      expect(out.answer?.caption).toMatch(/grey micrograph/);
      expect((out.answer as { invalidQa?: { index: number }[] }).invalidQa).toEqual([expect.objectContaining({ index: 4 })]);
    }
  });

  it('stops the run with a clear error when the key is refused, and when the model does not take images', async () => {
    h = await makeHarness({
      files: await pickDistinct('semi-defects', 5),
      double: { behavior: () => ({ status: 401, message: 'Incorrect API key provided' }) },
    });
    let job = await h.jobs.wait((await h.teacher.startRun({})).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/refused the API key/);
    // Only the requests already in flight (concurrency 4) were sent; the run stopped after the first refusal.
    expect(h.double.requests.length).toBeLessThanOrEqual(4);
    h.double.options.behavior = undefined;
    h.double.options.vision = false;
    job = await h.jobs.wait((await h.teacher.startRun({})).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/rejects every request/);
  });
});
