// Lab-server mode's front door: sign in, sign out, "who am I", and the session behind every other request.
// The HTTP server routes; this decides who is asking. Sessions live in the database (sessions.ts), failed
// logins are slowed down per name and per address (rate-limit.ts), passwords are scrypt hashes (passwords.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../core/contract.js';
import type { Db } from '../../core/db/database.js';
import { PathConfinement } from './confine.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { DEFAULT_RATE_LIMIT, LoginRateLimiter, type RateLimitPolicy } from './rate-limit.js';
import { DEFAULT_SESSION_POLICY, SessionStore, type SessionPolicy } from './sessions.js';
import { UserStore, type User } from './users.js';

export interface LabServerOptions {
  /** Folders that imports may read and exports may write (at least one). */
  dataRoots: string[];
  /** Host names (name or name:port) clients use to reach the server; the Host header must be one of them. */
  publicHosts?: string[];
  /** PEM certificate and key: the server speaks HTTPS. Without them, plain HTTP (only behind a TLS proxy). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  session?: SessionPolicy;
  rateLimit?: RateLimitPolicy;
  /** The clock for sessions and rate limits; tests move it instead of waiting. */
  now?: () => number;
}

export const SESSION_COOKIE = 'emma_session';

export interface LoginOutcome {
  status: number;
  body: unknown;
  cookie?: string;
  retryAfterS?: number;
}

export class LabAuth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly limiter: LoginRateLimiter;
  readonly paths: PathConfinement;
  private readonly policy: SessionPolicy;

  constructor(
    private readonly db: Db,
    readonly options: LabServerOptions,
  ) {
    this.policy = options.session ?? DEFAULT_SESSION_POLICY;
    this.users = new UserStore(db);
    this.sessions = new SessionStore(db, this.policy, options.now);
    this.limiter = new LoginRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, options.now);
    this.paths = new PathConfinement(options.dataRoots);
  }

  get secure(): boolean {
    return Boolean(this.options.tls);
  }

  /** The signed-in user of a request, or null. */
  user(req: IncomingMessage): User | null {
    return this.sessions.lookup(readCookie(req, SESSION_COOKIE));
  }

  async login(body: unknown, ip: string, viaHttps = false): Promise<LoginOutcome> {
    const { user: name, password } = (body ?? {}) as { user?: unknown; password?: unknown };
    if (typeof name !== 'string' || typeof password !== 'string' || !name || name.length > 64 || password.length > 1024) {
      return refusal(400, 'bad_request', 'Send {"user": "...", "password": "..."}.');
    }
    const wait = this.limiter.waitMs(name, ip);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      return { ...refusal(429, 'rate_limited', `Too many failed sign-ins for this name or from this computer: wait ${s} s and try again.`), retryAfterS: s };
    }
    const slot = this.limiter.begin(name, ip);
    if (!slot.ok) {
      const why =
        slot.reason === 'busy'
          ? 'The server is checking other sign-ins: try again in a second.'
          : 'A sign-in for this name or from this computer is still being checked: wait for it, then try again.';
      return { ...refusal(429, 'rate_limited', why), retryAfterS: 1 };
    }
    let found: ReturnType<UserStore['credentials']>;
    let ok: boolean;
    try {
      found = this.users.credentials(name);
      // An unknown name costs the same scrypt work as a known one, so timing does not tell which names exist.
      ok = await verifyPassword(password, found?.hash ?? (await decoyHash()));
      if (!found || !ok || found.user.disabled) this.limiter.fail(name, ip);
    } finally {
      slot.release();
    }
    if (!found || !ok || found.user.disabled) {
      return refusal(401, 'bad_login', 'Wrong user name or password (or the account is disabled).');
    }
    this.limiter.succeed(name, ip);
    this.users.noteLogin(found.user.id);
    const session = this.sessions.create(found.user, ip);
    return {
      status: 200,
      body: { ok: true, value: whoami(found.user) },
      cookie: this.cookie(session.id, Math.floor(this.policy.maxAgeMs / 1000), viaHttps),
    };
  }

  /**
   * The core's own audit lines name the mode ("lab-server"), not a person: a lead-only call also gets a line that
   * names the signed-in user (shown with the teacher audit log).
   */
  recordLeadCall(user: User, method: string, outcome: { ok: boolean; code?: string }): void {
    this.db
      .prepare(`INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, 'teacher.lab-call', ?)`)
      .run(new Date().toISOString(), user.name, JSON.stringify({ method, role: user.role, ok: outcome.ok, ...(outcome.code ? { error: outcome.code } : {}) }));
  }

  logout(req: IncomingMessage): string {
    this.sessions.end(readCookie(req, SESSION_COOKIE));
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeS: number, viaHttps = false): string {
    return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}${this.secure || viaHttps ? '; Secure' : ''}`;
  }
}

export function whoami(user: User): { lab: true; user: string; role: User['role'] } {
  return { lab: true, user: user.name, role: user.role };
}

function refusal(status: number, code: ErrorCode, message: string): LoginOutcome {
  return { status, body: { ok: false, error: { code, message } } };
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function setCookie(res: ServerResponse, cookie: string): void {
  res.setHeader('Set-Cookie', cookie);
}
