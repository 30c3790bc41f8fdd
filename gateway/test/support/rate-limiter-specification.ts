import { createManualClock, type ManualClock } from '@parley/testing';
import { beforeEach, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/http/rate-limiter';

const WINDOW_SECONDS = 60;
const LIMIT = 4;

/**
 * What every rate limiter promises (the memory one of embedded mode and the
 * Redis one the replicas share): a sliding window over two fixed windows, on
 * a clock the test moves. `make` builds a fresh limiter, with counters no
 * other test sees, on the given clock.
 */
export function specifyRateLimiter(make: (now: () => number) => RateLimiter | Promise<RateLimiter>): void {
  let clock: ManualClock;
  let limiter: RateLimiter;
  /** One request of `key` (limit 4 per 60 s); the verdict. */
  const hit = async (key = 'ip:10.0.0.1', limit = LIMIT, windowSeconds = WINDOW_SECONDS) =>
    (await limiter.hit([{ key, limit }], windowSeconds))[0]!;
  const fill = async (key?: string) => {
    for (let i = 0; i < LIMIT; i++) expect((await hit(key)).allowed).toBe(true);
  };

  beforeEach(async () => {
    // The manual clock starts on a window boundary: the window has just begun.
    clock = createManualClock();
    limiter = await make(clock.millis);
  });

  it('counts down what is left of the window, with when it resets, then refuses for the rest of the window', async () => {
    const verdicts = [];
    for (let i = 0; i < LIMIT; i++) verdicts.push(await hit());
    expect(verdicts).toEqual(
      [3, 2, 1, 0].map((remaining) => ({ allowed: true, limit: 4, remaining, resetSeconds: 60, retryAfterSeconds: 0 })),
    );
    expect(await hit()).toEqual({ allowed: false, limit: 4, remaining: 0, resetSeconds: 60, retryAfterSeconds: 60 });
    clock.advance(20_500);
    // Reset and Retry-After are whole seconds, rounded up.
    expect(await hit()).toEqual({ allowed: false, limit: 4, remaining: 0, resetSeconds: 40, retryAfterSeconds: 40 });
  });

  it('lets a request through once its Retry-After has passed, when only the current window counted', async () => {
    clock.advance(20_000);
    await fill();
    const refused = await hit();
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 40 });
    // At the very millisecond the next window opens the whole previous one still weighs, so "after" means after.
    clock.advance(refused.retryAfterSeconds * 1000 + 1);
    expect((await hit()).allowed).toBe(true);
  });

  it('slides: the previous window weighs by how much of it the sliding window still covers', async () => {
    await fill();
    clock.advance(60_000);
    // A new fixed window, but the sliding one still covers all of the previous: 4 of 4.
    const refused = await hit();
    expect(refused).toEqual({ allowed: false, limit: 4, remaining: 0, resetSeconds: 60, retryAfterSeconds: 15 });
    clock.advance(refused.retryAfterSeconds * 1000);
    // A quarter in: the previous four weigh three, and this request makes four.
    expect(await hit()).toEqual({ allowed: true, limit: 4, remaining: 0, resetSeconds: 45, retryAfterSeconds: 0 });
    clock.advance(15_000);
    // Halfway: two of the previous, one of this window, and this one.
    expect(await hit()).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('forgets a window once the sliding window has moved past it', async () => {
    await fill();
    clock.advance(2 * 60_000);
    // The four are two windows back; the previous window is empty.
    expect(await hit()).toEqual({ allowed: true, limit: 4, remaining: 3, resetSeconds: 60, retryAfterSeconds: 0 });
  });

  it('does not count a refused request', async () => {
    await fill();
    for (let i = 0; i < 10; i++) expect((await hit()).allowed).toBe(false);
    clock.advance(60_000 + 30_000);
    // Halfway into the next window the previous four weigh two: two more fit, as they would had nothing been refused.
    expect(await hit()).toMatchObject({ allowed: true, remaining: 1 });
    expect(await hit()).toMatchObject({ allowed: true, remaining: 0 });
    expect((await hit()).allowed).toBe(false);
  });

  it('keeps each key apart, and each window length apart', async () => {
    await fill('ip:10.0.0.1');
    expect((await hit('ip:10.0.0.1')).allowed).toBe(false);
    expect(await hit('ip:10.0.0.2')).toMatchObject({ allowed: true, remaining: 3 });
    expect(await hit('user:alice')).toMatchObject({ allowed: true, remaining: 3 });
    expect(await hit('ip:10.0.0.1', LIMIT, 10)).toMatchObject({ allowed: true, remaining: 3, resetSeconds: 10 });
  });

  it('counts a request against every key only if every key allows it, answering each key its own figures', async () => {
    const both = [
      { key: 'ip:10.0.0.9', limit: 10 },
      { key: 'user:bob', limit: 2 },
    ];
    expect(await limiter.hit(both, WINDOW_SECONDS)).toMatchObject([
      { allowed: true, limit: 10, remaining: 9 },
      { allowed: true, limit: 2, remaining: 1 },
    ]);
    expect(await limiter.hit(both, WINDOW_SECONDS)).toMatchObject([
      { allowed: true, remaining: 8 },
      { allowed: true, remaining: 0 },
    ]);
    // The user is out of requests: the whole request is refused, and the address is not charged for it.
    expect(await limiter.hit(both, WINDOW_SECONDS)).toMatchObject([
      { allowed: false, limit: 10, remaining: 8 },
      { allowed: false, limit: 2, remaining: 0, retryAfterSeconds: 60 },
    ]);
    expect(await hit('ip:10.0.0.9', 10)).toMatchObject({ allowed: true, remaining: 7 });
  });

  it('counts several requests at once (a mutation with several root fields) only if all of them fit', async () => {
    const user = [{ key: 'user:carol', limit: LIMIT }];
    expect(await limiter.hit(user, WINDOW_SECONDS, 3)).toEqual([
      { allowed: true, limit: 4, remaining: 1, resetSeconds: 60, retryAfterSeconds: 0 },
    ]);
    // Two more do not fit in the one left: refused whole, and nothing counted.
    expect(await limiter.hit(user, WINDOW_SECONDS, 2)).toMatchObject([{ allowed: false, remaining: 1, retryAfterSeconds: 60 }]);
    expect(await limiter.hit(user, WINDOW_SECONDS, 1)).toMatchObject([{ allowed: true, remaining: 0 }]);
    expect((await limiter.hit(user, WINDOW_SECONDS, 1))[0]!.allowed).toBe(false);
  });
}
