// A worker of the inference pool (started by inference-pool.ts through spawnWorker): the heavy per-image work of
// a chat answer and a measurement — decode, the student's texture stem and head (ONNX Runtime, which blocks its
// thread), particle analysis (JavaScript) — so the core's own thread stays free for SQLite and the quick calls.
// It opens no database: the core sends paths and model folders and stores what comes back.
import { parentPort } from 'node:worker_threads';
import { openSession, workerPayload, type OpenSession } from '../../../native-models/index.js';
import { loadStudent, type LoadedStudent } from '../../../native-models/index.js';
import { StemExtractor } from '../../../native-models/index.js';
import { measureImage } from '../measure/index.js';
import { readSegmenter } from '../measure/segmenter-store.js';
import type { PixelModel } from '../measure/pixel-model.js';
import { readForStudent } from '../student/service.js';
import { factsOfFeatures } from '../student/image-facts.js';
import { errorInfo } from '../errors.js';
import { fitIntents } from '../chat/fit.js';
import type { InferenceReply, InferenceRequest, InferenceWorkerInit } from './inference-pool.js';

const init = workerPayload<InferenceWorkerInit>();
const port = parentPort!;
const reply = (r: InferenceReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);

// Models stay loaded between requests, by folder / file (a new version has a new folder).
const students = new Map<string, { student: LoadedStudent; extractor: StemExtractor; head: Promise<OpenSession> }>();
const segmenters = new Map<string, Promise<PixelModel>>();

function studentOf(dir: string) {
  let s = students.get(dir);
  if (!s) {
    const student = loadStudent(dir);
    s = { student, extractor: new StemExtractor(student.stem, { threads: init.threads }), head: openSession(student.headOnnx, { threads: init.threads }) };
    s.head.catch(() => students.delete(dir));
    // One version in use at a time; an older one is released rather than kept for ever.
    for (const [k, old] of students) {
      students.delete(k);
      void old.extractor.close();
      void old.head.then(
        (h) => h.session.release(),
        () => undefined,
      );
    }
    students.set(dir, s);
  }
  return s;
}

function segmenterOf(path: string): Promise<PixelModel> {
  let seg = segmenters.get(path);
  if (!seg) {
    seg = readSegmenter(path);
    segmenters.clear();
    segmenters.set(path, seg);
    seg.catch(() => segmenters.delete(path));
  }
  return seg;
}

async function handle(req: InferenceRequest): Promise<void> {
  try {
    if (req.kind === 'warm') {
      if (req.versionDir) {
        const { student, extractor, head } = studentOf(req.versionDir);
        await head;
        // One image through decode, stem and head: the stem session for its size is built now, not on a question.
        if (req.sample) await extractor.extract(await readForStudent(req.sample.path, req.sample.dataBar, student.stem.config.maxSide));
      }
      if (req.segmenterPath) await segmenterOf(req.segmenterPath);
      reply({ id: req.id, ok: true, kind: 'warm' });
    } else if (req.kind === 'facts') {
      const { student, extractor, head } = studentOf(req.versionDir);
      const grey = await readForStudent(req.path, req.dataBar, student.stem.config.maxSide);
      const feat = await extractor.extract(grey);
      const [facts] = await factsOfFeatures(student, feat, 1, { threads: init.threads }, await head, req.nearest);
      reply({ id: req.id, ok: true, kind: 'facts', facts }, [facts.probs.buffer as ArrayBuffer]);
    } else if (req.kind === 'intents') {
      const model = fitIntents(req.classes, req.reviewed, req.definitions, req.paraphrases).toData();
      reply({ id: req.id, ok: true, kind: 'intents', model });
    } else {
      const seg = req.segmenterPath ? segmenterOf(req.segmenterPath) : undefined;
      const { result, labels } = await measureImage(req.path, { segmenter: seg ? await seg : null, modelVersion: req.modelVersion, lines: req.lines });
      if (req.withLabels) reply({ id: req.id, ok: true, kind: 'measure', result, labels }, [labels.buffer as ArrayBuffer]);
      else reply({ id: req.id, ok: true, kind: 'measure', result });
    }
  } catch (e) {
    // The error's code crosses with it (an unreadable file stays 'image_unreadable', not 'internal').
    const info = errorInfo(e);
    reply({ id: req.id, ok: false, message: info.message, code: info.code });
  }
}

port.on('message', (req: InferenceRequest) => void handle(req));
reply({ id: -1, ok: true, kind: 'ready' });
