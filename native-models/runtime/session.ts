// ORT sessions with an execution-provider preference list and an honest report of what actually ran.
// Each provider is tried alone (ORT still places ops a provider lacks on CPU); the first that creates a
// session wins, every failure is kept with its reason, and CPU is the last resort.
import * as ort from 'onnxruntime-node';

// ORT logs a multi-line native error for every absent provider it is asked to probe (once per session);
// the reason is kept from the exception instead, so the process-wide log level defaults to fatal.
// EMMA_ORT_LOG=warning (or verbose/info/error) restores ORT's own logging. Applies before ORT's first use.
const ORT_LOG = process.env.EMMA_ORT_LOG;
ort.env.logLevel = ORT_LOG === 'verbose' || ORT_LOG === 'info' || ORT_LOG === 'warning' || ORT_LOG === 'error' ? ORT_LOG : 'fatal';

export type Provider = 'cuda' | 'dml' | 'webgpu' | 'coreml' | 'cpu';
const KNOWN: readonly Provider[] = ['cuda', 'dml', 'webgpu', 'coreml', 'cpu'];
export const DEFAULT_PROVIDERS: readonly Provider[] = ['cuda', 'dml', 'cpu'];
/** Environment override, e.g. EMMA_EP=cpu or EMMA_EP=cuda,cpu. */
export const PROVIDER_ENV = 'EMMA_EP';

export interface SessionConfig {
  providers?: readonly Provider[];
  /** Intra-op threads (default 2; ORT's default would take every core and fight the UI). */
  threads?: number;
  /** Thread-pool spin-waiting; off by default so a train and an eval session do not starve each other. */
  spinning?: boolean;
  /** Arena and memory-pattern planning cost ~35% more peak memory for no measured speed-up; off by default. */
  memoryArena?: boolean;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface ProviderFailure {
  readonly provider: Provider;
  readonly reason: string;
}

export interface OpenSession {
  readonly session: ort.InferenceSession;
  /** The provider the session was created with. */
  readonly provider: Provider;
  /** Providers tried before it, with why each failed. */
  readonly fallbacks: readonly ProviderFailure[];
}

export function providersFromEnv(env: NodeJS.ProcessEnv = process.env): Provider[] | undefined {
  const raw = env[PROVIDER_ENV];
  if (!raw) return undefined;
  const list = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = list.filter((p) => !KNOWN.includes(p as Provider));
  if (bad.length) throw new Error(`${PROVIDER_ENV}: unknown provider(s) ${bad.join(', ')} (known: ${KNOWN.join(', ')})`);
  return list as Provider[];
}

export function sessionOptions(provider: Provider, c: SessionConfig = {}): ort.InferenceSession.SessionOptions {
  const arena = c.memoryArena ?? false;
  return {
    executionProviders: [provider],
    intraOpNumThreads: c.threads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: c.optimization ?? 'all',
    enableCpuMemArena: arena,
    enableMemPattern: arena,
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: c.spinning ? '1' : '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (
    msg
      .split('\n')
      .find((l) => l.trim())
      ?.trim()
      .slice(0, 300) ?? 'unknown error'
  );
}

export async function openSession(model: Uint8Array | string, c: SessionConfig = {}): Promise<OpenSession> {
  const wanted = [...(c.providers ?? providersFromEnv() ?? DEFAULT_PROVIDERS)];
  if (!wanted.includes('cpu')) wanted.push('cpu');
  const fallbacks: ProviderFailure[] = [];
  for (const provider of wanted) {
    try {
      const opts = sessionOptions(provider, c);
      // Probing an absent provider logs a loud native error; the reason is kept from the exception instead.
      if (provider !== 'cpu') opts.logSeverityLevel = 4;
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
      return { session, provider, fallbacks };
    } catch (e) {
      fallbacks.push({ provider, reason: firstLine(e) });
      if (provider === 'cpu') break;
    }
  }
  throw new Error(`no execution provider could open the model: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')}`);
}

export function describeProvider(s: Pick<OpenSession, 'provider' | 'fallbacks'>): string {
  if (!s.fallbacks.length) return s.provider;
  return `${s.provider} (fell back from ${s.fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')})`;
}
