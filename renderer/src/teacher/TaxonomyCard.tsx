// The classes of the project and the ones the teacher answers with: add, rename and define classes (each change
// audited by the core), choose which the teacher may use, and add a built-in set only after saying what changes.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { TaxonomyClass, TaxonomySet, TeacherSettings } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { Modal } from '../components/Modal.js';
import { messageOf } from '../lib/errors.js';

interface Props {
  settings: TeacherSettings;
  onSettings(s: TeacherSettings): void;
}

/** The set that shares most classes with the project, or '' when none does (never a set that does not fit). */
export function suggestedSet(sets: TaxonomySet[], classes: TaxonomyClass[]): string {
  const have = new Set(classes.map((c) => c.name.toLowerCase()));
  let best = '';
  let bestOverlap = 0;
  for (const s of sets) {
    const overlap = s.classes.filter((c) => have.has(c.name.toLowerCase())).length;
    if (overlap > bestOverlap) ((best = s.id), (bestOverlap = overlap));
  }
  return best;
}

export function TaxonomyCard({ settings, onSettings }: Props) {
  const [sets, setSets] = useState<TaxonomySet[]>([]);
  const [classes, setClasses] = useState<TaxonomyClass[]>([]);
  const [setId, setSetId] = useState('');
  const [asking, setAsking] = useState<TaxonomySet | null>(null);
  const [editing, setEditing] = useState<{ from: string; name: string; description: string } | null>(null);
  const [draft, setDraft] = useState({ name: '', description: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = useCallback(async (what: string, fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
      setError(null);
    } catch (e) {
      setError(`${what}: ${messageOf(e)}`);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void act('Loading the taxonomy', async () => {
      const [allSets, all] = await Promise.all([api.listTaxonomySets(), api.listTaxonomy()]);
      setSets(allSets);
      setClasses(all);
      setSetId(suggestedSet(allSets, all));
    });
  }, [act]);

  const configured = settings.config.classNames;
  const teacherUses = useMemo(() => new Set(configured.length ? configured : classes.map((c) => c.name)), [configured, classes]);
  const have = useMemo(() => new Set(classes.map((c) => c.name.toLowerCase())), [classes]);

  const setUses = (name: string, on: boolean) =>
    void act('Changing the teacher taxonomy', async () => {
      const current = configured.length ? configured : classes.map((c) => c.name);
      const next = on ? [...current.filter((n) => n !== name), name] : current.filter((n) => n !== name);
      if (next.length < 2) throw new Error('the teacher needs at least two classes to choose from');
      onSettings(await api.updateTeacherConfig({ classNames: next }));
    });

  const apply = (set: TaxonomySet, mode: 'replace' | 'merge') =>
    void act('Adding the set', async () => {
      setAsking(null);
      onSettings(await api.applyTaxonomySet(set.id, mode));
      setClasses(await api.listTaxonomy());
    });

  const saveEdit = () =>
    void act('Saving the class', async () => {
      if (!editing) return;
      const name = editing.name.trim();
      let all = classes;
      if (name !== editing.from) {
        all = await api.renameTaxonomyClass(editing.from, name);
        onSettings(await api.getTeacherSettings());
      }
      const before = all.find((c) => c.name === name);
      if (!before || before.description !== editing.description.trim()) all = await api.saveTaxonomyClass({ name, description: editing.description });
      setClasses(all);
      setEditing(null);
    });

  const add = () =>
    void act('Adding the class', async () => {
      const name = draft.name.trim();
      if (!name) throw new Error('type a class name');
      if (classes.some((c) => c.name === name)) throw new Error(`a class named ${JSON.stringify(name)} already exists`);
      setClasses(await api.saveTaxonomyClass({ name, description: draft.description }));
      // A teacher limited to chosen classes gets the new one too: adding a class here means "use it".
      if (configured.length) onSettings(await api.updateTeacherConfig({ classNames: [...configured, name] }));
      setDraft({ name: '', description: '' });
    });

  return (
    <div className="card" data-testid="teacher-taxonomy-card">
      <h2>Taxonomy</h2>
      <p className="muted small">
        The classes of this project, each with the definition the teacher is shown. Ticked classes are the ones the teacher may answer with. Every change is
        recorded in the audit log.
      </p>
      {classes.length > 0 ? (
        <div className="table-scroll">
          <table className="runs taxonomy-table" data-testid="teacher-taxonomy">
            <thead>
              <tr>
                <th title="The teacher may answer with this class">Teacher</th>
                <th>Class</th>
                <th>Definition (shown to the teacher)</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {classes.map((c) =>
                editing?.from === c.name ? (
                  <tr key={c.name} data-testid="taxonomy-row" data-class={c.name}>
                    <td />
                    <td>
                      <input
                        value={editing.name}
                        onChange={(e) => setEditing({ ...editing, name: e.target.value })}
                        aria-label="Class name"
                        data-testid="taxonomy-name-input"
                      />
                    </td>
                    <td>
                      <textarea
                        value={editing.description}
                        rows={2}
                        onChange={(e) => setEditing({ ...editing, description: e.target.value })}
                        aria-label="Definition"
                        data-testid="taxonomy-desc-input"
                      />
                    </td>
                    <td className="taxonomy-actions">
                      <button type="button" className="primary" onClick={saveEdit} disabled={busy || !editing.name.trim()} data-testid="taxonomy-save">
                        Save
                      </button>
                      <button type="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </td>
                  </tr>
                ) : (
                  <tr key={c.name} data-testid="taxonomy-row" data-class={c.name}>
                    <td>
                      <input
                        type="checkbox"
                        checked={teacherUses.has(c.name)}
                        disabled={busy}
                        onChange={(e) => setUses(c.name, e.target.checked)}
                        aria-label={`Teacher may answer ${c.name}`}
                        data-testid="taxonomy-uses"
                      />
                    </td>
                    <td className="taxonomy-name">{c.name}</td>
                    <td className={c.description ? 'taxonomy-desc' : 'taxonomy-desc muted'} data-testid="taxonomy-desc">
                      {c.description || 'No definition yet: the teacher sees only the name. Edit to add one.'}
                    </td>
                    <td className="taxonomy-actions">
                      <button
                        type="button"
                        onClick={() => setEditing({ from: c.name, name: c.name, description: c.description })}
                        disabled={busy}
                        data-testid="taxonomy-edit"
                      >
                        Edit
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">No classes yet: add your own below, import labelled folders, or add a built-in set.</p>
      )}
      <div className="row taxonomy-add">
        <input
          value={draft.name}
          placeholder="new class name"
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          data-testid="taxonomy-add-name"
          aria-label="New class name"
        />
        <input
          value={draft.description}
          placeholder="its definition, one sentence"
          onChange={(e) => setDraft({ ...draft, description: e.target.value })}
          data-testid="taxonomy-add-desc"
          aria-label="New class definition"
        />
        <button type="button" onClick={add} disabled={busy || !draft.name.trim()} data-testid="taxonomy-add">
          Add class
        </button>
      </div>
      <div className="row">
        <select value={setId} onChange={(e) => setSetId(e.target.value)} data-testid="teacher-taxonomy-set" aria-label="Built-in set">
          <option value="">Choose a built-in set…</option>
          {sets.map((s) => {
            const overlap = s.classes.filter((c) => have.has(c.name.toLowerCase())).length;
            return (
              <option key={s.id} value={s.id}>
                {s.title}
                {overlap > 0 ? ` · ${overlap} already in this project` : ''}
              </option>
            );
          })}
        </select>
        <button
          type="button"
          disabled={!setId || busy}
          data-testid="teacher-taxonomy-apply"
          onClick={() => setAsking(sets.find((s) => s.id === setId) ?? null)}
        >
          Add this set…
        </button>
      </div>
      {error && (
        <p className="action-error error-text" role="alert" data-testid="teacher-error-taxonomy">
          {error}
        </p>
      )}
      {asking && <ApplyDialog set={asking} current={[...teacherUses]} onCancel={() => setAsking(null)} onApply={(mode) => apply(asking, mode)} />}
    </div>
  );
}

function ApplyDialog(props: { set: TaxonomySet; current: string[]; onCancel(): void; onApply(mode: 'replace' | 'merge'): void }) {
  const names = props.set.classes.map((c) => c.name);
  const added = names.filter((n) => !props.current.includes(n));
  const dropped = props.current.filter((n) => !names.includes(n));
  return (
    <Modal title={`Add “${props.set.title}”?`} className="egress-dialog" testId="taxonomy-apply-dialog" onClose={props.onCancel}>
      <p>
        {added.length > 0 ? (
          <>
            Adds {added.length} classes: {added.join(', ')}.
          </>
        ) : (
          'All its classes are already here; their definitions you wrote are kept.'
        )}
      </p>
      {dropped.length > 0 && (
        <p data-testid="taxonomy-apply-dropped">
          The teacher now answers with {props.current.length} classes. <strong>Use only this set</strong> would stop it from answering {dropped.join(', ')} (the
          classes and their labels stay). <strong>Add to the current classes</strong> keeps them.
        </p>
      )}
      <div className="row">
        <button type="button" className="primary" onClick={() => props.onApply('merge')} data-testid="taxonomy-apply-merge">
          Add to the current classes
        </button>
        {dropped.length > 0 && (
          <button type="button" onClick={() => props.onApply('replace')} data-testid="taxonomy-apply-replace">
            Use only this set
          </button>
        )}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
