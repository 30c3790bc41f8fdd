import { createManualClock, servicesEnv, uniqueName } from '@parley/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/http/rate-limiter';
import { specifyRateLimiter } from '../support/rate-limiter-specification';

/** The limiter the gateway replicas share, on real Redis: the same promises as the memory one, and shared counters. */
describe('the Redis rate limiter (services mode)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(servicesEnv().redisUrl);
  });
  afterAll(async () => {
    await redis?.quit();
  });

  specifyRateLimiter((now) => createRedisRateLimiter({ redis, namespace: `${uniqueName('rl')}:`, now }));

  it('shares its counters between replicas on one Redis, and keeps none longer than two windows', async () => {
    const namespace = `${uniqueName('rl')}:`;
    const clock = createManualClock();
    const [a, b] = [
      createRedisRateLimiter({ redis, namespace, now: clock.millis }),
      createRedisRateLimiter({ redis, namespace, now: clock.millis }),
    ];
    const check = [{ key: 'user:alice', limit: 3 }];
    expect((await a.hit(check, 60))[0]).toMatchObject({ allowed: true, remaining: 2 });
    expect((await b.hit(check, 60))[0]).toMatchObject({ allowed: true, remaining: 1 });
    expect((await a.hit(check, 60))[0]).toMatchObject({ allowed: true, remaining: 0 });
    expect((await b.hit(check, 60))[0]).toMatchObject({ allowed: false });
    const keys = await redis.keys(`${namespace}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(2 * 60_000);
    }
  });
});
