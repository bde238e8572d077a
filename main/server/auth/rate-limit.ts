// Login rate limiting: every failed login counts against the user name and against the client address; after a
// few free tries each further failure doubles the wait (1 s, 2 s, 4 s ... capped at 15 min). While a wait runs,
// logins for that name or from that address are refused without checking the password, so guessing costs time
// whichever of the two an attacker varies. A success clears the name's count (not the address's).

interface Entry {
  failures: number;
  /** No login before this time (ms since the epoch). */
  blockedUntil: number;
  lastFailure: number;
}

export interface RateLimitPolicy {
  /** Failures allowed before waits begin. */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key's count is forgotten this long after its last failure. */
  forgetAfterMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 3600_000 };

export class LoginRateLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: RateLimitPolicy = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before this login may be tried; 0 = go ahead. */
  waitMs(userName: string, ip: string): number {
    const now = this.now();
    let wait = 0;
    for (const key of this.keys(userName, ip)) {
      const e = this.fresh(key, now);
      if (e) wait = Math.max(wait, e.blockedUntil - now);
    }
    return Math.max(0, wait);
  }

  fail(userName: string, ip: string): void {
    const now = this.now();
    for (const key of this.keys(userName, ip)) {
      const e = this.fresh(key, now) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
      e.failures++;
      e.lastFailure = now;
      const over = e.failures - this.policy.freeFailures;
      if (over > 0) e.blockedUntil = now + Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
      this.entries.set(key, e);
    }
    if (this.entries.size > 10_000) this.prune(now);
  }

  succeed(userName: string): void {
    this.entries.delete(`user:${userName.toLowerCase()}`);
  }

  private keys(userName: string, ip: string): string[] {
    return [`user:${userName.toLowerCase()}`, `ip:${ip}`];
  }

  private fresh(key: string, now: number): Entry | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (now - e.lastFailure > this.policy.forgetAfterMs && e.blockedUntil <= now) {
      this.entries.delete(key);
      return null;
    }
    return e;
  }

  private prune(now: number): void {
    for (const key of [...this.entries.keys()]) this.fresh(key, now);
  }
}
