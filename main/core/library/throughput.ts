// Benchmark helper for `npm run bench` suites: runs the importer's per-file work (inspect +
// thumbnail from one decode) over a list of files and reports images/s and peak memory. Kept
// here so the benchmark measures exactly the library code, without the database.
import { availableParallelism } from 'node:os';
import { isImageReadError } from './errors.js';
import { inspectWithThumbnail } from './inspect.js';

export interface ThroughputResult {
  images: number;
  failed: { path: string; error: string }[];
  seconds: number;
  imagesPerSecond: number;
  /** Highest resident set size sampled after each file. */
  peakRssBytes: number;
  concurrency: number;
  cores: number;
}

export async function measureLibraryThroughput(
  paths: readonly string[],
  opts: { concurrency?: number; thumbnailMaxSide?: number } = {},
): Promise<ThroughputResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const failed: ThroughputResult['failed'] = [];
  let peak = process.memoryUsage().rss;
  let next = 0;
  let ok = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (next < paths.length) {
      const path = paths[next++];
      try {
        await inspectWithThumbnail(path, { thumbnail: { maxSide: opts.thumbnailMaxSide ?? 256 } });
        ok++;
      } catch (e) {
        failed.push({ path, error: isImageReadError(e) ? `${e.code}: ${e.reason}` : String(e) });
      }
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, paths.length)) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    images: ok,
    failed,
    seconds,
    imagesPerSecond: seconds > 0 ? ok / seconds : 0,
    peakRssBytes: peak,
    concurrency,
    cores: availableParallelism(),
  };
}
