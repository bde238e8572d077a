import { useEffect, useState, type Ref } from 'react';
import type { ClassCount, LabelFilter, LabelSource, LabelStatus } from '../../../main/core/contract.js';
import { formatCount } from '../lib/format.js';
import type { LibraryQuery } from './useImageList.js';

const SOURCES: LabelSource[] = ['human', 'teacher', 'student'];
const STATUSES: LabelStatus[] = ['proposed', 'accepted', 'edited', 'rejected'];

function filterValue(filter: LabelFilter): string {
  return filter.kind === 'class' ? `class:${filter.className}` : filter.kind;
}

function parseFilter(value: string): LabelFilter {
  if (value.startsWith('class:')) return { kind: 'class', className: value.slice(6) };
  if (value === 'unlabelled' || value === 'labelled') return { kind: value };
  return { kind: 'any' };
}

interface FiltersProps {
  query: LibraryQuery;
  classes: ClassCount[];
  onChange(query: LibraryQuery): void;
  searchRef?: Ref<HTMLInputElement>;
  /** Changing it empties the search box (Clear filters). */
  resetKey?: number;
}

export function Filters({ query, classes, onChange, searchRef, resetKey }: FiltersProps) {
  const [search, setSearch] = useState(query.search ?? '');
  useEffect(() => {
    if (resetKey) setSearch('');
  }, [resetKey]);
  // Debounce typing; the list query changes 250 ms after the last key.
  useEffect(() => {
    const value = search.trim();
    if (value === (query.search ?? '')) return;
    const timer = setTimeout(() => onChange({ ...query, search: value || undefined }), 250);
    return () => clearTimeout(timer);
  }, [search, query, onChange]);

  const current = filterValue(query.filter);
  const classMissing = query.filter.kind === 'class' && !classes.some((c) => `class:${c.className}` === current);

  return (
    <div className="filters" role="search">
      <label className="field">
        <span className="field-label">Label</span>
        <select data-testid="filter-label" value={current} onChange={(e) => onChange({ ...query, filter: parseFilter(e.target.value) })}>
          <option value="any">Any</option>
          <option value="unlabelled">Unlabelled</option>
          <option value="labelled">Labelled</option>
          {classes.length > 0 && (
            <optgroup label="Class">
              {classes.map((c) => (
                <option key={c.className} value={`class:${c.className}`}>
                  {c.className} ({formatCount(c.count)})
                </option>
              ))}
            </optgroup>
          )}
          {classMissing && <option value={current}>{current.slice(6)} (0)</option>}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Source</span>
        <select
          data-testid="filter-source"
          value={query.source ?? ''}
          onChange={(e) => onChange({ ...query, source: (e.target.value || undefined) as LabelSource | undefined })}
        >
          <option value="">Any</option>
          {SOURCES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Status</span>
        <select
          data-testid="filter-status"
          value={query.status ?? ''}
          onChange={(e) => onChange({ ...query, status: (e.target.value || undefined) as LabelStatus | undefined })}
        >
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-search">
        <span className="field-label">File name</span>
        <input
          ref={searchRef}
          type="search"
          data-testid="search-input"
          placeholder="Search file names  ( / )"
          value={search}
          spellCheck={false}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') onChange({ ...query, search: search.trim() || undefined });
          }}
        />
      </label>
    </div>
  );
}
