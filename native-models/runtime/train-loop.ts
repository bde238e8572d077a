// The training loop proper. It runs inside a worker (runtime/trainer.ts) in the app, and in-thread in the
// benchmark. Each step feeds the previous step's output tensors straight back as inputs (no JS copies).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createModel, type ModelRef } from '../models/registry.js';
import { writeModel } from '../onnx/writer.js';
import { DEFAULT_ADAMW, type AdamWConfig } from '../optim/adamw.js';
import { initParams, type ParamLayout } from '../optim/flat.js';
import { buildTrainStep, TRAIN_IO } from '../train/graphs.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { fillBatch, type Augment, type ImageSet } from './data.js';
import { lrAt, type Schedule } from './schedule.js';
import { openSession, type ProviderFailure, type Provider, type SessionConfig } from './session.js';

export interface TrainSpec {
  readonly model: ModelRef;
  readonly data: ImageSet;
  readonly batch: number;
  /** Total optimizer steps of the whole run (a resumed run continues towards the same total). */
  readonly steps: number;
  readonly schedule: Schedule;
  readonly seed: number;
  readonly optimizer?: Partial<AdamWConfig>;
  readonly augment?: Augment;
  readonly checkpoint?: { readonly path: string; readonly every: number };
  /** Continue from `checkpoint.path` when it exists. */
  readonly resume?: boolean;
  readonly session?: SessionConfig;
  /** Start from these weights (e.g. an imported model) instead of a fresh init. */
  readonly initialParams?: Float32Array;
  /** Stop (as if cancelled, with a checkpoint) once this many steps are done; for tests and time-boxing. */
  readonly stopAfterStep?: number;
}

export interface StepReport {
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  readonly accuracy: number | null;
  readonly ms: number;
}

export interface TrainResult {
  readonly status: 'completed' | 'cancelled';
  /** Steps completed. */
  readonly step: number;
  readonly params: Float32Array;
  readonly provider: Provider;
  readonly fallbacks: readonly ProviderFailure[];
  readonly resumedFrom: number | null;
  readonly losses: readonly number[];
}

export interface LoopHooks {
  onReady?(info: { provider: Provider; fallbacks: readonly ProviderFailure[]; params: number; startStep: number }): void;
  onStep?(r: StepReport): void;
  onCheckpoint?(step: number, path: string): void;
  isCancelled?(): boolean;
}

export function specKey(s: TrainSpec): string {
  const key = JSON.stringify([s.model, s.batch, s.steps, s.schedule, s.seed, s.optimizer ?? null, s.augment ?? null]);
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function layoutKey(l: ParamLayout): string {
  return createHash('sha256')
    .update(l.entries.map((e) => `${e.name}:${e.shape.join('x')}`).join(';'))
    .digest('hex')
    .slice(0, 16);
}

const scalar = (x: number) => new ort.Tensor('float32', new Float32Array([x]), []);
const flat = (t: ort.Tensor) => t.data as Float32Array;

export async function runTraining(spec: TrainSpec, hooks: LoopHooks = {}): Promise<TrainResult> {
  const model = createModel(spec.model);
  const opt = { ...DEFAULT_ADAMW, ...spec.optimizer };
  const { g, layout } = buildTrainStep(model, spec.batch, opt);
  const open = await openSession(writeModel(g, { contrib: true }), spec.session);
  const session = open.session;
  try {
    const P = layout.total;
    const lkey = layoutKey(layout);
    const skey = specKey(spec);
    let start = 0;
    let resumedFrom: number | null = null;
    let params: Float32Array;
    let m: Float32Array = new Float32Array(P);
    let v: Float32Array = new Float32Array(P);
    const ck = spec.checkpoint;
    if (spec.resume && ck && existsSync(ck.path)) {
      const c = readCheckpoint(ck.path);
      if (c.header.layoutKey !== lkey) throw new Error('checkpoint belongs to a different model layout');
      if (c.header.specKey !== skey) throw new Error('checkpoint was written by a different training configuration');
      ({ params, m, v } = c);
      start = c.header.step;
      resumedFrom = start;
    } else {
      params = spec.initialParams ? spec.initialParams.slice() : initParams(layout, spec.seed);
      if (params.length !== P) throw new Error(`initial parameters: expected ${P}, got ${params.length}`);
    }
    hooks.onReady?.({ provider: open.provider, fallbacks: open.fallbacks, params: P, startStep: start });

    const feat = model.inputs(spec.batch).features[0];
    const img = new Float32Array(feat.shape.reduce((a, b) => a * b, 1));
    const lab = new BigInt64Array(spec.batch);
    const imgT = new ort.Tensor('float32', img, [...feat.shape]);
    const labT = new ort.Tensor('int64', lab, [spec.batch]);
    let pT: ort.Tensor = new ort.Tensor('float32', params, [P]);
    let mT: ort.Tensor = new ort.Tensor('float32', m, [P]);
    let vT: ort.Tensor = new ort.Tensor('float32', v, [P]);
    const losses: number[] = [];
    const save = (done: number) => {
      if (!ck) return;
      const c: Checkpoint = {
        header: { model: spec.model, layoutKey: lkey, total: P, step: done, seed: spec.seed, specKey: skey, savedAt: new Date().toISOString() },
        params: flat(pT),
        m: flat(mT),
        v: flat(vT),
      };
      writeCheckpoint(ck.path, c);
      hooks.onCheckpoint?.(done, ck.path);
    };

    let step = start;
    let cancelled = false;
    while (step < spec.steps) {
      if (hooks.isCancelled?.() || (spec.stopAfterStep !== undefined && step >= spec.stopAfterStep)) {
        cancelled = true;
        break;
      }
      const t0 = performance.now();
      fillBatch(spec.data, spec.batch, step, spec.seed, spec.augment ?? {}, img, lab);
      const lr = lrAt(spec.schedule, step, spec.steps);
      const r = await session.run({
        [feat.name]: imgT,
        label: labT,
        [TRAIN_IO.params]: pT,
        [TRAIN_IO.m]: mT,
        [TRAIN_IO.v]: vT,
        [TRAIN_IO.lr]: scalar(lr),
        [TRAIN_IO.step]: scalar(step + 1),
      });
      pT = r[TRAIN_IO.paramsOut] as ort.Tensor;
      mT = r[TRAIN_IO.mOut] as ort.Tensor;
      vT = r[TRAIN_IO.vOut] as ort.Tensor;
      const loss = flat(r[TRAIN_IO.loss] as ort.Tensor)[0];
      if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at step ${step + 1}`);
      losses.push(loss);
      step++;
      const correct = r.metric_correct ? flat(r.metric_correct as ort.Tensor)[0] : null;
      hooks.onStep?.({
        step,
        steps: spec.steps,
        loss,
        lr,
        ms: performance.now() - t0,
        gradNorm: flat(r[TRAIN_IO.gradNorm] as ort.Tensor)[0],
        accuracy: correct === null ? null : correct / spec.batch,
      });
      if (ck && step % ck.every === 0 && step < spec.steps) save(step);
    }
    save(step);
    return {
      status: cancelled ? 'cancelled' : 'completed',
      step,
      params: flat(pT).slice(),
      provider: open.provider,
      fallbacks: open.fallbacks,
      resumedFrom,
      losses,
    };
  } finally {
    await session.release();
  }
}
