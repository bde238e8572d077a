// Train: one button with defaults from the data size and the hardware, live progress (phase, loss curve, ETA,
// execution provider), Cancel; the new version with its metrics, activated only if it is no worse than the active
// one on the same validation images (else the operator decides). Below: model versions with their data, metrics,
// confusion matrix and per-class recall; activate / roll back; compare two versions; classify the library.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { JobInfo, ModelComparison, ModelVersionDetail, ModelVersionSummary, TrainingPlan } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { watchJob } from '../api/jobs.js';
import { Modal } from '../components/Modal.js';
import { formatDateTime } from '../lib/format.js';
import { isActive, progressFraction } from '../lib/jobs.js';
import { aboutDuration, formatClock, pct } from '../lib/plots.js';
import { ConfusionMatrix, LossChart, RecallBars, ReliabilityDiagram } from './plots.js';
import './train.css';
import { messageOf } from '../lib/errors.js';

interface Props {
  jobsVersion: number;
  onJob(job: JobInfo): void;
  onError(message: string): void;
}

// A finished job says how it ended, not the last phase it reported.
const FINAL_WORDS: Record<string, string> = { done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

const PHASE_WORDS: Record<string, string> = {
  reading: 'Reading images',
  stem: 'Learning the texture dictionary',
  features: 'Computing features (cached ones reused)',
  head: 'Training on 2/3, scoring the held-out 1/3',
  final: 'Training the shipped version on every reviewed image',
  saving: 'Saving and comparing with the active version',
};

export function TrainView({ jobsVersion, onJob, onError }: Props) {
  const [preset, setPreset] = useState<string>('');
  // Quick update: the active version's stem and cached features, heads only (seconds instead of a minute).
  const [quick, setQuick] = useState(false);
  const [plan, setPlan] = useState<TrainingPlan | null>(null);
  const [job, setJob] = useState<JobInfo | null>(null);
  const [versions, setVersions] = useState<ModelVersionSummary[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [detail, setDetail] = useState<ModelVersionDetail | null>(null);
  const [classifyJob, setClassifyJob] = useState<JobInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** A rollback waits for the operator's confirmation. */
  const [confirmRollback, setConfirmRollback] = useState<{ to: number; from: number } | null>(null);

  const guard = useCallback(
    async (what: string, f: () => Promise<void>) => {
      setBusy(true);
      try {
        await f();
      } catch (e) {
        onError(`${what}: ${messageOf(e)}`);
      } finally {
        setBusy(false);
      }
    },
    [onError],
  );

  const reload = useCallback(async () => {
    const [p, v] = await Promise.all([api.getTrainingPlan({ ...(preset ? { preset } : {}), ...(quick ? { quick } : {}) }), api.listModelVersions()]);
    setPlan(p);
    setVersions(v);
    setSelected((s) => s ?? v.find((x) => x.active)?.id ?? v[0]?.id ?? null);
  }, [preset, quick]);

  useEffect(() => {
    reload().catch((e: unknown) => onError(`Train view: ${messageOf(e)}`));
  }, [reload, onError]);

  // A run that was going when the view opened (a reload, another window).
  useEffect(() => {
    api.listJobs(20).then(
      (jobs) => {
        const running = jobs.find((j) => j.kind === 'train' && isActive(j));
        if (running) setJob(running);
      },
      () => undefined,
    );
  }, []);

  // Follow the running job from its pushed events: progress (loss curve, ETA) is in each one, read from the jobs row.
  const jobId = job?.id ?? null;
  useEffect(() => {
    if (jobId == null) return;
    return watchJob(jobId, (j) => {
      setJob(j);
      if (!isActive(j)) {
        reload().catch(() => undefined);
        if (j.state === 'done' && j.kind === 'train' && j.result) setSelected(j.result.modelVersion);
      }
    });
  }, [jobId, reload]);

  useEffect(() => {
    if (selected == null) {
      setDetail(null);
      return;
    }
    let live = true;
    api.getModelVersion(selected).then(
      (d) => live && setDetail(d),
      (e: unknown) => live && onError(`Model version ${selected}: ${messageOf(e)}`),
    );
    return () => {
      live = false;
    };
  }, [selected, versions, jobsVersion, onError]);

  // Classification job state, from its events.
  const classifyId = classifyJob?.id ?? null;
  useEffect(() => {
    if (classifyId == null) return;
    return watchJob(classifyId, (j) => {
      setClassifyJob(j);
      if (!isActive(j)) void reload();
    });
  }, [classifyId, reload]);

  const start = () =>
    guard('Training could not start', async () => {
      setNotice(null);
      const j = await api.startTraining({ ...(preset ? { preset } : {}), ...(quick ? { quick } : {}) });
      onJob(j);
      setJob(j);
    });

  const activate = (id: number, verb: string) =>
    guard(`${verb} failed`, async () => {
      const r = await api.activateModelVersion(id);
      // One truth on the page: the version now active is the one selected, described and offered for export.
      setSelected(r.active.id);
      setNotice(
        `v${r.active.id} is active now${r.previous ? ` (was v${r.previous})` : ''}.` +
          (r.restoredPredictions ? ` Its predictions are shown again on ${r.restoredPredictions} image${r.restoredPredictions === 1 ? '' : 's'}.` : '') +
          (r.otherPredictions
            ? ` ${r.otherPredictions} image${r.otherPredictions === 1 ? ' has a prediction' : 's have predictions'} from other versions: classify again to update.`
            : ''),
      );
      await reload();
    });

  const classify = () =>
    guard('Classification could not start', async () => {
      const j = await api.startClassify({});
      onJob(j);
      setClassifyJob(j);
    });

  const running = job != null && isActive(job);
  const progress = job?.progress.train ?? null;
  const outcome = job?.kind === 'train' ? job.result : null;
  const active = versions.find((v) => v.active) ?? null;
  const fraction = job && running ? progressFraction(job.progress) : null;

  return (
    <div className="view train-view" data-testid="train-view">
      <h1>Train the student</h1>
      <p className="muted">
        The student learns from reviewed labels (folder labels, operator labels, accepted teacher proposals) on this PC. A new version becomes active only if it
        does at least as well as the active one on the same held-out images.
      </p>

      <section className="card train-card">
        <div className="train-start">
          <div>
            {plan ? (
              plan.blocked ? (
                <p className="train-blocked" data-testid="train-blocked">
                  {plan.blocked}
                </p>
              ) : (
                <p data-testid="train-plan">
                  <strong>{plan.images}</strong> reviewed images in <strong>{Object.keys(plan.classes).length}</strong> classes ·{' '}
                  <strong data-testid="train-estimate">
                    {aboutDuration(plan.estimatedSeconds)} on {plan.provider === 'cpu' ? 'CPU' : plan.provider.toUpperCase()}
                  </strong>{' '}
                  · {plan.quick && plan.quickFrom != null ? <>quick update of v{plan.quickFrom}, </> : null}preset <span className="mono">{plan.preset}</span>,
                  at most {plan.minutes} min
                  <br />
                  <span className="muted small">{plan.reason}</span>
                </p>
              )
            ) : (
              <p className="muted">Reading the library…</p>
            )}
          </div>
          <label className="field">
            <span className="field-label">Preset</span>
            <select data-testid="train-preset" value={preset} onChange={(e) => setPreset(e.target.value)} disabled={running}>
              <option value="">Automatic</option>
              {(plan?.presets ?? ['default', 'fast', 'multi', 'large']).map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          {(plan?.quickFrom != null || quick) && (
            <label
              className="checkbox"
              title="Keep the active version's texture stem and its cached image features; compute features only for new images and train the classifier head again"
            >
              <input type="checkbox" data-testid="train-quick" checked={quick} onChange={(e) => setQuick(e.target.checked)} disabled={running} />
              Quick update (reuse features)
            </label>
          )}
          {running ? (
            <button
              type="button"
              data-testid="train-cancel"
              onClick={() => job && void api.cancelJob(job.id).then(setJob, (e: unknown) => onError(messageOf(e)))}
            >
              Cancel
            </button>
          ) : (
            <button
              type="button"
              className="primary big"
              data-testid="train-start"
              disabled={busy || !plan || plan.blocked != null}
              onClick={() => void start()}
            >
              Train
            </button>
          )}
        </div>

        {job && (
          <div className="train-progress" data-testid="train-progress" data-state={job.state}>
            <div className="train-stats">
              <span>
                <span className="muted">Phase</span>{' '}
                <strong data-testid="train-phase">
                  {!running ? (FINAL_WORDS[job.state] ?? job.state) : progress?.phase ? (PHASE_WORDS[progress.phase] ?? progress.phase) : 'Starting'}
                </strong>
                {progress?.phase && running ? ` ${job.progress.done}/${job.progress.total ?? 0}` : ''}
              </span>
              <span>
                <span className="muted">Elapsed</span> {formatClock(progress?.elapsedS ?? 0)}
              </span>
              <span>
                <span className="muted">ETA</span> <span data-testid="train-eta">{running ? formatClock(progress?.etaS ?? null) : '—'}</span>
              </span>
              <span>
                <span className="muted">Provider</span>{' '}
                <span className="mono" data-testid="train-provider">
                  {progress?.provider ?? plan?.provider ?? '—'}
                </span>
              </span>
              <span>
                <span className="muted">Validation accuracy</span>{' '}
                <strong data-testid="train-val-acc">{outcome ? pct(outcome.valAccuracy) : 'after the split run'}</strong>
              </span>
            </div>
            {running && (
              <div className={`progress${fraction == null ? ' indeterminate' : ''}`} role="progressbar" aria-label="Training">
                <div className="progress-fill" style={fraction == null ? undefined : { width: `${(fraction * 100).toFixed(1)}%` }} />
              </div>
            )}
            <LossChart points={progress?.points ?? []} />
            {!running && job.state === 'cancelled' && <p className="muted">Cancelled. The active version is unchanged.</p>}
            {!running && job.state === 'failed' && <p className="error-text">Training failed: {job.error}</p>}
            {!running && outcome && outcome.status === 'completed' && (
              <div
                className={`train-outcome ${outcome.activated ? 'ok' : 'warn'}`}
                data-testid="train-outcome"
                data-version={outcome.modelVersion}
                data-activated={outcome.activated}
              >
                <strong>
                  Version v{outcome.modelVersion}: validation accuracy {pct(outcome.valAccuracy)}, macro-F1 {pct(outcome.valMacroF1)}
                </strong>{' '}
                · {outcome.images} images · {outcome.trainSeconds.toFixed(0)} s on {outcome.provider}
                {outcome.mode === 'quick' && outcome.features ? (
                  <span data-testid="train-outcome-quick">
                    {' '}
                    (quick update: features computed for {outcome.features.extracted} image{outcome.features.extracted === 1 ? '' : 's'},{' '}
                    {outcome.features.cached} reused)
                  </span>
                ) : null}
                .{' '}
                {outcome.activated && active?.id === outcome.modelVersion ? (
                  <span>It is active now.</span>
                ) : outcome.activated ? (
                  <span data-testid="train-outcome-superseded">
                    {active ? `It was activated; v${active.id} is active now.` : 'It was activated; no version is active now.'}
                  </span>
                ) : (
                  <span>
                    It did worse than the active v{outcome.activeVersion} on the same validation images, so v{outcome.activeVersion} stays active.{' '}
                    <button type="button" data-testid="train-activate-anyway" onClick={() => void activate(outcome.modelVersion, 'Activating')}>
                      Activate v{outcome.modelVersion} anyway
                    </button>
                  </span>
                )}
              </div>
            )}
          </div>
        )}
      </section>

      {notice && (
        <div className="banner" role="status" data-testid="train-notice">
          <span>{notice}</span>
          <button type="button" className="icon" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}

      <section className="card">
        <div className="row-between">
          <h2>Model versions</h2>
          <div className="row">
            <button
              type="button"
              data-testid="classify-library"
              disabled={!active || busy || (classifyJob != null && isActive(classifyJob))}
              onClick={() => void classify()}
            >
              Classify the library with {active ? `v${active.id}` : 'the active version'}
            </button>
          </div>
        </div>
        <ModelFiles
          selected={versions.find((v) => v.id === selected && v.status === 'completed') ?? null}
          onNotice={setNotice}
          onImported={async (id) => {
            await reload();
            setSelected(id);
          }}
          onError={onError}
        />
        {classifyJob && <ClassifyStatus job={classifyJob} />}
        {versions.length === 0 ? (
          <p className="muted" data-testid="versions-empty">
            {plan?.blocked
              ? 'No model yet. Once two or more classes have reviewed labels (a labelled folder import, accepted teacher proposals or your own labels in Review), Train makes the first version here.'
              : 'No model yet: Train above makes the first version; it appears here with its metrics.'}
          </p>
        ) : (
          <div className="table-scroll">
            <p className="muted" data-testid="segmenter-in-use">
              {(() => {
                const seg = versions.find((v) => v.segmenter?.inUse);
                return seg
                  ? `Particle measurement uses the segmenter of v${seg.id}${seg.segmenter?.only ? ' (trained from masks alone; such versions are never active)' : ''}: the newest trained segmenter.`
                  : 'Particle measurement uses the classical default (no segmenter trained yet: import or draw masks, then Train).';
              })()}
            </p>
            <table className="runs versions" data-testid="versions-table">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Parent</th>
                  <th>Status</th>
                  <th>Preset</th>
                  <th className="num">Images</th>
                  <th className="num">Val. accuracy</th>
                  <th className="num">Macro-F1</th>
                  <th>Provider</th>
                  <th className="num">Duration</th>
                  <th>Trained</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr
                    key={v.id}
                    data-testid="version-row"
                    data-version={v.id}
                    data-active={v.active}
                    className={selected === v.id ? 'selected' : ''}
                    onClick={() => setSelected(v.id)}
                  >
                    <td>
                      <strong>v{v.id}</strong>{' '}
                      {v.active && (
                        <span className="chip chip-active" data-testid="active-badge">
                          active
                        </span>
                      )}
                      {v.segmenter?.inUse && (
                        <span
                          className="chip chip-active"
                          data-testid="segmenter-badge"
                          title="Its particle segmenter measures particles (the newest segmenter is used)"
                        >
                          segmenter in use
                        </span>
                      )}
                    </td>
                    <td>{v.parentId ? `v${v.parentId}` : '—'}</td>
                    <td className={v.status === 'failed' ? 'error-text' : v.status === 'completed' ? '' : 'muted'} title={v.error ?? undefined}>
                      {v.status}
                    </td>
                    <td className="mono">
                      {v.segmenter?.only ? 'segmenter only' : v.preset}
                      {v.mode === 'quick' ? ' · quick' : ''}
                      {v.segmenter?.present && !v.segmenter.only ? ' · segmenter' : ''}
                    </td>
                    <td className="num">{v.images ?? '—'}</td>
                    <td className="num">{pct(v.valAccuracy)}</td>
                    <td className="num">{pct(v.valMacroF1)}</td>
                    <td className="mono">{v.provider ?? '—'}</td>
                    <td className="num">{v.durationS != null ? `${v.durationS.toFixed(0)} s` : '—'}</td>
                    <td className="muted nowrap" data-testid="version-trained">
                      {formatDateTime(v.createdAt)}
                    </td>
                    <td>
                      {v.status === 'completed' && !v.active && !v.segmenter?.only && (
                        <button
                          type="button"
                          data-testid="version-activate"
                          disabled={busy}
                          onClick={(e) => {
                            e.stopPropagation();
                            if (active && v.id < active.id) setConfirmRollback({ to: v.id, from: active.id });
                            else void activate(v.id, 'Activating');
                          }}
                        >
                          {active && v.id < active.id ? 'Roll back' : 'Activate'}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {detail && <VersionDetail detail={detail} />}
      </section>

      {confirmRollback && (
        <Modal title={`Roll back to v${confirmRollback.to}?`} className="egress-dialog" testId="rollback-dialog" onClose={() => setConfirmRollback(null)}>
          <p>
            v{confirmRollback.to} becomes the active version: the review queue, the chat and classification use it, and its earlier predictions are shown again.
            v{confirmRollback.from} stays in the table and can be activated again.
          </p>
          <div className="row">
            <button
              type="button"
              className="primary"
              data-testid="rollback-confirm"
              onClick={() => {
                const to = confirmRollback.to;
                setConfirmRollback(null);
                void activate(to, 'Rolling back');
              }}
            >
              Roll back to v{confirmRollback.to}
            </button>
            <button type="button" onClick={() => setConfirmRollback(null)}>
              Cancel
            </button>
          </div>
        </Modal>
      )}

      {versions.filter((v) => v.status === 'completed').length >= 2 && (
        <Compare versions={versions.filter((v) => v.status === 'completed')} onError={onError} />
      )}
    </div>
  );
}

/** Export the selected version as files (ONNX + manifest) for others; import such a folder as a new inactive version. */
function ModelFiles({
  selected,
  onNotice,
  onImported,
  onError,
}: {
  selected: ModelVersionSummary | null;
  onNotice(m: string): void;
  onImported(id: number): Promise<void>;
  onError(m: string): void;
}) {
  const [open, setOpen] = useState<'export' | 'import' | null>(null);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      if (open === 'export' && selected) {
        const r = await api.exportModelVersion(selected.id, path.trim());
        onNotice(`v${r.version} exported to ${r.dir}: ${r.files.join(', ')} (${(r.bytes / 1024).toFixed(0)} KiB).`);
      } else if (open === 'import') {
        const v = await api.importModelVersion(path.trim());
        onNotice(`Imported as v${v.id} (${v.classes.join(', ')}), not active: activate it in the table when you want to use it.`);
        await onImported(v.id);
      }
      setOpen(null);
      setPath('');
    } catch (e) {
      onError(`${open === 'export' ? 'Export' : 'Import'} failed: ${messageOf(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="model-files" data-testid="model-files">
      <div className="row">
        <button
          type="button"
          data-testid="model-export-open"
          disabled={!selected || busy}
          title={selected ? undefined : 'Select a completed version in the table first'}
          onClick={() => setOpen(open === 'export' ? null : 'export')}
        >
          Export {selected ? `v${selected.id}` : 'version'}…
        </button>
        <button type="button" data-testid="model-import-open" disabled={busy} onClick={() => setOpen(open === 'import' ? null : 'import')}>
          Import…
        </button>
      </div>
      {open && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label className="small">
            {open === 'export' ? 'New or empty folder (on the machine running Emma):' : 'Folder with an exported student.json and its ONNX files:'}{' '}
            <input type="text" size={48} value={path} onChange={(e) => setPath(e.target.value)} data-testid="model-files-path" placeholder="/path/to/folder" />
          </label>
          <button type="submit" className="primary" disabled={busy || !path.trim()} data-testid="model-files-submit">
            {busy ? (open === 'export' ? 'Exporting…' : 'Checking…') : open === 'export' ? 'Export' : 'Import'}
          </button>
        </form>
      )}
    </div>
  );
}

function ClassifyStatus({ job }: { job: JobInfo }) {
  const r = job.kind === 'classify' ? job.result : null;
  if (isActive(job)) {
    const f = progressFraction(job.progress);
    return (
      <div className="row" data-testid="classify-status" data-state={job.state}>
        <div className={`progress${f == null ? ' indeterminate' : ''}`} style={{ width: 240 }}>
          <div className="progress-fill" style={f == null ? undefined : { width: `${(f * 100).toFixed(1)}%` }} />
        </div>
        <span className="muted">{job.progress.message}</span>
      </div>
    );
  }
  return (
    <p className="small" data-testid="classify-status" data-state={job.state}>
      {job.state === 'failed'
        ? `Classification failed: ${job.error}`
        : r
          ? `v${r.modelVersion} classified ${r.classified} image${r.classified === 1 ? '' : 's'}${r.skipped ? ` (${r.skipped} already had its prediction)` : ''}${r.failed.length ? `, ${r.failed.length} could not be read` : ''}${r.cancelled ? ' before it was cancelled' : ''}: ` +
            Object.entries(r.classes)
              .map(([c, n]) => `${c} ${n}`)
              .join(', ') +
            '. Predictions are student proposals in the Review view.'
          : job.state}
    </p>
  );
}

function VersionDetail({ detail: d }: { detail: ModelVersionDetail }) {
  const m = d.metrics;
  return (
    <div className="version-detail" data-testid="version-detail" data-version={d.id}>
      <h3>
        v{d.id} {d.active ? '(active)' : ''} — {d.status}
        {d.parentId ? `, trained while v${d.parentId} was active` : ''}
      </h3>
      <div className="detail-grid">
        <div>
          <h4>Training data</h4>
          <dl className="kv">
            <dt>Images</dt>
            <dd data-testid="detail-images">
              {d.data.images} ({d.data.train} train · {d.data.val} validation)
            </dd>
            <dt>Sources</dt>
            <dd data-testid="detail-sources">
              {Object.entries(d.data.sources)
                .map(([s, n]) => `${n} ${s}`)
                .join(', ') || '—'}
            </dd>
            <dt>Classes</dt>
            <dd>
              {Object.entries(d.data.classes)
                .map(([c, n]) => `${c} ${n}`)
                .join(', ')}
            </dd>
            <dt>{d.data.importedFrom ? 'Origin' : 'Split'}</dt>
            <dd className="small" data-testid="detail-split">
              {d.data.split}
            </dd>
          </dl>
          <h4>Run</h4>
          <dl className="kv">
            <dt>Preset</dt>
            <dd className="mono">{d.preset}</dd>
            <dt>Provider</dt>
            <dd className="mono">{d.provider ?? '—'}</dd>
            <dt>Duration</dt>
            <dd>{d.durationS != null ? `${d.durationS.toFixed(1)} s` : '—'}</dd>
            <dt>Head steps</dt>
            <dd>{d.headSteps ?? '—'}</dd>
            <dt>Predictions shown</dt>
            <dd>{d.predictions} images</dd>
            {d.error && (
              <>
                <dt>Error</dt>
                <dd className="error-text">{d.error}</dd>
              </>
            )}
          </dl>
        </div>
        <div>
          {m ? (
            <>
              <h4>
                Validation: accuracy <span data-testid="detail-accuracy">{pct(m.accuracy)}</span>, macro-F1 {pct(m.macroF1)} on {m.n} held-out images
              </h4>
              <ConfusionMatrix labels={m.labels} confusion={m.confusion} />
              <h4>Recall per class</h4>
              <RecallBars rows={m.labels.map((c) => ({ className: c, a: m.perClass[c]?.n ? m.perClass[c].recall : null }))} />
            </>
          ) : (
            <p className="muted">No validation metrics (the run did not finish, or there were no held-out images).</p>
          )}
          <h4 data-testid="calibration-label">
            {d.calibration
              ? `Calibration: ECE ${pct(d.calibration.ece)} (${d.calibration.bins} equal-width bins of top-class probability) on ${d.calibration.n} validation images — ` +
                (d.calibration.source === 'split-run'
                  ? 'the split-run head (trained on 2/3) on the held-out 1/3, at training time'
                  : 'recomputed with the shipped model, which also trained on these images (optimistic)')
              : 'Calibration: not available (no validation images for this version)'}
          </h4>
          {d.calibration?.temperature !== undefined && (
            <p className="muted small" data-testid="calibration-temperature">
              Confidences shown by this version are tempered with T = {d.calibration.temperature.toFixed(2)}, fitted on these validation images
              {d.calibration.eceTempered !== undefined ? ` (ECE there ${pct(d.calibration.eceTempered)} after it, optimistic: the same images)` : ''}; the
              diagram is before it.
            </p>
          )}
          {d.calibration && <ReliabilityDiagram bins={d.calibration.reliability} />}
        </div>
      </div>
    </div>
  );
}

function Compare({ versions, onError }: { versions: ModelVersionSummary[]; onError(m: string): void }) {
  const [a, setA] = useState<number>(versions[1]?.id ?? versions[0].id);
  const [b, setB] = useState<number>(versions[0].id);
  const [result, setResult] = useState<ModelComparison | null>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);
  const run = async () => {
    const n = ++seq.current;
    setBusy(true);
    try {
      const r = await api.compareModelVersions(a, b);
      if (n === seq.current) setResult(r);
    } catch (e) {
      onError(`Compare: ${messageOf(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" data-testid="compare">
      <h2>Compare two versions</h2>
      <div className="row">
        <select value={a} onChange={(e) => setA(Number(e.target.value))} data-testid="compare-a">
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              v{v.id}
            </option>
          ))}
        </select>
        <span className="muted">vs</span>
        <select value={b} onChange={(e) => setB(Number(e.target.value))} data-testid="compare-b">
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              v{v.id}
            </option>
          ))}
        </select>
        <button type="button" disabled={busy || a === b} onClick={() => void run()} data-testid="compare-run">
          {busy ? 'Comparing…' : 'Compare'}
        </button>
      </div>
      {result && (
        <div data-testid="compare-result" data-basis={result.basis}>
          <p className="small">{result.note}</p>
          <table className="runs">
            <thead>
              <tr>
                <th />
                <th className="num">v{result.a}</th>
                <th className="num">v{result.b}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Accuracy</td>
                <td className="num">{pct(result.accuracy.a)}</td>
                <td className="num">{pct(result.accuracy.b)}</td>
              </tr>
              <tr>
                <td>Macro-F1</td>
                <td className="num">{pct(result.macroF1.a)}</td>
                <td className="num">{pct(result.macroF1.b)}</td>
              </tr>
              {result.agreement && (
                <tr>
                  <td>
                    Right: both / only v{result.a} / only v{result.b} / neither
                  </td>
                  <td className="num" colSpan={2}>
                    {result.agreement.both} / {result.agreement.onlyA} / {result.agreement.onlyB} / {result.agreement.neither}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <h4>Recall per class</h4>
          <RecallBars rows={result.perClassRecall} legend={[`v${result.a}`, `v${result.b}`]} />
        </div>
      )}
    </section>
  );
}
