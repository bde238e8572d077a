// `emma masks import <dir>` and `emma measure <images...>`: particle masks in, measurements out.
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCore } from '../core/api.js';
import { measureImage, type MeasureResult } from '../core/measure/index.js';
import { encodeLabelPng } from '../core/measure/mask-file.js';
import { importMasks } from '../core/measure/masks.js';
import { activeSegmenter } from '../core/measure/segmenter-store.js';

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
    const core = createCore({ dbPath: values.db, mode: 'cli' });
    try {
      const report = await importMasks(core.db, dir, `cli:${userInfo().username}`);
      out(
        json,
        report,
        [
          `imported ${report.imported.length} masks, failed ${report.failed.length}`,
          ...report.imported.map((m) => `  ${basename(m.file)} -> ${m.image}: ${m.particles} particles${m.replaced ? ' (replaced)' : ''}`),
          ...report.failed.map((f) => `  failed: ${f.file}: ${f.error}`),
        ].join('\n'),
      );
      return report.failed.length > 0 ? 1 : 0;
    } finally {
      await core.close();
    }
  }

  if (positionals.length === 0) {
    process.stderr.write(`emma measure needs at least one image\n`);
    return 2;
  }
  const core = createCore({ dbPath: values.db, mode: 'cli' });
  try {
    const seg = values.classical ? null : await activeSegmenter(core.db);
    const maskOut = values['mask-out'] ? resolve(values['mask-out']) : null;
    if (maskOut) await mkdir(maskOut, { recursive: true });
    const results: MeasureResult[] = [];
    const failed: { path: string; error: string }[] = [];
    for (const p of positionals) {
      try {
        const { result, labels } = await measureImage(resolve(p), { segmenter: seg?.model ?? null, modelVersion: seg?.version ?? null });
        if (maskOut) {
          const name = `${basename(p, extname(p))}.png`;
          await writeFile(join(maskOut, name), encodeLabelPng(labels, result.width, result.height));
        }
        results.push(result);
      } catch (e) {
        failed.push({ path: p, error: (e as Error).message });
      }
    }
    out(
      json,
      { results, failed },
      [...results.map(humanResult), ...failed.map((f) => `failed: ${f.path}: ${f.error}`)].join('\n'),
    );
    return failed.length > 0 ? 1 : 0;
  } finally {
    await core.close();
  }
}
