// The teacher: where the lab lead connects a vision-language model, decides whether images may leave the PC,
// picks the taxonomy, and starts batch runs with a budget; runs show their cost so far.
import { useCallback, useEffect, useState } from 'react';
import type { JobInfo, TeacherCapabilities, TeacherPrice, TeacherProvider, TeacherRunSummary, TeacherSettings } from '../../../main/core/contract.js';
import { api } from '../api/index.js';
import { Modal } from '../components/Modal.js';
import { TaxonomyCard } from './TaxonomyCard.js';
import { formatCount } from '../lib/format.js';
import { formatUsd, parseOptionalNumber } from './format.js';
import { messageOf } from '../lib/errors.js';

interface TeacherViewProps {
  /** Changes whenever a job changes, so run totals stay current. */
  jobsVersion: number;
  onJob(job: JobInfo): void;
  onError(message: string): void;
}

const PROVIDERS: { id: TeacherProvider; label: string; hint: string }[] = [
  { id: 'openai', label: 'OpenAI', hint: 'https://api.openai.com/v1' },
  { id: 'azure', label: 'Azure OpenAI', hint: 'https://<resource>.openai.azure.com' },
  { id: 'compatible', label: 'OpenAI-compatible server', hint: 'e.g. http://localhost:11434/v1 (Ollama), vLLM, LM Studio' },
];

const OPENAI_URL = 'https://api.openai.com/v1';

/**
 * A new provider gets its own address: OpenAI's URL is filled in for OpenAI and cleared for the others (their
 * placeholder says what to type). An address the operator typed for another server is kept.
 */
function switchProvider<T extends { provider: TeacherProvider; baseUrl: string }>(draft: T, provider: TeacherProvider): T {
  const url = draft.baseUrl.trim();
  const stock = url === '' || url.replace(/\/+$/, '') === OPENAI_URL || /\.openai\.azure\.com\/?$/i.test(url);
  if (!stock || provider === draft.provider) return { ...draft, provider };
  return { ...draft, provider, baseUrl: provider === 'openai' ? OPENAI_URL : '' };
}

