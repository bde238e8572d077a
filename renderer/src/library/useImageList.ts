// The filtered library as a lazily paged list: blocks of BLOCK_SIZE images fetched only for the rows on screen.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageSummary, LabelFilter, LabelSource, LabelStatus } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { BlockCache } from '../lib/blockCache.js';
import { messageOf } from '../lib/errors.js';

export const BLOCK_SIZE = 200;

export interface LibraryQuery {
  filter: LabelFilter;
  source?: LabelSource;
  status?: LabelStatus;
  search?: string;
}

export interface ImageList {
  /** null until the first block has answered. */
  total: number | null;
  get(index: number): ImageSummary | undefined;
  /** Fetch what is missing of [start, end] (item indices, inclusive). */
  ensureRange(start: number, end: number): void;
  error: string | null;
  /** Changes whenever newly fetched data arrived (a render key). */
  revision: number;
  queryKey: string;
}

export function useImageList(query: LibraryQuery, libraryVersion: number): ImageList {
  const queryKey = JSON.stringify(query);
  // A new query gets a new cache; a library change only invalidates (stale tiles stay until fresh ones come).
  // eslint-disable-next-line react-hooks/exhaustive-deps -- queryKey is the trigger: a new query must get a new, empty cache
  const cache = useMemo(() => new BlockCache<ImageSummary>(BLOCK_SIZE), [queryKey]);
  const [revision, setRevision] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const lastRange = useRef<[number, number]>([0, BLOCK_SIZE - 1]);
  const queryRef = useRef(query);
  queryRef.current = query;

  const ensureRange = useCallback(
    (start: number, end: number) => {
      lastRange.current = [start, end];
      for (const block of cache.missing(start, end, Date.now())) {
        const generation = cache.request(block);
        const { filter, source, status, search } = queryRef.current;
        api
          .listImages({
            offset: block * BLOCK_SIZE,
            limit: BLOCK_SIZE,
            filter,
            ...(source ? { source } : {}),
            ...(status ? { status } : {}),
            ...(search ? { search } : {}),
          })
          .then(
            (result) => {
              if (cache.put(block, generation, result.items, result.total)) {
                setError(null);
                setRevision((r) => r + 1);
              }
            },
            (err: unknown) => {
              cache.fail(block, generation, Date.now());
              setError(messageOf(err));
              setRevision((r) => r + 1);
            },
          );
      }
    },
    [cache],
  );

  // First block of a new query (the grid has no rows to ask for until the total is known).
  useEffect(() => {
    lastRange.current = [0, BLOCK_SIZE - 1];
    ensureRange(0, 0);
  }, [ensureRange]);

  const seenVersion = useRef(libraryVersion);
  useEffect(() => {
    if (seenVersion.current === libraryVersion) return;
    seenVersion.current = libraryVersion;
    cache.invalidate();
    const [start, end] = lastRange.current;
    ensureRange(start, Math.max(end, 0));
  }, [libraryVersion, cache, ensureRange]);

  // A failed block is retried after a pause even if the user does not scroll.
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => {
      const [start, end] = lastRange.current;
      ensureRange(start, end);
    }, 3000);
    return () => clearTimeout(timer);
  }, [error, revision, ensureRange]);

  const get = useCallback((index: number) => cache.get(index), [cache]);
  return { total: cache.total, get, ensureRange, error, revision, queryKey };
}
