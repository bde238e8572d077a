// `emma review ...`: exports of the reviewed set and review statistics, over the same core as the app.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { openCore } from './client.js';
import type { ReviewExportFormat, ReviewStats } from '../core/contract.js';

export const REVIEW_USAGE = `emma review — the reviewed data set

usage:
  emma review export --format llava|jsonl|csv|imagefolder --out PATH [--class NAME]... [--reviewer NAME]...
                     [--reviewed-only] [--link copy|hardlink|symlink] [--crop-databar] [--copy-images]
                     [--db FILE] [--json]
  emma review stats [--db FILE] [--json]

export: every image whose newest accepted label is a class (reviewed, or an operator's folder import), with its
  accepted caption and Q&A pairs. --out is a new file (llava, jsonl, csv) or a new/empty folder (imagefolder:
  <out>/<class>/<image>, the originals copied, hard-linked or symlinked; --crop-databar writes PNG copies of the
  specimen area without the data bar). llava --copy-images puts the images in images/ beside the JSON and refers
  to them relatively; otherwise the JSON names the original files. Each export is recorded in the database with
  its filter and label snapshot, and in the audit log.
stats: queue sizes, decisions per reviewer, teacher-vs-operator and student-vs-operator agreement per class,
  Cohen's kappa between operators who reviewed the same images.`;

class ReviewUsageError extends Error {
  readonly usage = true;
}

const FORMATS: readonly ReviewExportFormat[] = ['llava', 'jsonl', 'csv', 'imagefolder'];

function pct(rate: number | null): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(1)} %`;
}

export function statsText(s: ReviewStats): string {
  const lines = [
    `queues: ${s.queues.proposals} proposals to review, ${s.queues.unlabelled} without a label, ${s.queues.flagged} flagged for an expert`,
    `decisions in effect: ${s.decisions} on ${s.reviewedImages} images`,
    ...s.reviewers.map((r) => `  ${r.reviewer}: ${r.decisions} (last ${r.lastAt})`),
    `teacher kept by operators: ${s.teacher.agreed}/${s.teacher.n} (${pct(s.teacher.rate)})`,
    `student agrees with operators: ${s.student.agreed}/${s.student.n} (${pct(s.student.rate)})`,
  ];
  if (s.perClass.length) {
    lines.push('per class                 teacher kept      student agrees');
    for (const c of s.perClass) {
      lines.push(
        `  ${c.className.padEnd(22)}  ${`${c.teacher.agreed}/${c.teacher.n}`.padStart(7)} ${pct(c.teacher.rate).padStart(8)}  ${`${c.student.agreed}/${c.student.n}`.padStart(7)} ${pct(c.student.rate).padStart(8)}`,
      );
    }
  }
  for (const k of s.kappa) {
    lines.push(`kappa ${k.a} vs ${k.b}: ${k.kappa == null ? '—' : k.kappa.toFixed(3)} over ${k.n} images (observed agreement ${pct(k.observed)})`);
  }
  return lines.join('\n');
}

export async function reviewCommand(argv: string[]): Promise<number> {
  try {
    return await reviewMain(argv);
  } catch (e) {
    if (e instanceof ReviewUsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`emma: ${(e as Error).message}\n\n${REVIEW_USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

async function reviewMain(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(`${REVIEW_USAGE}\n`);
    return sub ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    allowPositionals: false,
    options: {
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      format: { type: 'string' },
      out: { type: 'string' },
      class: { type: 'string', multiple: true },
      reviewer: { type: 'string', multiple: true },
      'reviewed-only': { type: 'boolean', default: false },
      link: { type: 'string' },
      'crop-databar': { type: 'boolean', default: false },
      'copy-images': { type: 'boolean', default: false },
    },
  });
  const json = values.json ?? false;
  if (sub === 'export') {
    const format = values.format as ReviewExportFormat | undefined;
    if (!format || !FORMATS.includes(format)) throw new ReviewUsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (!values.out) throw new ReviewUsageError('--out PATH is required');
    const link = values.link ?? 'copy';
    if (!['copy', 'hardlink', 'symlink'].includes(link)) throw new ReviewUsageError('--link must be copy, hardlink or symlink');
    const core = await openCore({ dbPath: values.db });
    try {
      let actor = 'cli';
      try {
        actor = `cli:${userInfo().username}`;
      } catch {
        // no user name on this system
      }
      const info = await core.api.exportReview({
        format,
        outPath: values.out,
        filter: {
          ...(values.class?.length ? { classNames: values.class } : {}),
          ...(values.reviewer?.length ? { reviewers: values.reviewer } : {}),
          ...(values['reviewed-only'] ? { reviewedOnly: true } : {}),
        },
        imageMode: link as 'copy' | 'hardlink' | 'symlink',
        cropDataBar: values['crop-databar'],
        copyImages: values['copy-images'],
        actor,
      });
      const human = [
        `export #${info.id}: ${info.images} images, ${info.files} files (${format}) -> ${info.outPath}`,
        ...Object.entries(info.classes).map(([c, n]) => `  ${c}: ${n}`),
      ].join('\n');
      process.stdout.write(json ? `${JSON.stringify(info)}\n` : `${human}\n`);
      return 0;
    } finally {
      await core.close();
    }
  }
  if (sub === 'stats') {
    const core = await openCore({ dbPath: values.db });
    try {
      const stats = await core.api.getReviewStats();
      process.stdout.write(json ? `${JSON.stringify(stats)}\n` : `${statsText(stats)}\n`);
      return 0;
    } finally {
      await core.close();
    }
  }
  throw new ReviewUsageError(`unknown review command: ${sub}`);
}
