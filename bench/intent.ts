// `npm run bench -- intent [--config JSON]`: group 10-fold cross-validation of the chat's intent model on the
// training side only (built-in seeds + the teacher test double's template questions, with their paraphrases):
// each fold's wording groups are left out of training and predicted. This is how the fit options and the refusal
// rule (main/core/chat/intent.ts) were chosen; the benchmark's held-out wordings are never used here.
import { parseArgs } from 'node:util';
import { trainingWordings } from '../main/core/chat/augment.js';
import { IntentModel } from '../main/core/chat/intent.js';

const CLASSES = ['bridges', 'clean', 'cracks', 'malformed_vias', 'open', 'other', 'scratches', 'short'];
const REVIEWED = [
  { question: 'What does the image show?', qaKind: 'identification' },
  { question: 'Describe the morphology.', qaKind: 'morphology' },
  { question: 'What is the characteristic feature size?', qaKind: 'size' },
  { question: 'Are there defects?', qaKind: 'defects' },
  { question: 'What process step does this suggest?', qaKind: 'process' },
];

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', default: '{}' }, json: { type: 'boolean', default: false } } });
  const cfg = JSON.parse(values.config!) as Parameters<typeof IntentModel.fit>[2];
  const all = trainingWordings({ classes: CLASSES, reviewed: REVIEWED });
  const groups = [...new Set(all.map((w) => w.group))];
  let ok = 0,
    n = 0,
    refusedIn = 0,
    nIn = 0,
    oosOk = 0,
    nOos = 0;
  /** confusion[true][got]: where the wordings of each intent go when their group was never seen. */
  const confusion = new Map<string, Map<string, number>>();
  for (let f = 0; f < 10; f++) {
    const test = new Set(groups.filter((_, i) => i % 10 === f));
    const m = IntentModel.fit(
      all.filter((w) => !test.has(w.group)),
      CLASSES,
      cfg,
    );
    for (const w of all.filter((x) => test.has(x.group))) {
      const d = m.decide(w.text);
      const got = d.outOfScope ? 'oos' : d.intent;
      const row = confusion.get(w.intent) ?? new Map<string, number>();
      row.set(got, (row.get(got) ?? 0) + 1);
      confusion.set(w.intent, row);
      n++;
      if (got === w.intent) ok++;
      if (w.intent === 'oos') {
        nOos++;
        if (got === 'oos') oosOk++;
      } else {
        nIn++;
        if (d.outOfScope) refusedIn++;
      }
    }
  }
  const confusionOut = Object.fromEntries([...confusion].map(([k, row]) => [k, Object.fromEntries([...row].sort((a, b) => b[1] - a[1]))]));
  const out = {
    config: cfg,
    wordings: all.length,
    groups: groups.length,
    accuracy: ok / n,
    inScopeRefused: refusedIn / nIn,
    outOfScopeRefused: oosOk / nOos,
    confusion: confusionOut,
  };
  console.log(
    values.json
      ? JSON.stringify(out)
      : `intent CV (${groups.length} groups, ${all.length} wordings): accuracy ${out.accuracy.toFixed(3)}, in-scope refused ${out.inScopeRefused.toFixed(3)}, unseen out-of-scope topics refused ${out.outOfScopeRefused.toFixed(3)}\n` +
          `where each intent's wordings went (true → decided: count): ${JSON.stringify(confusionOut)}`,
  );
}
