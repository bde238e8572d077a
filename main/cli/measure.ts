// `emma masks import <dir>` and `emma measure <images...>`: particle masks in, measurements out.
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MeasureResult } from '../core/contract.js';
import { followJob, openCore, resultOf } from './client.js';

export const MEASURE_COMMANDS = ['masks', 'measure'] as const;

export const MEASURE_USAGE = `  emma masks import <dir> [--db FILE] [--json]                particle masks (<stem>.tif|png or <stem>_m.tif) for library images
  emma measure <images...> [--db FILE] [--mask-out DIR] [--classical] [--json]   particle sizes and line pitch/CD/LER`;

function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

const f1 = (v: number | null | undefined, unit: string): string => (v === null || v === undefined ? '—' : `${v.toFixed(1)} ${unit}`);

function humanResult(r: MeasureResult): string {
  const p = r.particles;
  const d = p.ecdNm ?? p.ecdPx;
  const unit = p.ecdNm ? 'nm' : 'px (uncalibrated)';
  const lines = r.lines
    ? `  lines: pitch ${f1(r.lines.pitch, r.lines.unit)}, CD ${f1(r.lines.cd, r.lines.unit)}, space ${f1(r.lines.space, r.lines.unit)}, LER 3σ ${f1(r.lines.ler3sigma, r.lines.unit)}`
    : `  lines: none (${r.linesReason})`;
  return [
    `${r.path}: ${p.count} particles measured, ${p.excludedAtEdge} cut by the edge excluded; ECD median ${f1(d.median, unit)} ` +
      `(p10 ${f1(d.p10, '')}, p90 ${f1(d.p90, '')}, mean ${f1(d.mean, '')} ± ${f1(d.sd, '')})`,
    `  method: ${r.method}`,
    lines,
  ].join('\n');
}

export async function measureCommand(command: string, rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      'mask-out': { type: 'string' },
      classical: { type: 'boolean', default: false },
    },
  });
  const json = values.json ?? false;
  if (command === 'masks') {
    const [sub, dir, ...extra] = positionals;
    if (sub !== 'import' || !dir || extra.length) {
      process.stderr.write(`usage:\n${MEASURE_USAGE}\n`);
      return 2;
    }
    const core = await openCore({ dbPath: values.db });
    try {
      const job = await core.api.startMaskImport(resolve(dir), `cli:${userInfo().username}`);
      // Ctrl-C cancels between files; the masks stored by then stay (each file is its own transaction).
      const done = await followJob(core, job, 'masks', {
        line: (j) => `\rimporting masks ${j.progress.done}/${j.progress.total ?? '?'}`,
        interrupt: { mode: 'cancel' },
      });
      // A cancelled import still reports what it stored before the cancel.
      const cancelled = done.state === 'cancelled' && done.result !== null;
      const report = cancelled ? done.result! : resultOf(done);
      if (cancelled) process.stderr.write(`cancelled: the masks listed below were stored before the cancel\n`);
      out(
        json,
        report,
        [
          `imported ${report.imported.length} masks, failed ${report.failed.length}`,
          ...report.imported.map((m) => `  ${basename(m.file)} -> ${m.image}: ${m.particles} particles${m.replaced ? ' (replaced)' : ''}`),
          ...report.failed.map((f) => `  failed: ${f.file}: ${f.error}`),
        ].join('\n'),
      );
      return cancelled || report.failed.length > 0 ? 1 : 0;
    } finally {
      await core.close();
    }
  }

  if (positionals.length === 0) {
    process.stderr.write(`emma measure needs at least one image\n`);
    return 2;
  }
  const core = await openCore({ dbPath: values.db });
  try {
    const job = await core.api.startMeasureFiles({
      paths: positionals.map((p) => resolve(p)),
      maskOut: values['mask-out'] ? resolve(values['mask-out']) : undefined,
      classical: values.classical,
    });
    const r = resultOf(
      await followJob(core, job, 'measure', { line: (j) => `\rmeasuring ${j.progress.done}/${j.progress.total ?? '?'}`, interrupt: { mode: 'cancel' } }),
    );
    const results: MeasureResult[] = r.files ?? [];
    // Named as they were given on the command line.
    const given = new Map(positionals.map((p) => [resolve(p), p]));
    const failed = (r.failedFiles ?? []).map((f) => ({ path: given.get(f.path) ?? f.path, error: f.error }));
    out(json, { results, failed }, [...results.map(humanResult), ...failed.map((f) => `failed: ${f.path}: ${f.error}`)].join('\n'));
    return failed.length > 0 ? 1 : 0;
  } finally {
    await core.close();
  }
}
