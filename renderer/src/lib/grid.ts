// Geometry and keyboard movement of the thumbnail grid. Pure; no DOM.

export interface GridLayout {
  columns: number;
  tileWidth: number;
  rowHeight: number;
}

/** How many tiles of at least `minTile` px fit into `width` with `gap` px between them. */
export function gridLayout(width: number, minTile: number, gap: number, captionHeight: number): GridLayout {
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + gap) / (minTile + gap)));
  const tileWidth = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns));
  return { columns, tileWidth, rowHeight: tileWidth + captionHeight + gap };
}

export type NavKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End' | 'PageUp' | 'PageDown';

export const NAV_KEYS: ReadonlySet<string> = new Set<NavKey>(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

/**
 * The selection after a navigation key. Up/Down keep the column and stop at the first/last row;
 * PageUp/PageDown move by `pageRows` rows; a grid with no items has no selection (-1).
 */
export function moveSelection(index: number, key: NavKey, columns: number, total: number, pageRows: number): number {
  if (total <= 0) return -1;
  const cols = Math.max(1, columns);
  const last = total - 1;
  const i = Math.min(Math.max(index, 0), last);
  if (index < 0) return key === 'End' ? last : 0;
  const page = Math.max(1, pageRows) * cols;
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, i - 1);
    case 'ArrowRight':
      return Math.min(last, i + 1);
    case 'ArrowUp':
      return i - cols >= 0 ? i - cols : i;
    case 'ArrowDown':
      if (i + cols <= last) return i + cols;
      // Down from the second-to-last row into a short last row lands on its last tile.
      return Math.floor(i / cols) < Math.floor(last / cols) ? last : i;
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageUp':
      return i - page >= 0 ? i - page : i % cols;
    case 'PageDown':
      if (i + page <= last) return i + page;
      return Math.floor(i / cols) < Math.floor(last / cols) ? Math.min(last, Math.floor(last / cols) * cols + (i % cols)) : i;
  }
}
