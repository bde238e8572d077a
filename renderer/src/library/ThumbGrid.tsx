// Virtualized thumbnail grid: rows are virtualized, each row holds `columns` tiles. Only the rows on screen
// (plus a small overscan) exist in the DOM and only their blocks of the list are fetched.
import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { gridLayout, moveSelection, NAV_KEYS, type NavKey } from '../lib/grid.js';
import { Tile } from './Tile.js';
import type { ImageList } from './useImageList.js';

const MIN_TILE = 176;
const GAP = 10;
const CAPTION = 48; // .tile-caption height + the tile border
const PADDING = 14;

export interface ThumbGridHandle {
  focus(): void;
  scrollToIndex(index: number): void;
  /** A key pressed while nothing has focus; returns whether the grid used it. */
  handleKey(key: string): boolean;
}

interface ThumbGridProps {
  list: ImageList;
  selected: number;
  onSelect(index: number): void;
  onOpen(index: number): void;
  /** Image ids in the multi-selection, and what ctrl/shift clicks do to it. */
  marked?: ReadonlySet<number>;
  onMark?(index: number, mode: 'toggle' | 'range'): void;
}

export const ThumbGrid = forwardRef<ThumbGridHandle, ThumbGridProps>(function ThumbGrid({ list, selected, onSelect, onOpen, marked, onMark }, ref) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [height, setHeight] = useState(0);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => {
      setWidth(el.clientWidth - PADDING * 2);
      setHeight(el.clientHeight);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const total = list.total ?? 0;
  const layout = gridLayout(width, MIN_TILE, GAP, CAPTION);
  const { columns, tileWidth, rowHeight } = layout;
  const rowCount = Math.ceil(total / columns);

  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 3,
    paddingStart: PADDING,
    paddingEnd: PADDING,
  });

  // Tile size follows the window width: every row has the same height, re-measure when it changes.
  useEffect(() => {
    virtualizer.measure();
  }, [rowHeight, columns, virtualizer]);

  const rows = virtualizer.getVirtualItems();
  const firstRow = rows.length ? rows[0].index : 0;
  const lastRow = rows.length ? rows[rows.length - 1].index : 0;

  // Fetch the blocks of what is on screen, after scrolling settles for a moment (skips blocks flown past).
  const { ensureRange } = list;
  useEffect(() => {
    if (!rows.length) return;
    const start = firstRow * columns;
    const end = (lastRow + 1) * columns - 1;
    const timer = setTimeout(() => ensureRange(start, end), 40);
    return () => clearTimeout(timer);
  }, [firstRow, lastRow, columns, ensureRange, rows.length]);

  const scrollToIndex = useCallback(
    (index: number) => {
      if (index < 0) return;
      virtualizer.scrollToIndex(Math.floor(index / columns), { align: 'auto' });
    },
    [virtualizer, columns],
  );

  const activate = useCallback(
    (index: number, mark?: 'toggle' | 'range') => {
      onSelect(index);
      if (mark && onMark) onMark(index, mark);
      else onOpen(index);
    },
    [onSelect, onOpen, onMark],
  );

  useImperativeHandle(
    ref,
    () => ({
      focus: () => scrollRef.current?.focus({ preventScroll: true }),
      scrollToIndex,
      handleKey: (key: string) => handleKeyRef.current(key),
    }),
    [scrollToIndex],
  );

  /** Returns whether the key was a grid key. */
  const handleKey = (key: string): boolean => {
    if (NAV_KEYS.has(key)) {
      const pageRows = Math.max(1, Math.floor(height / rowHeight));
      const next = moveSelection(selected, key as NavKey, columns, total, pageRows);
      if (next >= 0) {
        onSelect(next);
        scrollToIndex(next);
      }
      return true;
    }
    if (key === 'Enter' || key === ' ') {
      if (selected >= 0 && selected < total) onOpen(selected);
      return true;
    }
    return false;
  };
  const handleKeyRef = useRef(handleKey);
  handleKeyRef.current = handleKey;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target !== e.currentTarget) return;
    if (handleKey(e.key)) e.preventDefault();
  };

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      data-testid="library-grid"
      tabIndex={0}
      role="listbox"
      aria-label="Images"
      aria-activedescendant={selected >= 0 && list.get(selected) ? `thumb-${selected}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div className="grid-inner" style={{ height: virtualizer.getTotalSize() }}>
        {width > 0 &&
          rows.map((row) => {
            const start = row.index * columns;
            const end = Math.min(total, start + columns);
            const tiles = [];
            for (let i = start; i < end; i++) {
              const item = list.get(i);
              tiles.push(
                <Tile
                  key={item ? item.id : `p${i}`}
                  index={i}
                  item={item}
                  selected={i === selected}
                  marked={!!item && !!marked?.has(item.id)}
                  width={tileWidth}
                  onOpen={activate}
                />,
              );
            }
            return (
              <div
                key={row.key}
                className="grid-row"
                role="presentation"
                style={{ transform: `translateY(${row.start}px)`, height: rowHeight - GAP, gap: GAP, left: PADDING }}
              >
                {tiles}
              </div>
            );
          })}
      </div>
    </div>
  );
});
