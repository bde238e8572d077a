// `emma teacher ...`: the teacher from the command line, over the same core (and the same job manager) as the app.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { TeacherConfigPatch } from '../core/contract.js';
import { followJob, openCore } from './client.js';
import { chainKeyProviders, envKeyProvider, fileKeyProvider, type TeacherKeyProvider } from '../core/teacher/keys.js';

export const TEACHER_USAGE = `emma teacher — labels, captions and question–answer pairs from a remote vision model

usage:
  emma teacher egress [on|off] [--by NAME] [--db FILE] [--json]
  emma teacher config [endpoint options] [--db FILE] [--json]      show, or store endpoint options
  emma teacher price [MODEL IN OUT] [--db FILE] [--json]           US$ per 1M input / output tokens
  emma teacher taxonomy [nffa-sem|semi-defects] [--db FILE] [--json]
  emma teacher test [endpoint options] [--db FILE] [--json]
  emma teacher run  [--limit N] [--concurrency K] [--budget-usd X] [--budget-tokens N]
                    [--resume RUN] [--retry-invalid] [endpoint options] [--db FILE] [--json]
  emma teacher runs [--db FILE] [--json]

endpoint options (override the project's teacher settings for this command only; nothing is stored):
  --base-url URL         env EMMA_TEACHER_BASE_URL   e.g. https://api.openai.com/v1, http://localhost:11434/v1,
                                                     https://<resource>.openai.azure.com (Azure)
  --model NAME           env EMMA_TEACHER_MODEL      for Azure: the deployment name
  --provider P           openai | azure | compatible (default: guessed from the base URL)
  --azure-api-version V  env EMMA_TEACHER_AZURE_API_VERSION
  --api-key-file FILE    first line is the key; otherwise env OPENAI_API_KEY. The key is never stored,
                         logged or printed.
  --paraphrases N        paraphrases per question wording asked in a run (default 3; 0: none). One text-only
                         request per run (no image), cached, within the run's budget, in the audit log; the chat's
                         question layer learns from them at the next training.

egress: no image leaves this PC unless the project's egress switch is on. It is a per-project policy kept in
  the project database and set by the lab lead with \`emma teacher egress on\` (or in the app); every change is
  recorded in the audit log with who made it. There is deliberately no per-command override (no
  --allow-egress flag): a script or an operator cannot send images from a project whose lead has not allowed it.

run: asks the teacher about every image of the library that has no answer yet for the current configuration
  (resumable: finished images are never asked or paid for again). Answers become *proposals* for review.
  --budget-usd stops before the cost would pass X (prices per model from the teacher settings; the defaults are
  list prices to be checked by the site). Ctrl-C stops gracefully: answers in flight are kept, then resume with
  --resume RUN. --json prints one object:
  {"processed":N,"proposals":N,"flagged":[{"image":..,"reason":..}],"requests":N,"promptTokens":N,
   "completionTokens":N,"costUsd":X,"paraphrases":{"status":..,"paraphrases":N,"reason":..}|null}`;

class TeacherUsageError extends Error {
  readonly usage = true;
}

function guessProvider(baseUrl: string): 'openai' | 'azure' | 'compatible' {
  try {
    const host = new URL(baseUrl).host;
    if (/\.openai\.azure\.com$|\.cognitiveservices\.azure\.com$/.test(host)) return 'azure';
    if (host === 'api.openai.com') return 'openai';
  } catch {
    // validated later
  }
  return 'compatible';
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TeacherUsageError(`${name} must be a positive integer`);
  return n;
}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new TeacherUsageError(`${name} must be a positive number`);
  return n;
}

