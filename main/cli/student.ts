// `emma train | eval | classify | ask | models`: the local student over the same core as the app.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { JobInfo } from '../core/contract.js';
import { followJob, openCore, resultOf } from './client.js';

export const STUDENT_COMMANDS = ['train', 'eval', 'classify', 'ask', 'models'] as const;

export const STUDENT_USAGE = `  emma train [--db FILE] [--minutes M] [--preset default|fast|large] [--json]
  emma train --quick [--db FILE] [--minutes M] [--preset P] [--json]  quick update: heads on the active version's stem and cached features
  emma eval <dir-with-class-folders> [--db FILE] [--json]
  emma classify <images...> [--db FILE] [--json]
  emma ask <image> "<question>" [--db FILE] [--json]
  emma models [--activate ID] [--db FILE] [--json]
  emma models --export ID --out DIR [--db FILE] [--json]     ONNX files + manifest for another site or team
  emma models --import DIR [--db FILE] [--json]              checked with onnxruntime, added inactive`;

function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

function versionId(text: string): number {
  const id = Number(text.replace(/^v/i, ''));
  if (!Number.isInteger(id) || id < 1) throw new Error(`not a model version: ${text}`);
  return id;
}

/** `reading 3/18 loss 0.412`: a training job's phase, step and newest loss. */
function trainLine(j: JobInfo): string {
  const t = j.progress.train;
  const loss = t?.points.at(-1)?.loss;
  return `\r${t?.phase ?? 'starting'} ${j.progress.done}/${j.progress.total ?? 0}${loss !== undefined ? ` loss ${loss.toFixed(3)}` : ''}      `;
}

const countLine = (verb: string) => (j: JobInfo) => `\r${verb} ${j.progress.done}/${j.progress.total ?? '?'}`;

