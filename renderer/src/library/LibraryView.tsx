// The Library: filters, import controls, the virtualized grid, the drop zone over all of it, and the image view.
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import type { ClassCount } from '../../../main/core/contract.js';
import { api, transport } from '../api/index.js';
import { formatCount } from '../lib/format.js';
import { NAV_KEYS } from '../lib/grid.js';
import { ImageView } from '../viewer/ImageView.js';
import { collectDrop, hasFiles, type DroppedFile } from './dropFiles.js';
import { Filters } from './Filters.js';
import { ImportBar } from './ImportBar.js';
import { ThumbGrid, type ThumbGridHandle } from './ThumbGrid.js';
import { useImageList, type LibraryQuery } from './useImageList.js';
import { BulkLabelBar } from '../review/BulkLabelBar.js';
import { messageOf } from '../lib/errors.js';

interface LibraryViewProps {
  libraryVersion: number;
  /** All images in the library (from getStatus), to say "12 of 3,000". */
  libraryTotal: number | null;
  overlayOpen: boolean;
  onImportPaths(paths: string[], labelsFromFolders: boolean): void;
  onUploadFiles(files: DroppedFile[], skipped: string[]): void;
  onError(message: string): void;
}

const INITIAL_QUERY: LibraryQuery = { filter: { kind: 'any' } };

function isFiltered(q: LibraryQuery): boolean {
  return q.filter.kind !== 'any' || !!q.source || !!q.status || !!q.search;
}

function isEditable(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable;
}