export async function teacherCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(`${TEACHER_USAGE}\n`);
    return sub ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      provider: { type: 'string' },
      'azure-api-version': { type: 'string' },
      'api-key-file': { type: 'string' },
      limit: { type: 'string' },
      concurrency: { type: 'string' },
      'budget-usd': { type: 'string' },
      'budget-tokens': { type: 'string' },
      resume: { type: 'string' },
      'retry-invalid': { type: 'boolean', default: false },
      paraphrases: { type: 'string' },
      by: { type: 'string' },
    },
  });
  const json = values.json ?? false;
  const print = (value: unknown, human: string) => process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
  const env = process.env;

  const keyProviders: TeacherKeyProvider[] = [];
  if (values['api-key-file']) keyProviders.push(fileKeyProvider(values['api-key-file']));
  keyProviders.push(envKeyProvider('OPENAI_API_KEY', env));
  const overrides: TeacherConfigPatch = {};
  const baseUrl = values['base-url'] ?? env.EMMA_TEACHER_BASE_URL;
  const model = values.model ?? env.EMMA_TEACHER_MODEL;
  const azureVersion = values['azure-api-version'] ?? env.EMMA_TEACHER_AZURE_API_VERSION;
  if (values.paraphrases !== undefined) {
    const n = Number(values.paraphrases);
    if (!Number.isInteger(n) || n < 0 || n > 10) throw new TeacherUsageError('--paraphrases must be an integer from 0 to 10');
    overrides.paraphraseCount = n;
  }
  if (baseUrl) overrides.baseUrl = baseUrl;
  if (model) overrides.model = model;
  if (azureVersion) overrides.azureApiVersion = azureVersion;
  if (values.provider) {
    if (!['openai', 'azure', 'compatible'].includes(values.provider)) throw new TeacherUsageError('--provider is openai, azure or compatible');
    overrides.provider = values.provider as 'openai' | 'azure' | 'compatible';
  } else if (baseUrl) {
    overrides.provider = guessProvider(baseUrl);
  }

  const core = await openCore({ dbPath: values.db, teacherKeyProvider: chainKeyProviders(...keyProviders) });
  const teacher = core.api;
  try {
    switch (sub) {
      case 'egress': {
        const [state] = positionals;
        if (state !== undefined && state !== 'on' && state !== 'off') throw new TeacherUsageError('emma teacher egress takes on or off');
        const settings =
          state === undefined ? await teacher.getTeacherSettings() : await teacher.setTeacherEgress(state === 'on', `cli:${values.by ?? safeUser()}`);
        const e = settings.egress;
        print(
          e,
          `teacher egress is ${e.enabled ? 'ON: images may be sent to the teacher endpoint' : 'OFF: nothing leaves this PC'}` +
            (e.changedAt ? ` (set by ${e.changedBy} at ${e.changedAt})` : ''),
        );
        return 0;
      }
      case 'config': {
        const settings = Object.keys(overrides).length ? await teacher.updateTeacherConfig(overrides) : await teacher.getTeacherSettings();
        const c = settings.config;
        print(
          { config: c, keyConfigured: settings.keyConfigured, keySource: settings.keySource, capabilities: settings.capabilities },
          [
            `provider ${c.provider}, base URL ${c.baseUrl}, model ${c.model}${c.azureApiVersion ? `, api-version ${c.azureApiVersion}` : ''}`,
            `template ${c.templateName}@${c.templateVersion ?? 'latest'}, ${c.qaCount} Q&A pairs, image long side ${c.maxImageSide} px, ` +
              `metadata ${c.sendMetadata ? 'sent' : 'not sent'}, concurrency ${c.concurrency}`,
            `API key: ${settings.keyConfigured ? `set (${settings.keySource})` : 'not set'}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'price': {
        if (positionals.length !== 0 && positionals.length !== 3) throw new TeacherUsageError('emma teacher price takes MODEL IN OUT (US$ per 1M tokens)');
        if (positionals.length === 3) {
          const [name, input, output] = positionals;
          const inputPerMTok = Number(input);
          const outputPerMTok = Number(output);
          if (!(inputPerMTok >= 0 && outputPerMTok >= 0)) throw new TeacherUsageError('prices are non-negative numbers (US$ per 1M tokens)');
          const { config } = await teacher.getTeacherSettings();
          await teacher.updateTeacherConfig({ prices: { ...config.prices, [name]: { inputPerMTok, outputPerMTok } } });
        }
        const { prices } = (await teacher.getTeacherSettings()).config;
        print(
          prices,
          [
            'US$ per 1M tokens (input / output). Defaults are public list prices at the time of writing: check them against your contract.',
            ...Object.entries(prices).map(([m, p]) => `  ${m.padEnd(24)} ${p.inputPerMTok} / ${p.outputPerMTok}`),
          ].join('\n'),
        );
        return 0;
      }
      case 'taxonomy': {
        const [setId] = positionals;
        if (setId) await teacher.applyTaxonomySet(setId);
        const settings = await teacher.getTeacherSettings();
        const all = await teacher.listTaxonomy();
        const used = settings.config.classNames.length ? settings.config.classNames : all.map((c) => c.name);
        const sets = (await teacher.listTaxonomySets()).map((s) => s.id);
        print(
          { classes: all.filter((c) => used.includes(c.name)), sets },
          [
            `teacher taxonomy (${used.length} classes):`,
            ...all.filter((c) => used.includes(c.name)).map((c) => `  ${c.name}: ${c.description || '(no definition)'}`),
            `built-in sets: ${sets.join(', ')} (emma teacher taxonomy <set> adds one)`,
          ].join('\n'),
        );
        return 0;
      }
      case 'test': {
        const caps = await teacher.testTeacherConnection(overrides);
        const yn = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');
        print(
          caps,
          [
            `endpoint ${caps.endpoint}, model ${caps.model}: ${caps.reachable ? 'reachable' : 'NOT reachable'}`,
            `  image input  ${yn(caps.vision)}`,
            `  json_schema  ${yn(caps.jsonSchema)}`,
            `  json_object  ${yn(caps.jsonObject)}`,
            `  streaming    ${yn(caps.streaming)}`,
            ...caps.notes.map((n) => `  - ${n}`),
          ].join('\n'),
        );
        return caps.reachable ? 0 : 1;
      }
      case 'run': {
        const resume = positiveInt('--resume', values.resume);
        const job = await teacher.startTeacherRun(
          {
            limit: positiveInt('--limit', values.limit),
            concurrency: positiveInt('--concurrency', values.concurrency),
            budgetUsd: positiveNumber('--budget-usd', values['budget-usd']),
            budgetTokens: positiveInt('--budget-tokens', values['budget-tokens']),
            resumeRunId: resume,
            retryInvalid: values['retry-invalid'] || undefined,
          },
          resume === undefined ? overrides : pickRuntimeOverrides(overrides),
        );
        const done = await followJob(core, job, 'teacher', {
          line: (j) => `\r${j.progress.message}`.slice(0, 200),
          interrupt: { mode: 'twice', message: 'stopping: answers in flight are kept; press Ctrl-C again to quit now' },
        });
        const r = done.result;
        if (!r) throw new Error(done.error ?? `teacher job ${done.id} ended ${done.state}`);
        print(
          {
            processed: r.processed,
            proposals: r.proposals,
            flagged: r.flagged.map((f) => ({ image: f.image, reason: f.reason })),
            requests: r.requests,
            promptTokens: r.promptTokens,
            completionTokens: r.completionTokens,
            costUsd: r.costUsd,
            paraphrases: r.paraphrases ? { status: r.paraphrases.status, paraphrases: r.paraphrases.paraphrases, reason: r.paraphrases.reason } : null,
          },
          [
            `teacher run ${r.runId}: ${r.processed} images, ${r.proposals} proposals, ${r.flagged.length} flagged, ${r.skipped} already done`,
            `  ${r.requests} requests, ${r.promptTokens} prompt + ${r.completionTokens} completion tokens, $${r.costUsd.toFixed(4)} (${r.responseFormat})`,
            ...r.flagged.map((f) => `  flagged: ${f.image}: ${f.reason}`),
            ...(r.paraphrases && r.paraphrases.status !== 'off'
              ? [
                  `  paraphrases (text only, no image): ${r.paraphrases.status}, ${r.paraphrases.paraphrases} kept${r.paraphrases.reason ? ` (${r.paraphrases.reason})` : ''}`,
                ]
              : []),
          ].join('\n'),
        );
        if (r.stopped !== 'done') {
          process.stderr.write(
            `teacher run ${r.runId} stopped (${r.stopped}${r.stopDetail ? `: ${r.stopDetail}` : ''}); ` +
              `${r.remaining} images left: resume with \`emma teacher run --resume ${r.runId}\`` +
              `${r.stopped === 'budget' ? ' and a larger --budget-usd' : ''}\n`,
          );
        }
        if (done.state === 'failed') {
          process.stderr.write(`emma: ${done.error}\n`);
          return 1;
        }
        return r.stopped === 'cancelled' ? 130 : 0;
      }
      case 'runs': {
        const runs = await teacher.listTeacherRuns(100);
        print(
          runs,
          runs.length
            ? runs
                .map(
                  (r) =>
                    `${String(r.id).padStart(4)}  ${r.state.padEnd(9)} ${r.model} @ ${r.endpointHost}  ${r.valid} proposed, ` +
                    `${r.invalid + r.failed} flagged, ${r.requests} requests, $${r.costUsd.toFixed(4)}${r.stopDetail ? `  (${r.stopDetail})` : ''}`,
                )
                .join('\n')
            : 'no teacher runs yet',
        );
        return 0;
      }
      default:
        throw new TeacherUsageError(`unknown teacher command: ${sub}`);
    }
  } catch (e) {
    if (e instanceof TeacherUsageError) {
      process.stderr.write(`emma: ${e.message}\n\n${TEACHER_USAGE}\n`);
      return 2;
    }
    throw e;
  } finally {
    await core.close();
  }
}

function pickRuntimeOverrides(o: TeacherConfigPatch): TeacherConfigPatch {
  // A resumed run keeps its endpoint and model; only how it runs may change.
  return o.concurrency !== undefined ? { concurrency: o.concurrency } : {};
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
