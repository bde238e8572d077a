// Fitting the question layer's intent model from what a version was trained with. Its own module, so the inference
// pool's workers can fit it (a few seconds of JavaScript) without loading the chat service, and the core's thread stays free.
import { trainingWordings, type ReviewedQuestion, type TaughtParaphrase } from './augment.js';
import { IntentModel } from './intent.js';
import { QA_KIND_INTENT } from './seeds.js';

/**
 * Fits the intent model: seeds, templates and reviewed questions (the operator's own labelled by a seed-only model
 * first). `definitions`: the classes' definitions, whose words are domain vocabulary ("are there lamellae?").
 */
export function fitIntents(
  classes: readonly string[],
  reviewed: readonly ReviewedQuestion[],
  definitions: readonly string[] = [],
  paraphrases: readonly TaughtParaphrase[] = [],
): IntentModel {
  const needLabels = reviewed.some((r) => !r.qaKind || !QA_KIND_INTENT[r.qaKind]);
  const vocabulary = [...definitions, ...reviewed.map((r) => r.question)];
  const seedOnly = needLabels
    ? IntentModel.fit(trainingWordings({ classes, reviewed: [], perSeed: 3, perTemplate: 8, paraphrases }), classes, { vocabulary, folds: 3 })
    : null;
  return IntentModel.fit(trainingWordings({ classes, reviewed, paraphrases, label: seedOnly ? (q) => seedOnly.decide(q) : undefined }), classes, {
    vocabulary,
  });
}