export async function studentCommand(command: string, rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      preset: { type: 'string' },
      quick: { type: 'boolean', default: false },
      activate: { type: 'string' },
      export: { type: 'string' },
      out: { type: 'string' },
      import: { type: 'string' },
    },
  });
  const json = values.json ?? false;
  const core = await openCore({ dbPath: values.db });
  try {
    switch (command) {
      case 'train': {
        const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
        if (minutes !== undefined && !(minutes > 0)) throw new Error('--minutes must be a positive number');
        // Said in these words before the call (across the worker boundary a bad preset is an argument error).
        if (values.preset !== undefined) {
          const { presets } = await core.api.getTrainingPlan({});
          if (!presets.includes(values.preset)) throw new Error(`unknown preset '${values.preset}' (known: ${presets.join(', ')})`);
        }
        // A quick update over exactly the data the active version learned from is refused in words, as in the app.
        if (values.quick) {
          const plan = await core.api.getTrainingPlan({ quick: true, preset: values.preset, minutes });
          if (plan.blocked) throw new Error(plan.blocked);
        }
        // The command line's preset stays 'default' unless asked (a quick update: the active version's).
        const job = await core.api.startTraining({ preset: values.preset ?? (values.quick ? undefined : 'default'), minutes, quick: values.quick });
        const done = await followJob(core, job, 'train', { line: trainLine, interrupt: { mode: 'cancel' } });
        if (done.state === 'cancelled') {
          out(json, { cancelled: true }, 'training cancelled; the active version is unchanged');
          return 130;
        }
        const r = resultOf(done);
        const features = r.features ?? { cached: 0, extracted: 0 };
        out(
          json,
          {
            modelVersion: r.modelVersion,
            trainSeconds: r.trainSeconds,
            valAccuracy: r.valAccuracy,
            valMacroF1: r.valMacroF1,
            provider: r.provider,
            activated: r.activated,
            activeVersion: r.activeVersion,
            images: r.images,
            classes: r.classes,
            mode: r.mode,
            features: r.features,
            languageCarriedFrom: r.language?.carriedFrom ?? null,
            segmenter: r.segmenter ?? null,
            note: r.note ?? null,
          },
          r.note
            ? `model version ${r.modelVersion}: ${r.note}; ${r.segmenter?.note ?? ''} (${r.trainSeconds.toFixed(1)} s)`
            : `model version ${r.modelVersion}${r.mode === 'quick' ? ' (quick update)' : ''}: ${r.images} images, ${r.classes.length} classes, ${r.trainSeconds.toFixed(1)} s on ${r.provider}; ` +
                `features computed for ${features.extracted}, ${features.cached} from the cache; ` +
                `validation accuracy ${pct(r.valAccuracy)}, macro-F1 ${pct(r.valMacroF1)}; ` +
                (r.activated ? 'now active' : `not activated (version ${r.activeVersion} stays active: it did better)`) +
                (r.segmenter ? `; particle segmenter: ${r.segmenter.note}` : ''),
        );
        return 0;
      }
      case 'eval': {
        if (positionals.length !== 1) throw new Error('emma eval takes one folder of class folders');
        const job = await core.api.startEvaluation(resolve(positionals[0]));
        const r = resultOf(await followJob(core, job, 'classify', { line: countLine('evaluating'), interrupt: { mode: 'cancel' } })).evaluation;
        if (!r) throw new Error(`evaluation job #${job.id} answered no scores`);
        const { labels, skippedFolders, modelVersion, ...scores } = r;
        out(
          json,
          { ...scores, labels, modelVersion, skippedFolders },
          [
            `model version ${modelVersion}: ${r.n} images, accuracy ${pct(r.accuracy)}, macro-F1 ${pct(r.macroF1)}`,
            ...labels.map(
              (l) =>
                `  ${l.padEnd(20)} n=${String(r.perClass[l].n).padStart(4)}  P ${pct(r.perClass[l].precision)}  R ${pct(r.perClass[l].recall)}  F1 ${pct(r.perClass[l].f1)}`,
            ),
            ...(skippedFolders.length ? [`  skipped folders (not classes of the model): ${skippedFolders.join(', ')}`] : []),
          ].join('\n'),
        );
        return 0;
      }
      case 'classify': {
        if (positionals.length === 0) throw new Error('emma classify needs at least one image');
        const job = await core.api.startClassifyFiles({ paths: positionals.map((p) => resolve(p)) });
        const c = resultOf(await followJob(core, job, 'classify', { line: countLine('classifying'), interrupt: { mode: 'cancel' } }));
        // Named as they were given on the command line.
        const r = { modelVersion: c.modelVersion, results: (c.files ?? []).map((x, i) => ({ ...x, path: positionals[i] })) };
        out(json, r, r.results.map((x) => `${x.path}\t${x.label}\t${x.confidence.toFixed(3)}`).join('\n'));
        return 0;
      }
      case 'ask': {
        if (positionals.length !== 2) throw new Error('emma ask takes an image (a file, or a library image id) and a question');
        const [img, question] = positionals;
        const image = /^\d+$/.test(img) && !existsSync(img) ? Number(img) : resolve(img);
        // The grounded chat (main/core/chat), as in the app; a version trained without reviewed text answers nothing.
        const a = await core.api.askStudentOnce({ image, question });
        if (!a.supported) {
          out(json, { answer: null, confidence: null, modelVersion: null, supported: false, error: a.note }, `emma: ${a.note}`);
          return 3;
        }
        const g = a.grounding!;
        const conf = a.confidence === null ? 'no probability: a measurement or a fact' : `confidence ${a.confidence.toFixed(2)}`;
        out(
          json,
          {
            answer: a.answer,
            confidence: a.confidence,
            modelVersion: a.modelVersion,
            supported: true,
            intent: g.intent,
            refused: g.refused,
            reason: g.reason,
            className: g.className,
            yes: g.yes,
            prediction: g.prediction,
            source: g.source,
          },
          `${a.answer}\n(${conf}, ${g.refused ? 'refused, ' : ''}intent ${g.intent}, from ${g.source}, ${a.modelVersion === null ? 'no student model' : `model version ${a.modelVersion}`})`,
        );
        return 0;
      }
      case 'models': {
        // Through the API, so the CLI does what the app does (audit, restored predictions, the same checks).
        if (values.export !== undefined) {
          if (!values.out) throw new Error('--export needs --out DIR');
          const info = await core.api.exportModelVersion(versionId(values.export), values.out);
          out(json, info, `exported v${info.version} to ${info.dir}: ${info.files.length} files, ${(info.bytes / 1048576).toFixed(1)} MiB`);
          return 0;
        }
        if (values.import !== undefined) {
          const v = await core.api.importModelVersion(values.import);
          out(json, v, `imported as v${v.id} (inactive; activate with: emma models --activate ${v.id})`);
          return 0;
        }
        if (values.activate) await core.api.activateModelVersion(versionId(values.activate));
        // Oldest first, as this command always listed them (the API answers newest first).
        const versions = [...(await core.api.listModelVersions())].reverse().map((v) => ({
          id: v.id,
          parentId: v.parentId,
          status: v.status,
          active: v.active,
          preset: v.preset,
          provider: v.provider,
          durationS: v.durationS,
          valAccuracy: v.valAccuracy,
          labels: v.classes,
          createdAt: v.createdAt,
          error: v.error,
        }));
        out(
          json,
          { versions },
          versions
            .map(
              (v) =>
                `${v.active ? '*' : ' '} v${v.id}  ${v.status.padEnd(9)} ${v.preset.padEnd(7)} val ${pct(v.valAccuracy)}  ${v.createdAt}${v.error ? `  ${v.error}` : ''}`,
            )
            .join('\n') || 'no model versions yet',
        );
        return 0;
      }
      default:
        throw new Error(`unknown student command ${command}`);
    }
  } finally {
    await core.close();
  }
}
