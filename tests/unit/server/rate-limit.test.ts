// Login backoff: a few free failures, then each failure doubles the wait, per name and address, per address, and per
// name from anywhere (more free failures); and one password check per name and per address at a time.
import { describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../../../main/server/auth/rate-limit.js';

describe('login rate limiter', () => {
  const policy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 3600_000 };

  it('waits 1, 2, 4, 8 ... s after the free failures, capped', () => {
    let now = 0;
    const limiter = new LoginRateLimiter(policy, () => now);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      now += limiter.waitMs('olga', '10.0.0.1');
      limiter.fail('olga', '10.0.0.1');
      waits.push(limiter.waitMs('olga', '10.0.0.1'));
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
  });

  it('counts per name from one address, per address across names, and per name from anywhere more leniently', () => {
    let now = 0;
    const limiter = new LoginRateLimiter(policy, () => now);
    for (let i = 0; i < 4; i++) limiter.fail('olga', '10.0.0.1');
    expect(limiter.waitMs('olga', '10.0.0.1')).toBe(1000); // the name from that address
    expect(limiter.waitMs('olga', '10.9.9.9')).toBe(0); // four failures elsewhere do not lock olga out
    for (let i = 0; i < 7; i++) limiter.fail('olga', `10.0.1.${i}`);
    expect(limiter.waitMs('olga', '10.9.9.9')).toBe(1000); // eleven in all, from anywhere: the name waits
    expect(limiter.waitMs('lena', '10.9.9.9')).toBe(0);
    for (let i = 0; i < 4; i++) limiter.fail(`user${i}`, '10.1.1.1');
    expect(limiter.waitMs('someone', '10.1.1.1')).toBe(1000); // the address, with a new name
    now += 1000;
    limiter.succeed('olga', '10.9.9.9');
    expect(limiter.waitMs('olga', '10.9.9.9')).toBe(0);
    now += 2 * 3600_000;
    expect(limiter.waitMs('someone', '10.1.1.1')).toBe(0); // forgotten after an hour without failures
  });

  it('checks one password per name and per address at a time, and at most two in all', () => {
    const limiter = new LoginRateLimiter(policy, () => 0);
    const a = limiter.begin('olga', '10.0.0.1');
    expect(a.ok).toBe(true);
    expect(limiter.begin('OLGA', '10.0.0.2')).toEqual({ ok: false, reason: 'same-name-or-address' });
    expect(limiter.begin('lena', '10.0.0.1')).toEqual({ ok: false, reason: 'same-name-or-address' });
    const b = limiter.begin('lena', '10.0.0.2');
    expect(b.ok).toBe(true);
    expect(limiter.begin('mia', '10.0.0.3')).toEqual({ ok: false, reason: 'busy' });
    if (a.ok) {
      a.release();
      a.release(); // twice is harmless
    }
    expect(limiter.begin('mia', '10.0.0.3').ok).toBe(true);
    expect(limiter.begin('olga', '10.0.0.4')).toEqual({ ok: false, reason: 'busy' });
  });
});
