// Login rate limiting: every failed login counts against the name from that address, against the address, and
// against the name from anywhere; after a few free tries each further failure doubles the wait (1 s, 2 s, 4 s ...
// capped at 15 min). While a wait runs, those logins are refused without checking the password, so guessing costs
// time whichever an attacker varies. The name alone gets more free tries (NAME_FREE_FAILURES) than the name from one
// address, so that anyone on the network cannot lock an operator out with four wrong passwords, while guessing one
// name from many addresses still slows down. A success clears the name's counts (not the address's).
//
// Only one sign-in per name and per address is checked at a time, and at most MAX_CHECKS_AT_ONCE in all: the count
// is recorded after the password check (scrypt, tens of ms), so a burst sent at once would otherwise have every
// attempt checked before the first failure counted, and would queue scrypt work ahead of everything else.

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

/** Failures of one name from all addresses together before its waits begin. */
export const NAME_FREE_FAILURES = 10;
/** Password checks running at once, across all names and addresses (the machine's cores, at most). */
export const MAX_CHECKS_AT_ONCE = 2;

export type CheckSlot = { ok: true; release: () => void } | { ok: false; reason: 'same-name-or-address' | 'busy' };

export class LoginRateLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly checking = new Set<string>();
  private checks = 0;

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

  /** A slot to check one password in, or why not now; the caller releases it when the check is over. */
  begin(userName: string, ip: string): CheckSlot {
    // The address and the name from anywhere (keys() without the pair, which both of these already cover).
    const keys = this.keys(userName, ip).slice(1);
    if (keys.some((k) => this.checking.has(k))) return { ok: false, reason: 'same-name-or-address' };
    if (this.checks >= MAX_CHECKS_AT_ONCE) return { ok: false, reason: 'busy' };
    for (const k of keys) this.checking.add(k);
    this.checks++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        for (const k of keys) this.checking.delete(k);
        this.checks--;
      },
    };
  }

  fail(userName: string, ip: string): void {
    const now = this.now();
    for (const key of this.keys(userName, ip)) {
      const e = this.fresh(key, now) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
      e.failures++;
      e.lastFailure = now;
      const over = e.failures - (key.startsWith('user:') ? NAME_FREE_FAILURES : this.policy.freeFailures);
      if (over > 0) e.blockedUntil = now + Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
      this.entries.set(key, e);
    }
    if (this.entries.size > 10_000) this.prune(now);
  }

  succeed(userName: string, ip: string): void {
    const name = userName.toLowerCase();
    this.entries.delete(`user:${name}`);
    this.entries.delete(`pair:${name}\u0000${ip}`);
  }

  private keys(userName: string, ip: string): string[] {
    const name = userName.toLowerCase();
    return [`pair:${name}\u0000${ip}`, `ip:${ip}`, `user:${name}`];
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
