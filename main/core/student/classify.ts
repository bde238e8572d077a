// Classification, once: every caller that runs the student over images (the classify job, `emma classify` and
// `emma eval`, comparing two versions, recalibrating one) goes through classifyImages, and every "which class"
// through argmax.
import { classifyFeatures, type LoadedStudent } from '../../../native-models/index.js';
import { StemExtractor, type GreyImage } from '../../../native-models/index.js';
import { CoreError } from '../errors.js';

/** Images read ahead and encoded together: the next chunk is decoded while onnxruntime encodes this one. */
export const CLASSIFY_CHUNK = 16;

/** Index of the largest of `C` values starting at `from` (the first one on a tie). */
export function argmax(values: ArrayLike<number>, from = 0, C = values.length - from): number {
  let best = 0;
  for (let j = 1; j < C; j++) if (values[from + j] > values[from + best]) best = j;
  return best;
}

/** argmax of each of the `n` rows of a row-major n×C matrix. */
export function argmaxRows(probs: ArrayLike<number>, C: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => argmax(probs, i * C, C));
}

/** One classified chunk: `probs` is row-major, one row of the model's labels per item of `items`. */
export interface ClassifiedChunk<T> {
  readonly items: readonly T[];
  readonly probs: Float32Array;
  /** Items whose image could not be read (they have no row). */
  readonly failed: readonly { item: T; error: string }[];
  /** Items handled so far, this chunk included (for progress). */
  readonly done: number;
  readonly total: number;
}

export interface ClassifyImagesOptions<T> {
  /** Reads an item as the student sees it (readForStudent). */
  read(item: T, maxSide: number): Promise<GreyImage>;
  /** Called once per chunk, in order; the next chunk is already being read. */
  onChunk(chunk: ClassifiedChunk<T>): void | Promise<void>;
  signal?: AbortSignal;
  chunk?: number;
}

/**
 * Runs a loaded student over `items` in chunks, reading the next chunk while the current one is encoded, so
 * memory stays bounded for long lists. Stops before a chunk once `signal` is aborted (`cancelled: true`).
 */
export async function classifyImages<T>(student: LoadedStudent, items: readonly T[], o: ClassifyImagesOptions<T>): Promise<{ cancelled: boolean }> {
  const size = Math.max(1, o.chunk ?? CLASSIFY_CHUNK);
  const maxSide = student.stem.config.maxSide;
  const read = (from: number) =>
    Promise.all(
      items.slice(from, from + size).map((item) =>
        o.read(item, maxSide).then(
          (img) => ({ item, img, error: null }),
          (e: unknown) => ({ item, img: null, error: e instanceof Error ? e.message : String(e) }),
        ),
      ),
    );
  const ex = new StemExtractor(student.stem);
  try {
    let next = items.length ? read(0) : null;
    for (let i = 0; next; i += size) {
      if (o.signal?.aborted) return { cancelled: true };
      const got = await next;
      next = i + size < items.length ? read(i + size) : null;
      const ok = got.filter((g): g is { item: T; img: GreyImage; error: null } => g.img !== null);
      const failed = got.filter((g) => g.img === null).map((g) => ({ item: g.item, error: g.error ?? 'unreadable' }));
      let probs: Float32Array = new Float32Array(0);
      if (ok.length) {
        const feats = await ex.extractAll(ok.map((g) => g.img));
        probs = (await classifyFeatures(student.classifier, student.stem.config, feats, ok.length, student.headOnnx)).probs;
      }
      await o.onChunk({ items: ok.map((g) => g.item), probs, failed, done: Math.min(items.length, i + size), total: items.length });
      // Let other work of this thread (calls, events) in between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { cancelled: false };
  } finally {
    await ex.close();
  }
}

export interface ClassifyAllOptions<T> {
  /** Names an item in an error (default String). */
  describe?: (item: T) => string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Every row's probabilities for the items, in order; the first unreadable item fails the whole call, and so does
 * an aborted `signal` (CoreError 'cancelled').
 */
export async function classifyAll<T>(
  student: LoadedStudent,
  items: readonly T[],
  read: (item: T, maxSide: number) => Promise<GreyImage>,
  o: ClassifyAllOptions<T> = {},
): Promise<Float32Array> {
  const C = student.manifest.labels.length;
  const out = new Float32Array(items.length * C);
  const describe = o.describe ?? String;
  let at = 0;
  const { cancelled } = await classifyImages(student, items, {
    read,
    signal: o.signal,
    onChunk: (c) => {
      const bad = c.failed[0];
      if (bad) {
        const name = describe(bad.item);
        throw Object.assign(new Error(bad.error.includes(name) ? bad.error : `${name}: ${bad.error}`), { path: name });
      }
      out.set(c.probs, at * C);
      at += c.items.length;
      o.onProgress?.(c.done, c.total);
    },
  });
  if (cancelled) throw new CoreError('cancelled', 'classification cancelled');
  return out;
}
