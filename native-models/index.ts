// Public API of the student engine: build graphs, differentiate them, train in a worker, export and import.
export { GraphBuilder, type ConvOptions, type Operand } from './graph/builder.js';
export * from './graph/ir.js';
export { gradients } from './autodiff/grad.js';
export { differentiableOps, gradRule, type GradRule } from './autodiff/rules.js';
export { writeModel, DEFAULT_OPSET, type GraphDef, type WriteOptions } from './onnx/writer.js';
export { readModel, type ReadModel, type ReadTensor } from './onnx/reader.js';
export { adamw, DEFAULT_ADAMW, type AdamWConfig } from './optim/adamw.js';
export { bindFlatParams, bakeParams, initParams, layoutOf, decayMask, type ParamLayout, type LayoutEntry } from './optim/flat.js';
export * as nn from './nn/index.js';
export type { TaskModel, InputSpec, Preprocessing, LossResult } from './models/model.js';
export { VitClassifier, vitEncoder, VIT_TINY, VIT_STUDENT_STANDIN, type VitConfig } from './models/vit-tiny.js';
export { createModel, registerArch, type ModelRef } from './models/registry.js';
export { buildTrainStep, buildForward, buildInference, TRAIN_IO, type BuiltGraph } from './train/graphs.js';
export {
  openSession,
  providersFromEnv,
  sessionOptions,
  describeProvider,
  DEFAULT_PROVIDERS,
  PROVIDER_ENV,
  type Provider,
  type SessionConfig,
  type OpenSession,
  type ProviderFailure,
} from './runtime/session.js';
export { runTraining, type TrainSpec, type TrainResult, type StepReport } from './runtime/train-loop.js';
export { startTraining, type TrainingJob, type TrainingHandlers } from './runtime/trainer.js';
export { readCheckpoint, writeCheckpoint, type Checkpoint } from './runtime/checkpoint.js';
export { lrAt, type Schedule } from './runtime/schedule.js';
export type { ImageSet, Augment } from './runtime/data.js';
export { predict, predictInWorker, type Predictions } from './runtime/predict.js';
export { spawnWorker, siblingModule, workerPayload } from './runtime/spawn.js';
export { exportModel, importModel, readManifest, type Manifest, type Exported, type Imported } from './export/export.js';
export { loadBackbone, describeBackbone, type Backbone } from './export/backbone.js';
export { preprocessInto, type RawImage } from './export/preprocess.js';
// The student: texture stem, head and memory, their files; its language part (tokenizer, decoding rules, training).
export * from './student/classifier.js';
export * from './student/texture.js';
export * from './student/tokenizer.js';
export * from './student/decode.js';
export * from './student/vlm.js';
export * from './student/vlm-job.js';
