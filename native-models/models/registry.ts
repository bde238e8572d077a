// {arch, config} -> model, so workers and importers rebuild the exact graph from JSON.
import type { TaskModel } from './model.js';
import { VitClassifier, type VitConfig } from './vit-tiny.js';

export interface ModelRef {
  readonly arch: string;
  readonly config: unknown;
}

const factories: Record<string, (config: unknown) => TaskModel> = {
  'vit-classifier': (c) => new VitClassifier(c as VitConfig),
};

export function registerArch(arch: string, make: (config: unknown) => TaskModel): void {
  factories[arch] = make;
}

export function createModel(ref: ModelRef): TaskModel {
  const make = factories[ref.arch];
  if (!make) throw new Error(`unknown model architecture '${ref.arch}' (known: ${Object.keys(factories).join(', ')})`);
  return make(ref.config);
}