export function TeacherView({ jobsVersion, onJob, onError }: TeacherViewProps) {
  const [settings, setSettings] = useState<TeacherSettings | null>(null);
  const [runs, setRuns] = useState<TeacherRunSummary[]>([]);
  const [probe, setProbe] = useState<TeacherCapabilities | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [draft, setDraft] = useState({ provider: 'openai' as TeacherProvider, baseUrl: '', model: '', azureApiVersion: '' });
  const [key, setKey] = useState('');
  const [run, setRun] = useState({ limit: '', concurrency: '4', budgetUsd: '', budgetTokens: '' });
  const [priceDraft, setPriceDraft] = useState<PriceRow[]>([]);
  const [askEgress, setAskEgress] = useState(false);
  // Errors shown beside the action that caused them; each is cleared when its action next succeeds.
  const [errors, setErrors] = useState<Partial<Record<Slot, string>>>({});

  const guard = useCallback(async (what: string, slot: Slot, fn: () => Promise<void>) => {
    setBusy(what);
    try {
      await fn();
      setErrors((prev) => ({ ...prev, [slot]: undefined }));
    } catch (e) {
      setErrors((prev) => ({ ...prev, [slot]: `${what}: ${messageOf(e)}` }));
    } finally {
      setBusy(null);
    }
  }, []);

  const adopt = useCallback((s: TeacherSettings) => {
    setSettings(s);
    setDraft({
      provider: s.config.provider,
      baseUrl: s.config.baseUrl,
      model: s.config.model,
      azureApiVersion: s.config.azureApiVersion ?? '',
    });
    setProbe(s.capabilities);
    setPriceDraft(priceRows(s.config.prices, s.config.model));
  }, []);

  useEffect(() => {
    void guard('Loading teacher settings', 'load', async () => {
      adopt(await api.getTeacherSettings());
    });
  }, [adopt, guard]);

  useEffect(() => {
    api.listTeacherRuns(20).then(setRuns, (e: unknown) => onError(`Loading runs: ${messageOf(e)}`));
  }, [jobsVersion, onError]);

  if (!settings) {
    return <section className="view teacher-view muted">{errors.load ? <ActionError text={errors.load} slot="load" /> : 'Loading…'}</section>;
  }
  const egress = settings.egress;
  const going = runs.find((r) => r.state === 'running');
  const dirty =
    draft.provider !== settings.config.provider ||
    draft.baseUrl !== settings.config.baseUrl ||
    draft.model !== settings.config.model ||
    draft.azureApiVersion !== (settings.config.azureApiVersion ?? '');

  return (
    <section className="view teacher-view" data-testid="teacher-view">
      <h1>Teacher</h1>
      <p className="muted">
        A large vision-language model proposes a class, a caption and question–answer pairs for each image. Proposals go to review; nothing becomes a label
        until an operator accepts it.
      </p>

      <div className={`card egress ${egress.enabled ? 'egress-on' : 'egress-off'}`} data-testid="teacher-egress">
        <div>
          <h2>Egress</h2>
          {egress.enabled ? (
            <p>
              <strong>On</strong>: images (data bar cropped, downscaled) are sent to the endpoint below.
              {egress.changedAt && (
                <span className="muted">
                  {' '}
                  Switched on {new Date(egress.changedAt).toLocaleString()}
                  {egress.changedBy ? ` by ${egress.changedBy}` : ''}.
                </span>
              )}
            </p>
          ) : (
            <p>
              <strong>Off</strong>: nothing leaves this PC. Teacher runs and connection tests are refused.
            </p>
          )}
        </div>
        <button
          type="button"
          data-testid="teacher-egress-toggle"
          className={egress.enabled ? '' : 'primary'}
          disabled={busy !== null}
          onClick={() =>
            egress.enabled
              ? void guard('Switching egress off', 'egress', async () => adopt(await api.setTeacherEgress(false, storedPerson())))
              : setAskEgress(true)
          }
        >
          {egress.enabled ? 'Switch off' : 'Allow images to leave this PC'}
        </button>
      </div>
      <ActionError text={errors.egress} slot="egress" />
      {askEgress && (
        <EgressDialog
          endpoint={settings.config.baseUrl}
          model={settings.config.model}
          maxSide={settings.config.maxImageSide}
          sendMetadata={settings.config.sendMetadata}
          paraphrases={settings.config.paraphraseCount ?? 0}
          onCancel={() => setAskEgress(false)}
          onConfirm={(person) => {
            setAskEgress(false);
            window.localStorage.setItem(PERSON_KEY, person);
            void guard('Switching egress on', 'egress', async () => adopt(await api.setTeacherEgress(true, person)));
          }}
        />
      )}

      <div className="card">
        <h2>Endpoint</h2>
        <div className="form-grid">
          <label>
            Provider
            <select value={draft.provider} onChange={(e) => setDraft(switchProvider(draft, e.target.value as TeacherProvider))} data-testid="teacher-provider">
              {PROVIDERS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Base URL
            <input
              value={draft.baseUrl}
              placeholder={PROVIDERS.find((p) => p.id === draft.provider)?.hint}
              onChange={(e) => setDraft({ ...draft, baseUrl: e.target.value })}
              data-testid="teacher-base-url"
              spellCheck={false}
            />
          </label>
          <label>
            {draft.provider === 'azure' ? 'Deployment' : 'Model'}
            <input value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} data-testid="teacher-model" spellCheck={false} />
          </label>
          {draft.provider === 'azure' && (
            <label>
              API version
              <input value={draft.azureApiVersion} onChange={(e) => setDraft({ ...draft, azureApiVersion: e.target.value })} spellCheck={false} />
            </label>
          )}
        </div>
        <div className="row">
          <button
            type="button"
            disabled={!dirty || busy !== null}
            data-testid="teacher-save-config"
            onClick={() =>
              void guard('Saving endpoint', 'endpoint', async () =>
                adopt(
                  await api.updateTeacherConfig({
                    provider: draft.provider,
                    baseUrl: draft.baseUrl.trim(),
                    model: draft.model.trim(),
                    azureApiVersion: draft.azureApiVersion.trim() || null,
                  }),
                ),
              )
            }
          >
            Save endpoint
          </button>
          <button
            type="button"
            disabled={dirty || busy !== null || !egress.enabled}
            title={egress.enabled ? 'Probe vision input and structured output support' : 'Egress is off'}
            data-testid="teacher-test"
            onClick={() => void guard('Testing the connection', 'endpoint', async () => setProbe(await api.testTeacherConnection()))}
          >
            {busy === 'Testing the connection' ? 'Testing…' : 'Test connection'}
          </button>
        </div>
        <ActionError text={errors.endpoint} slot="endpoint" />
        {probe && (
          <div className="probe" data-testid="teacher-probe">
            <span className={probe.reachable ? 'ok-text' : 'error-text'}>{probe.reachable ? 'reachable' : 'not reachable'}</span>
            <span>vision: {tri(probe.vision)}</span>
            <span>json_schema: {tri(probe.jsonSchema)}</span>
            <span>json_object: {tri(probe.jsonObject)}</span>
            <span>streaming: {tri(probe.streaming)}</span>
            <span className="muted">probed {new Date(probe.probedAt).toLocaleString()}</span>
            {probe.notes.length > 0 && (
              <ul className="muted small">
                {probe.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <h3>API key</h3>
        <p className="muted small" data-testid="teacher-key-status">
          {settings.keyConfigured ? `A key is set (${settings.keySource}).` : 'No key is set.'} The key is never shown again, logged or sent anywhere but the
          endpoint.
        </p>
        <div className="row">
          <input
            type="password"
            autoComplete="off"
            value={key}
            placeholder="paste a key to replace the current one"
            onChange={(e) => setKey(e.target.value)}
            data-testid="teacher-key-input"
          />
          <button
            type="button"
            disabled={!key.trim() || busy !== null}
            onClick={() =>
              void guard('Saving the key', 'key', async () => {
                adopt(await api.setTeacherApiKey(key.trim()));
                setKey('');
              })
            }
          >
            Save key
          </button>
          {settings.keyConfigured && (
            <button
              type="button"
              disabled={busy !== null}
              onClick={() => void guard('Forgetting the key', 'key', async () => adopt(await api.setTeacherApiKey(null)))}
            >
              Forget key
            </button>
          )}
        </div>
        <ActionError text={errors.key} slot="key" />
      </div>

      <PricesCard
        model={settings.config.model}
        prices={settings.config.prices}
        rows={priceDraft}
        onChange={setPriceDraft}
        busy={busy !== null}
        error={errors.prices}
        onSave={() =>
          void guard('Saving prices', 'prices', async () => {
            adopt(await api.updateTeacherConfig({ prices: parsePriceRows(priceDraft) }));
          })
        }
      />

      <TaxonomyCard settings={settings} onSettings={adopt} />

      <div className="card">
        <h2>Run</h2>
        <div className="form-grid">
          <label>
            Images (empty = all that still need an answer)
            <input inputMode="numeric" value={run.limit} onChange={(e) => setRun({ ...run, limit: e.target.value })} data-testid="teacher-run-limit" />
          </label>
          <label>
            Requests at once
            <input inputMode="numeric" value={run.concurrency} onChange={(e) => setRun({ ...run, concurrency: e.target.value })} />
          </label>
          <label>
            Budget, US$ (stops the run when reached)
            <input inputMode="decimal" value={run.budgetUsd} onChange={(e) => setRun({ ...run, budgetUsd: e.target.value })} data-testid="teacher-run-budget" />
          </label>
          <label>
            Budget, tokens (prompt + completion; works without a price)
            <input
              inputMode="numeric"
              value={run.budgetTokens}
              onChange={(e) => setRun({ ...run, budgetTokens: e.target.value })}
              data-testid="teacher-run-budget-tokens"
            />
          </label>
        </div>
        <button
          type="button"
          className="primary"
          disabled={!egress.enabled || busy !== null || going !== undefined}
          title={
            !egress.enabled ? 'Egress is off: switch it on first' : going ? `Run #${going.id} is going: wait for it, or cancel it in the jobs area` : undefined
          }
          data-testid="teacher-run-start"
          onClick={() =>
            void guard('Starting the run', 'run', async () => {
              const job = await api.startTeacherRun({
                limit: parseOptionalNumber(run.limit, 'Images', true),
                concurrency: parseOptionalNumber(run.concurrency, 'Requests at once', true),
                budgetUsd: parseOptionalNumber(run.budgetUsd, 'Budget', false),
                budgetTokens: parseOptionalNumber(run.budgetTokens, 'Token budget', true),
              });
              onJob(job);
              setRuns(await api.listTeacherRuns(20));
            })
          }
        >
          Start teacher run
        </button>
        {going && (
          <p className="muted small" data-testid="teacher-run-going">
            Run #{going.id} is going ({formatCount(going.valid + going.invalid + going.failed)} of {formatCount(going.images)} images): a second run would ask
            for the same images again. Cancel it in the jobs area, or wait.
          </p>
        )}
        <ActionError text={errors.run} slot="run" />
        <RunsTable runs={runs} />
      </div>
    </section>
  );
}

function tri(v: boolean | null): string {
  return v === null ? 'unknown' : v ? 'yes' : 'no';
}

function RunsTable({ runs }: { runs: TeacherRunSummary[] }) {
  if (runs.length === 0) {
    return (
      <p className="muted" data-testid="teacher-runs-empty">
        No runs yet. With egress on, an endpoint and key, and at least two classes, Start teacher run asks the model about the images that still need an answer;
        its proposals then wait in Review.
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table className="runs" data-testid="teacher-runs">
        <thead>
          <tr>
            <th>Run</th>
            <th>State</th>
            <th>Model</th>
            <th className="num">Images</th>
            <th className="num">Proposals</th>
            <th className="num">Flagged</th>
            <th className="num">Requests</th>
            <th className="num">Tokens in / out</th>
            <th className="num" title="Cost from the token counts the endpoint reported and the configured price of the model">
              Cost
            </th>
            <th className="num">Budget</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid="teacher-run-row" data-run-id={r.id} data-state={r.state}>
              <td>#{r.id}</td>
              <td title={r.stopDetail ?? undefined}>{r.state}</td>
              <td title={`${r.endpointHost} · template ${r.template}`}>{r.model}</td>
              <td className="num">{formatCount(r.images)}</td>
              <td className="num">{formatCount(r.valid)}</td>
              <td className="num">{formatCount(r.invalid + r.failed)}</td>
              <td className="num">{formatCount(r.requests)}</td>
              <td className="num">
                {formatCount(r.promptTokens)} / {formatCount(r.completionTokens)}
              </td>
              <td
                className="num"
                data-testid="teacher-run-cost"
                title={r.costKnown ? undefined : `No price for ${r.model} when this run ran: the cost is unknown, not zero`}
              >
                {r.costKnown ? formatUsd(r.costUsd) : 'unknown'}
              </td>
              <td className="num">
                {[r.budgetUsd === null ? null : formatUsd(r.budgetUsd), r.budgetTokens === null ? null : `${formatCount(r.budgetTokens)} tokens`]
                  .filter(Boolean)
                  .join(' · ') || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Slot = 'load' | 'egress' | 'endpoint' | 'key' | 'prices' | 'taxonomy' | 'run';

/** An error beside the action that caused it (role alert so it is announced). */
function ActionError({ text, slot }: { text: string | undefined; slot: Slot }) {
  if (!text) return null;
  return (
    <p className="action-error error-text" role="alert" data-testid={`teacher-error-${slot}`}>
      {text}
    </p>
  );
}

interface PriceRow {
  model: string;
  input: string;
  output: string;
}

/** Rows of the price editor: the stored table, plus an empty row for the configured model when it has no price. */
function priceRows(prices: Record<string, TeacherPrice>, model: string): PriceRow[] {
  const rows = Object.entries(prices)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([m, p]) => ({ model: m, input: String(p.inputPerMTok), output: String(p.outputPerMTok) }));
  if (model && !priceForModel(prices, model)) rows.unshift({ model, input: '', output: '' });
  return rows;
}

/** Same rule as the core (exact name, else the longest prefix): the view must say what the run will use. */
function priceForModel(prices: Record<string, TeacherPrice>, model: string): { name: string; price: TeacherPrice } | null {
  if (prices[model]) return { name: model, price: prices[model] };
  let best: string | null = null;
  for (const name of Object.keys(prices)) if (model.startsWith(name) && (best === null || name.length > best.length)) best = name;
  return best === null ? null : { name: best, price: prices[best] };
}

function parsePriceRows(rows: PriceRow[]): Record<string, TeacherPrice> {
  const out: Record<string, TeacherPrice> = {};
  for (const r of rows) {
    const name = r.model.trim();
    if (!name && !r.input.trim() && !r.output.trim()) continue;
    if (!name) throw new Error('every price needs a model name');
    if (!r.input.trim() && !r.output.trim()) continue; // a model left without a price stays unpriced
    const input = Number(r.input);
    const output = Number(r.output);
    if (!r.input.trim() || !r.output.trim() || !Number.isFinite(input) || !Number.isFinite(output) || input < 0 || output < 0) {
      throw new Error(`the price of ${name} needs two non-negative numbers (US$ per 1M input and output tokens)`);
    }
    out[name] = { inputPerMTok: input, outputPerMTok: output };
  }
  return out;
}

function PricesCard(props: {
  model: string;
  prices: Record<string, TeacherPrice>;
  rows: PriceRow[];
  onChange(rows: PriceRow[]): void;
  onSave(): void;
  busy: boolean;
  error: string | undefined;
}) {
  const { model, prices, rows, onChange } = props;
  const current = priceForModel(prices, model);
  const set = (i: number, patch: Partial<PriceRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="card" data-testid="teacher-prices">
      <h2>Prices</h2>
      <p className="muted small" data-testid="teacher-price-current">
        {current ? (
          <>
            {model} costs ${current.price.inputPerMTok} / ${current.price.outputPerMTok} per 1M input / output tokens
            {current.name !== model ? ` (the entry for ${current.name})` : ''}. Defaults are public list prices at the time of writing: check them against your
            contract.
          </>
        ) : (
          <>
            No price for <strong>{model}</strong>: its runs show the cost as unknown and a US$ budget cannot be used. Enter its price below, or give the run a
            token budget.
          </>
        )}
      </p>
      <table className="runs prices">
        <thead>
          <tr>
            <th>Model</th>
            <th className="num">US$ / 1M input tokens</th>
            <th className="num">US$ / 1M output tokens</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} data-testid="teacher-price-row" data-model={r.model}>
              <td>
                <input value={r.model} onChange={(e) => set(i, { model: e.target.value })} spellCheck={false} aria-label="Model" />
              </td>
              <td className="num">
                <input inputMode="decimal" value={r.input} onChange={(e) => set(i, { input: e.target.value })} aria-label={`Input price of ${r.model}`} />
              </td>
              <td className="num">
                <input inputMode="decimal" value={r.output} onChange={(e) => set(i, { output: e.target.value })} aria-label={`Output price of ${r.model}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button type="button" onClick={() => onChange([...rows, { model: '', input: '', output: '' }])} disabled={props.busy}>
          Add a model
        </button>
        <button type="button" onClick={props.onSave} disabled={props.busy} data-testid="teacher-prices-save">
          Save prices
        </button>
      </div>
      <ActionError text={props.error} slot="prices" />
    </div>
  );
}

/** The person at the keyboard, as the review view remembers it; null when never given. */
const PERSON_KEY = 'emma.reviewer';
function storedPerson(): string | null {
  const v = window.localStorage.getItem(PERSON_KEY)?.trim();
  return v ? v : null;
}

/** Switching egress on is a decision a person answers for: say what will leave, and record who decided. */
function EgressDialog(props: {
  endpoint: string;
  model: string;
  maxSide: number;
  sendMetadata: boolean;
  paraphrases: number;
  onCancel(): void;
  onConfirm(person: string): void;
}) {
  const [person, setPerson] = useState(storedPerson() ?? '');
  let host = props.endpoint;
  try {
    host = new URL(props.endpoint).host;
  } catch {
    /* shown as typed */
  }
  const ok = person.trim().length > 0;
  return (
    <Modal title="Allow images to leave this PC?" className="egress-dialog" testId="teacher-egress-dialog" onClose={props.onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) props.onConfirm(person.trim());
        }}
      >
        <p>
          From now on, teacher runs, connection tests and chat questions send images of this project to <strong>{host}</strong> (model {props.model}): data bar
          cropped, long side at most {props.maxSide} px, with the pixel size
          {props.sendMetadata ? ' and the acquisition metadata' : ''}.
          {props.paraphrases > 0
            ? " Each run also sends the chat's question wordings, as text without any image, to be paraphrased (one request, cached)."
            : ''}{' '}
          Every request is recorded in the audit log.
        </p>
        <label className="field">
          Your name (recorded in the audit log as who allowed it)
          <input value={person} onChange={(e) => setPerson(e.target.value)} autoFocus data-testid="teacher-egress-person" maxLength={80} />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={!ok} data-testid="teacher-egress-confirm">
            Allow images to leave this PC
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
