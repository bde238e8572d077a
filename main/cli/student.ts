// `emma train | eval | classify | ask | models`: the local student over the same core as the app.
import { parseArgs } from 'node:util';
import { createCore } from '../core/api.js';
import { classifyPaths, evaluateFolder, PRESETS, trainStudent, TrainingCancelled } from '../core/student/service.js';
import { activeVersion, listVersions } from '../core/student/versions.js';
import { closeLanguageModels, NoLanguageModel } from '../core/student/language.js';
import { askGrounded, closeChatModels } from '../core/chat/service.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
  const core = createCore({ dbPath: values.db, mode: 'cli' });
  try {
    switch (command) {
      case 'train': {
        const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
        if (minutes !== undefined && !(minutes > 0)) throw new Error('--minutes must be a positive number');
        if (values.preset && !PRESETS[values.preset]) throw new Error(`unknown preset '${values.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
        const ac = new AbortController();
        const onSigint = () => ac.abort();
        process.once('SIGINT', onSigint);
        let last = 0;
        // A quick update over exactly the data the active version learned from is refused in words, as in the app.
        if (values.quick) {
          const plan = await core.api.getTrainingPlan({ quick: true, preset: values.preset, minutes });
          if (plan.blocked) throw new Error(plan.blocked);
        }
        try {
          const r = await trainStudent(core.db, {
            dataDir: core.location.dataDir, preset: values.preset, minutes, signal: ac.signal, quick: values.quick,
            onProgress: (p) => {
              if (!process.stderr.isTTY || Date.now() - last < 250) return;
              last = Date.now();
              process.stderr.write(`\r${p.phase} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(3)}` : ''}      `);
            },
          });
          if (process.stderr.isTTY) process.stderr.write('\n');
          out(
            json,
            {
              modelVersion: r.modelVersion, trainSeconds: r.trainSeconds, valAccuracy: r.valAccuracy, valMacroF1: r.valMacroF1, provider: r.provider, activated: r.activated,
              activeVersion: r.activeVersion, images: r.images, classes: r.classes, mode: r.mode, features: r.features, languageCarriedFrom: r.language?.carriedFrom ?? null,
              segmenter: r.segmenter ?? null, note: r.note ?? null,
            },
            r.note
              ? `model version ${r.modelVersion}: ${r.note}; ${r.segmenter?.note ?? ''} (${r.trainSeconds.toFixed(1)} s)`
              : `model version ${r.modelVersion}${r.mode === 'quick' ? ' (quick update)' : ''}: ${r.images} images, ${r.classes.length} classes, ${r.trainSeconds.toFixed(1)} s on ${r.provider}; ` +
              `features computed for ${r.features.extracted}, ${r.features.cached} from the cache; ` +
              `validation accuracy ${pct(r.valAccuracy)}, macro-F1 ${pct(r.valMacroF1)}; ` +
              (r.activated ? 'now active' : `not activated (version ${r.activeVersion} stays active: it did better)`) +
              (r.segmenter ? `; particle segmenter: ${r.segmenter.note}` : ''),
          );
          return 0;
        } catch (e) {
          if (e instanceof TrainingCancelled) {
            out(json, { cancelled: true }, 'training cancelled; the active version is unchanged');
            return 130;
          }
          throw e;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }
      case 'eval': {
        if (positionals.length !== 1) throw new Error('emma eval takes one folder of class folders');
        const r = await evaluateFolder(core.db, positionals[0]);
        const { labels, skippedFolders, modelVersion, ...scores } = r;
        out(
          json,
          { ...scores, labels, modelVersion, skippedFolders },
          [
            `model version ${modelVersion}: ${r.n} images, accuracy ${pct(r.accuracy)}, macro-F1 ${pct(r.macroF1)}`,
            ...labels.map((l) => `  ${l.padEnd(20)} n=${String(r.perClass[l].n).padStart(4)}  P ${pct(r.perClass[l].precision)}  R ${pct(r.perClass[l].recall)}  F1 ${pct(r.perClass[l].f1)}`),
            ...(skippedFolders.length ? [`  skipped folders (not classes of the model): ${skippedFolders.join(', ')}`] : []),
          ].join('\n'),
        );
        return 0;
      }
      case 'classify': {
        if (positionals.length === 0) throw new Error('emma classify needs at least one image');
        const r = await classifyPaths(core.db, positionals);
        out(json, r, r.results.map((x) => `${x.path}\t${x.label}\t${x.confidence.toFixed(3)}`).join('\n'));
        return 0;
      }
      case 'ask': {
        if (positionals.length !== 2) throw new Error('emma ask takes an image (a file, or a library image id) and a question');
        const [img, question] = positionals;
        const image = /^\d+$/.test(img) && !existsSync(img) ? Number(img) : resolve(img);
        try {
          // The grounded chat (main/core/chat), as in the app; a version trained without reviewed text answers nothing.
          const v = activeVersion(core.db);
          if (v?.dir && !(JSON.parse(readFileSync(join(v.dir, 'student.json'), 'utf8')) as { language?: unknown }).language) throw new NoLanguageModel(v.id);
          const a = await askGrounded(core.db, image, question, { measurements: core.student.measurements });
          const conf = a.confidence === null ? 'no probability: a measurement or a fact' : `confidence ${a.confidence.toFixed(2)}`;
          out(json, {
            answer: a.text, confidence: a.confidence, modelVersion: a.modelVersion, supported: true, intent: a.intent, refused: a.refused, reason: a.reason,
            className: a.className, yes: a.yes, prediction: a.evidence.prediction, source: a.evidence.source,
          }, `${a.text}\n(${conf}, ${a.refused ? 'refused, ' : ''}intent ${a.intent}, from ${a.evidence.source}, ${a.modelVersion === null ? "no student model" : `model version ${a.modelVersion}`})`);
          return 0;
        } catch (e) {
          if (!(e instanceof NoLanguageModel)) throw e;
          out(json, { answer: null, confidence: null, modelVersion: null, supported: false, error: e.message }, `emma: ${e.message}`);
          return 3;
        } finally {
          await closeChatModels();
          await closeLanguageModels();
        }
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
        const versions = listVersions(core.db).map((v) => ({
          id: v.id, parentId: v.parentId, status: v.status, active: v.active, preset: v.preset, provider: v.provider,
          durationS: v.durationS, valAccuracy: (v.metrics.valAccuracy as number | undefined) ?? null, labels: v.labels, createdAt: v.createdAt, error: v.error,
        }));
        out(json, { versions }, versions.map((v) => `${v.active ? '*' : ' '} v${v.id}  ${v.status.padEnd(9)} ${v.preset.padEnd(7)} val ${pct(v.valAccuracy)}  ${v.createdAt}${v.error ? `  ${v.error}` : ''}`).join('\n') || 'no model versions yet');
        return 0;
      }
      default:
        throw new Error(`unknown student command ${command}`);
    }
  } finally {
    await core.close();
  }
}
