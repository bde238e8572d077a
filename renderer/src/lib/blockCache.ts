// Block-wise cache of a long, server-paged list (the filtered library). The grid asks for the rows it shows;
// the cache says which fixed-size blocks still need fetching. After the library changes (an import adding
// images) the cache is invalidated but keeps its stale items on screen until fresh blocks arrive, so the grid
// does not flash empty tiles on every progress event. Pure; no DOM, no timers.

interface Block<T> {
  items: T[];
  generation: number;
}

export class BlockCache<T> {
  private readonly blocks = new Map<number, Block<T>>();
  private readonly inflight = new Map<number, number>();
  private readonly failedAt = new Map<number, number>();
  private gen = 0;
  total: number | null = null;

  constructor(
    readonly blockSize = 200,
    readonly maxBlocks = 120,
    readonly retryAfterMs = 2000,
  ) {}

  get generation(): number {
    return this.gen;
  }

  /** Mark everything stale (kept for display) and bump the generation. */
  invalidate(): void {
    this.gen++;
    this.inflight.clear();
    this.failedAt.clear();
  }

  blockOf(index: number): number {
    return Math.floor(index / this.blockSize);
  }

  get(index: number): T | undefined {
    if (index < 0 || (this.total != null && index >= this.total)) return undefined;
    const block = this.blocks.get(this.blockOf(index));
    return block?.items[index % this.blockSize];
  }

  /** Blocks covering [start, end] (inclusive item indices) that are absent or stale and not already requested. */
  missing(start: number, end: number, now = 0): number[] {
    if (end < start) return [];
    const last = this.total != null ? Math.min(end, this.total - 1) : end;
    const from = this.blockOf(Math.max(0, start));
    const to = this.blockOf(Math.max(0, last));
    const out: number[] = [];
    for (let b = from; b <= to; b++) {
      const block = this.blocks.get(b);
      if (block && block.generation === this.gen) continue;
      if (this.inflight.get(b) === this.gen) continue;
      const failed = this.failedAt.get(b);
      if (failed != null && now - failed < this.retryAfterMs) continue;
      out.push(b);
    }
    return out;
  }

  /** Record a request for `block`; returns the generation to hand back to put()/fail(). */
  request(block: number): number {
    this.inflight.set(block, this.gen);
    return this.gen;
  }

  /** Store a fetched block. Answers from an older generation fill gaps but never overwrite newer data. */
  put(block: number, generation: number, items: T[], total: number): boolean {
    if (this.inflight.get(block) === generation) this.inflight.delete(block);
    this.failedAt.delete(block);
    const existing = this.blocks.get(block);
    if (existing && existing.generation > generation) return false;
    if (generation === this.gen || this.total == null) this.total = total;
    this.blocks.delete(block); // re-insert: Map order doubles as recency for eviction
    this.blocks.set(block, { items, generation });
    this.evict(block);
    return true;
  }

  fail(block: number, generation: number, now: number): void {
    if (this.inflight.get(block) === generation) this.inflight.delete(block);
    this.failedAt.set(block, now);
  }

  /** Keep at most maxBlocks blocks, dropping those farthest from the one just used. */
  private evict(center: number): void {
    if (this.blocks.size <= this.maxBlocks) return;
    const byDistance = [...this.blocks.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const b of byDistance) {
      if (this.blocks.size <= this.maxBlocks) break;
      this.blocks.delete(b);
    }
  }

  get blockCount(): number {
    return this.blocks.size;
  }
}