export function LibraryView({ libraryVersion, libraryTotal, overlayOpen, onImportPaths, onUploadFiles, onError }: LibraryViewProps) {
  const [query, setQuery] = useState<LibraryQuery>(INITIAL_QUERY);
  const list = useImageList(query, libraryVersion);
  const [selected, setSelected] = useState(0);
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const [classes, setClasses] = useState<ClassCount[]>([]);
  const [labelsFromFolders, setLabelsFromFolders] = useState(false);
  const [dragDepth, setDragDepth] = useState(0);
  const [reading, setReading] = useState(false);
  const [resetKey, setResetKey] = useState(0);
  const clearFilters = useCallback(() => {
    setQuery(INITIAL_QUERY);
    setResetKey((k) => k + 1);
  }, []);
  const gridRef = useRef<ThumbGridHandle>(null);
  // Multi-selection for bulk labeling (image ids), and where a shift-click range starts.
  const [marked, setMarked] = useState<Set<number>>(() => new Set());
  const anchor = useRef<number | null>(null);
  const listRef = useRef(list);
  listRef.current = list;
  const onMark = useCallback((index: number, mode: 'toggle' | 'range') => {
    const l = listRef.current;
    const item = l.get(index);
    if (!item) return;
    setMarked((prev) => {
      const next = new Set(prev);
      if (mode === 'range' && anchor.current != null) {
        for (let i = Math.min(anchor.current, index); i <= Math.max(anchor.current, index); i++) {
          const it = l.get(i);
          if (it) next.add(it.id);
        }
      } else {
        if (next.has(item.id)) next.delete(item.id);
        else next.add(item.id);
        anchor.current = index;
      }
      return next;
    });
  }, []);
  const markedCount = marked.size;
  const clearMarked = useCallback(() => {
    setMarked(new Set());
    anchor.current = null;
  }, []);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    api.listClasses().then(
      (c) => live && setClasses(c),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [libraryVersion]);

  // A new filter starts at the top.
  useEffect(() => {
    clearMarked();
    setSelected(0);
    setOpenIndex(null);
    gridRef.current?.scrollToIndex(0);
  }, [list.queryKey, clearMarked]);

  const total = list.total;
  useEffect(() => {
    if (total != null && selected >= total) setSelected(Math.max(0, total - 1));
  }, [total, selected]);

  useEffect(() => {
    gridRef.current?.focus();
  }, []);

  const open = useCallback((index: number) => setOpenIndex(index), []);
  const close = useCallback(() => {
    setOpenIndex(null);
    requestAnimationFrame(() => {
      gridRef.current?.focus();
    });
  }, []);
  const navigate = useCallback((index: number) => {
    setOpenIndex(index);
    setSelected(index);
    gridRef.current?.scrollToIndex(index);
  }, []);

  // Keys pressed with nothing focused go to the grid; "/" jumps to the search box.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (openIndex != null || overlayOpen || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const active = document.activeElement;
      if (e.key === '/' && !isEditable(active)) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
      }
      if (e.key === 'Escape' && active === searchRef.current) {
        gridRef.current?.focus();
        return;
      }
      if (e.key === 'Escape' && markedCount > 0 && !isEditable(active)) {
        clearMarked();
        return;
      }
      if (active && active !== document.body) return;
      if (NAV_KEYS.has(e.key) || e.key === 'Enter') {
        gridRef.current?.focus();
        if (gridRef.current?.handleKey(e.key)) e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openIndex, overlayOpen, markedCount, clearMarked]);

  const onDragEnter = (e: DragEvent) => {
    if (!hasFiles(e.dataTransfer)) return;
    e.preventDefault();
    setDragDepth((d) => d + 1);
  };
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e.dataTransfer)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = (e: DragEvent) => {
    if (!hasFiles(e.dataTransfer)) return;
    setDragDepth((d) => Math.max(0, d - 1));
  };
  const onDrop = (e: DragEvent) => {
    if (!hasFiles(e.dataTransfer)) return;
    e.preventDefault();
    setDragDepth(0);
    const pending = collectDrop(e.dataTransfer);
    setReading(true);
    pending
      .then((result) => {
        if (result.kind === 'paths') onImportPaths(result.paths, labelsFromFolders);
        else if (result.files.length === 0) {
          onError(
            result.skipped.length
              ? `Nothing to import: ${result.skipped.length} dropped file(s) are not JPEG, PNG or TIFF (${result.skipped.slice(0, 3).join(', ')}${result.skipped.length > 3 ? ', …' : ''}).`
              : 'Nothing to import in what was dropped.',
          );
        } else onUploadFiles(result.files, result.skipped);
      })
      .catch((err: unknown) => onError(`Could not read the dropped files: ${messageOf(err)}`))
      .finally(() => setReading(false));
  };

  const filtered = isFiltered(query);
  const dragging = dragDepth > 0;

  return (
    <section className="library" aria-label="Library" onDragEnter={onDragEnter} onDragOver={onDragOver} onDragLeave={onDragLeave} onDrop={onDrop}>
      <div className="library-toolbar">
        <div className="library-heading">
          <h1>Library</h1>
          <span className="image-count" data-testid="image-count" data-count={total ?? ''} aria-live="polite">
            {total == null ? 'Loading…' : `${formatCount(total)} image${total === 1 ? '' : 's'}`}
          </span>
          {filtered && total != null && libraryTotal != null && <span className="muted">of {formatCount(libraryTotal)}</span>}
          {filtered && (
            <button type="button" className="link" onClick={clearFilters}>
              Clear filters
            </button>
          )}
        </div>
        <Filters query={query} classes={classes} onChange={setQuery} searchRef={searchRef} resetKey={resetKey} />
        <BulkLabelBar imageIds={[...marked]} classes={classes} onClear={clearMarked} onError={onError} />
        <ImportBar
          labelsFromFolders={labelsFromFolders}
          onLabelsFromFoldersChange={setLabelsFromFolders}
          onImport={(path) => onImportPaths([path], labelsFromFolders)}
        />
      </div>
      {list.error && (
        <div className="banner banner-error" role="alert">
          Could not load images: {list.error} — retrying.
        </div>
      )}
      <div className="library-body">
        <ThumbGrid ref={gridRef} list={list} selected={selected} onSelect={setSelected} onOpen={open} marked={marked} onMark={onMark} />
        {total === 0 && (
          <div className="empty-state">
            {filtered ? (
              <>
                <p>No images match these filters.</p>
                <button type="button" onClick={clearFilters}>
                  Clear filters
                </button>
              </>
            ) : (
              <>
                <p className="empty-title">The library is empty</p>
                <p>
                  Drop micrographs or folders here, or type a folder path above and press Import.
                  <br />
                  JPEG, PNG and TIFF (8/16-bit, multi-page) with Zeiss and Thermo Fisher/FEI metadata.
                </p>
              </>
            )}
          </div>
        )}
        {(dragging || reading) && (
          <div className="drop-overlay" aria-live="polite">
            <div className="drop-card">
              {reading ? (
                <p>Reading dropped files…</p>
              ) : (
                <>
                  <p className="drop-title">Drop to import</p>
                  <p>
                    {transport === 'electron'
                      ? labelsFromFolders
                        ? 'Folder names become labels (ImageFolder layout).'
                        : 'Files and folders are imported from where they are.'
                      : `Files are uploaded to Emma; folders are searched for JPEG, PNG and TIFF files.${
                          labelsFromFolders ? ' Folder names are not used as labels for uploads: use Import folder… for that.' : ''
                        }`}
                  </p>
                </>
              )}
            </div>
          </div>
        )}
      </div>
      {openIndex != null && <ImageView list={list} index={openIndex} onNavigate={navigate} onClose={close} />}
    </section>
  );
}
