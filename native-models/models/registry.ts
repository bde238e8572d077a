// {arch, config} -> model, so workers and importers rebuild the exact graph from JSON.
import type { TaskModel } from './model.js';
import { VitClassifier, type VitConfig } from './vit-tiny.js';
import { FeatureHead, type HeadConfig } from '../student/head.js';

export interface ModelRef {
  readonly arch: string;
  readonly config: unknown;
}

const factories: Record<string, (config: unknown) => TaskModel> = {
  'vit-classifier': (c) => new VitClassifier(c as VitConfig),
  'student-head': (c) => new FeatureHead(c as HeadConfig),
};

export function registerArch(arch: string, make: (config: unknown) => TaskModel): void {
  factories[arch] = make;
}

export function createModel(ref: ModelRef): TaskModel {
  const make = factories[ref.arch];
  if (!make) throw new Error(`unknown model architecture '${ref.arch}' (known: ${Object.keys(factories).join(', ')})`);
  return make(ref.config);
}
