// `emma` on the command line: the same core as the app, for batch and headless work.
// --json prints one machine-readable object on stdout; human text otherwise; non-zero exit on failure.
import { parseArgs } from 'node:util';
import { followJob, openCore, resultOf } from './client.js';
import { SERVE_USAGE, serveCli } from './serve.js';
import { usersCommand } from './users.js';
import { STUDENT_COMMANDS, STUDENT_USAGE, studentCommand } from './student.js';
import { teacherCommand } from './teacher.js';
import { reviewCommand } from './review.js';
import { databaseCommand, DATABASE_COMMANDS, DATABASE_USAGE, damagedDatabaseError } from './database.js';
import { MEASURE_COMMANDS, MEASURE_USAGE, measureCommand } from './measure.js';

const USAGE = `emma — electron-micrograph workstation

usage:
  emma import <paths...> [--labels-from-folders] [--db FILE] [--json]
  emma info <image> [--json]
  emma list [--db FILE] [--json] [--limit N]
${SERVE_USAGE}
  emma teacher egress|taxonomy|test|run|runs ...           remote teacher (emma teacher --help)
${STUDENT_USAGE}
  emma review export|stats ...                             the reviewed data set (emma review --help)
${DATABASE_USAGE}
${MEASURE_USAGE}

--db FILE overrides EMMA_DB and the per-user data folder.`;

class UsageError extends Error {}

function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

function fmt(n: number | null, unit: string): string {
  return n === null ? '—' : `${n} ${unit}`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === 'teacher') return teacherCommand(rest);
  if ((STUDENT_COMMANDS as readonly string[]).includes(command)) return studentCommand(command, rest);
  if (command === 'review') return reviewCommand(rest);
  if ((DATABASE_COMMANDS as readonly string[]).includes(command)) return databaseCommand(command, rest);
  if (command === 'serve') return serveCli(rest);
  if (command === 'users') return usersCommand(rest);
  if ((MEASURE_COMMANDS as readonly string[]).includes(command)) return measureCommand(command, rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      'labels-from-folders': { type: 'boolean', default: false },
      limit: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
  });
  const json = values.json ?? false;

  switch (command) {
    case 'import': {
      if (positionals.length === 0) throw new UsageError('emma import needs at least one file or folder');
      const core = await openCore({ dbPath: values.db });
      try {
        const job = await core.api.startImport({ paths: positionals, labelsFromFolders: values['labels-from-folders'] });
        const report = resultOf(await followJob(core, job, 'import', { line: (j) => `\rimporting ${j.progress.done}/${j.progress.total ?? '?'}` }));
        const { imported, duplicates, failed } = report;
        const skipped = report.skipped ?? [];
        out(
          json,
          { imported, duplicates, failed, skipped },
          [
            `imported ${imported}, duplicates ${duplicates}, failed ${failed.length}, skipped ${skipped.length}`,
            ...failed.map((f) => `  failed: ${f.path}: ${f.error}`),
            ...skipped.slice(0, 50).map((s) => `  skipped: ${s.path}: ${s.reason}`),
            ...(skipped.length > 50 ? [`  … and ${skipped.length - 50} more skipped (--json lists them all)`] : []),
            ...report.notes.filter((n) => !n.note.startsWith('skipped')).map((n) => `  note: ${n.path}: ${n.note}`),
          ].join('\n'),
        );
        // A script must see that nothing came in: non-zero when nothing was imported and something failed.
        return imported === 0 && failed.length > 0 ? 1 : 0;
      } finally {
        await core.close();
      }
    }
    case 'info': {
      if (positionals.length !== 1) throw new UsageError('emma info takes exactly one image');
      const { inspectImage } = await import('../core/library/inspect.js');
      const i = await inspectImage(positionals[0]);
      const value = {
        width: i.width,
        height: i.height,
        bitDepth: i.bitDepth,
        pixelSizeNm: i.pixelSizeNm,
        magnification: i.magnification,
        kV: i.kV,
        workingDistanceMm: i.workingDistanceMm,
        detector: i.detector,
        instrument: i.instrument,
        dataBar: i.dataBar,
      };
      out(
        json,
        value,
        [
          `${positionals[0]}`,
          `  size        ${i.width} x ${i.height}, ${i.bitDepth}-bit ${i.format}${i.pages > 1 ? `, ${i.pages} pages` : ''}`,
          `  pixel size  ${fmt(i.pixelSizeNm, 'nm/px')}`,
          `  mag         ${fmt(i.magnification, 'X')}`,
          `  voltage     ${fmt(i.kV, 'kV')}`,
          `  WD          ${fmt(i.workingDistanceMm, 'mm')}`,
          `  detector    ${i.detector ?? '—'}`,
          `  instrument  ${i.instrument ?? '—'}`,
          `  data bar    ${i.dataBar ? `rows ${i.dataBar.y}–${i.dataBar.y + i.dataBar.height - 1}` : 'none found'}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'list': {
      const core = await openCore({ dbPath: values.db });
      try {
        const limit = values.limit ? Number(values.limit) : 1000;
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
        const page = await core.api.listImages({ offset: 0, limit: Math.min(limit, 1000) });
        const images = page.items.map((x) => ({
          id: x.id,
          fileName: x.fileName,
          width: x.width,
          height: x.height,
          pixelSizeNm: x.pixelSizeNm,
          label: x.label?.className ?? null,
          labelSource: x.label?.source ?? null,
        }));
        out(
          json,
          { total: page.total, images },
          [
            `${page.total} images in ${(await core.api.getStatus()).dbPath}`,
            ...images.map((x) => `${String(x.id).padStart(6)}  ${x.fileName}  ${x.width}x${x.height}  ${x.label ?? ''}`),
          ].join('\n'),
        );
        return 0;
      } finally {
        await core.close();
      }
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.argv[2] !== 'serve') process.exitCode = code;
  },
  (error: unknown) => {
    // SQLite's corruption codes, wherever they surface, become the one message naming the file and how to restore.
    error = damagedDatabaseError(error, process.argv.slice(2)) ?? error;
    let message = error instanceof Error ? error.message : String(error);
    // Name the file when the error knows it and does not say it already.
    const path = (error as { path?: unknown }).path;
    if (typeof path === 'string' && !message.includes(path)) message = `${path}: ${message}`;
    process.stderr.write(`emma: ${message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
