// The lab lead's view of the audit log: who did what and when, which images left the PC (by hash, to where, at
// what token count and cost), egress switches and configuration changes; filtered, paged, exported as CSV.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuditEntry, AuditPage, AuditQuery } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { formatCount, formatDateTime } from '../lib/format.js';
import { formatUsd } from '../teacher/format.js';
import { describeAudit } from './describe.js';
import { messageOf } from '../lib/errors.js';

const PAGE = 200;

const KINDS: { id: NonNullable<AuditQuery['kind']>; label: string }[] = [
  { id: 'all', label: 'Everything' },
  { id: 'egress', label: 'Egress switches' },
  { id: 'requests', label: 'Teacher requests (tokens, cost)' },
  { id: 'runs', label: 'Teacher runs' },
  { id: 'configuration', label: 'Configuration, key, taxonomy' },
  { id: 'models', label: 'Model import / export' },
  { id: 'exports', label: 'Exports' },
];

interface Filters {
  kind: NonNullable<AuditQuery['kind']>;
  actor: string;
  action: string;
  fromDay: string;
  toDay: string;
  search: string;
}

const EMPTY: Filters = { kind: 'all', actor: '', action: '', fromDay: '', toDay: '', search: '' };

/** Local calendar days (what a date input gives) to the ISO instants of their midnights; `to` is inclusive. */
function toQuery(f: Filters): Omit<AuditQuery, 'offset' | 'limit'> {
  const q: Omit<AuditQuery, 'offset' | 'limit'> = { kind: f.kind };
  if (f.actor) q.actor = f.actor;
  if (f.action) q.action = f.action;
  if (f.fromDay) q.from = new Date(`${f.fromDay}T00:00:00`).toISOString();
  if (f.toDay) {
    const d = new Date(`${f.toDay}T00:00:00`);
    d.setDate(d.getDate() + 1);
    q.to = d.toISOString();
  }
  if (f.search.trim()) q.search = f.search.trim();
  return q;
}

export function AuditView({ onError }: { onError(message: string): void }) {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [limit, setLimit] = useState(PAGE);
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const query = useMemo(() => toQuery(filters), [filters]);
  void onError;

  useEffect(() => {
    let live = true;
    api.listAuditLog({ ...query, offset: 0, limit }).then(
      (p) => {
        if (!live) return;
        setPage(p);
        setError(null);
      },
      (e: unknown) => live && setError(`Reading the audit log: ${messageOf(e)}`),
    );
    return () => {
      live = false;
    };
  }, [query, limit]);

  const set = useCallback((patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setLimit(PAGE);
  }, []);

  const exportCsv = async () => {
    setExporting(true);
    try {
      const csv = await api.exportAuditCsv(query);
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `emma-audit-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setError(null);
    } catch (e) {
      setError(`Exporting CSV: ${messageOf(e)}`);
    } finally {
      setExporting(false);
    }
  };

  const filtered = JSON.stringify(filters) !== JSON.stringify(EMPTY);
  return (
    <section className="view audit-view" data-testid="audit-view">
      <h1>Audit log</h1>
      <p className="muted">
        What Emma recorded for a lab lead to account for: every request to the teacher (when, which image by its hash, to which endpoint and model, tokens and
        cost), who switched egress, configuration and key changes, model imports and exports.
      </p>
      <div className="card audit-filters" data-testid="audit-filters">
        <label>
          What
          <select value={filters.kind} onChange={(e) => set({ kind: e.target.value as Filters['kind'] })} data-testid="audit-kind">
            {KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Who
          <select value={filters.actor} onChange={(e) => set({ actor: e.target.value })} data-testid="audit-actor">
            <option value="">anyone</option>
            {page?.actors.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <select value={filters.action} onChange={(e) => set({ action: e.target.value })} data-testid="audit-action">
            <option value="">any</option>
            {page?.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={filters.fromDay} onChange={(e) => set({ fromDay: e.target.value })} data-testid="audit-from" />
        </label>
        <label>
          To (inclusive)
          <input type="date" value={filters.toDay} onChange={(e) => set({ toDay: e.target.value })} data-testid="audit-to" />
        </label>
        <label>
          Search details
          <input value={filters.search} onChange={(e) => set({ search: e.target.value })} placeholder="image hash, run, model…" data-testid="audit-search" />
        </label>
        <div className="audit-actions">
          {filtered && (
            <button type="button" onClick={() => set(EMPTY)}>
              Clear filters
            </button>
          )}
          <button type="button" onClick={() => void exportCsv()} disabled={exporting || !page || page.total === 0} data-testid="audit-export">
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </div>
      {error && (
        <p className="error-text" role="alert" data-testid="audit-error">
          {error}
        </p>
      )}
      {page && <Summary page={page} />}
      {page && page.entries.length > 0 && (
        <div className="table-scroll">
          <table className="runs audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>Details</th>
                <th className="num">Tokens in / out</th>
                <th className="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {page.entries.map((e) => (
                <Row key={e.id} e={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.entries.length < page.total && (
        <button type="button" onClick={() => setLimit((l) => Math.min(1000, l + PAGE))} disabled={limit >= 1000} data-testid="audit-more">
          {limit >= 1000 ? `Showing the newest 1,000: narrow the filters or export CSV for all ${formatCount(page.total)}` : 'Show more'}
        </button>
      )}
    </section>
  );
}

function Summary({ page }: { page: AuditPage }) {
  const r = page.requests;
  if (page.total === 0) {
    return (
      <p className="muted" data-testid="audit-summary">
        No entries match. Entries appear as soon as someone switches egress, changes the teacher set-up, runs the teacher, or exports a model.
      </p>
    );
  }
  return (
    <p className="audit-summary" data-testid="audit-summary">
      <strong>{formatCount(page.total)}</strong> entries
      {r.count > 0 && (
        <>
          {' '}
          · <strong>{formatCount(r.count)}</strong> teacher requests · {formatCount(r.promptTokens)} / {formatCount(r.completionTokens)} tokens in / out ·{' '}
          {formatUsd(r.costUsd)} known cost
          {r.unpricedCount > 0 && (
            <span className="warn-text"> (plus {formatCount(r.unpricedCount)} requests whose model had no price: their cost is unknown)</span>
          )}
        </>
      )}
    </p>
  );
}

function Row({ e }: { e: AuditEntry }) {
  const paid = e.action === 'teacher.request';
  return (
    <tr data-testid="audit-row" data-action={e.action} data-actor={e.actor}>
      <td className="mono">{formatDateTime(e.at)}</td>
      <td>{e.actor}</td>
      <td className="mono">{e.action}</td>
      <td className="audit-details" title={JSON.stringify(e.details, null, 1)}>
        {describeAudit(e)}
      </td>
      <td className="num">{paid || e.promptTokens !== null ? `${formatCount(e.promptTokens ?? 0)} / ${formatCount(e.completionTokens ?? 0)}` : ''}</td>
      <td className="num" data-testid="audit-cost">
        {paid ? (e.costUsd === null ? 'unknown' : formatUsd(e.costUsd)) : ''}
      </td>
    </tr>
  );
}
