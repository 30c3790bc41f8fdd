import { createRedisClient } from '@parley/pubsub';
import { captureLogs, createManualClock, servicesEnv, startOwnRedis, uniqueName, type OwnService } from '@parley/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/http/rate-limiter';
import { specifyRateLimiter } from '../support/rate-limiter-specification';

const silent = captureLogs('silent').logger;

/** The limiter the gateway replicas share, on real Redis: the same promises as the memory one, and shared counters. */
describe('the Redis rate limiter (services mode)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(servicesEnv().redisUrl);
  });
  afterAll(async () => {
    await redis?.quit();
  });

  specifyRateLimiter((now) => createRedisRateLimiter({ redis, namespace: `${uniqueName('rl')}:`, logger: silent, now }));

  it('shares its counters between replicas on one Redis, and keeps none longer than two windows', async () => {
    const namespace = `${uniqueName('rl')}:`;
    const clock = createManualClock();
    const [a, b] = [
      createRedisRateLimiter({ redis, namespace, logger: silent, now: clock.millis }),
      createRedisRateLimiter({ redis, namespace, logger: silent, now: clock.millis }),
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

/**
 * While Redis is unreachable each gateway process counts on its own, with the
 * same limits: clients are still limited, and no request waits for Redis or
 * fails for it. On this suite's own redis-server, stopped under the limiter.
 */
describe('the Redis rate limiter while Redis is unreachable (own redis-server)', () => {
  let own: OwnService;
  let redis: Redis;
  beforeAll(async () => {
    own = await startOwnRedis();
    redis = createRedisClient(own.url);
    await redis.ping();
    await own.stop();
  });
  afterAll(async () => {
    redis?.disconnect();
    await own?.remove();
  });

  // The same promises, kept by the process's own counters, on the test's clock.
  specifyRateLimiter((now) => createRedisRateLimiter({ redis, namespace: `${uniqueName('rl')}:`, logger: silent, now }));

  it('answers at once, says so once per outage, and counts in Redis again once Redis is back', async () => {
    const logs = captureLogs('info');
    const clock = createManualClock();
    const namespace = `${uniqueName('rl')}:`;
    const limiter = createRedisRateLimiter({ redis, namespace, logger: logs.logger, now: clock.millis });
    const check = [{ key: 'user:alice', limit: 3 }];

    const started = performance.now();
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push((await limiter.hit(check, 60))[0]!.allowed);
    expect(verdicts).toEqual([true, true, true, false]);
    // Four answers without one Redis round trip or timeout: far under one command timeout.
    expect(performance.now() - started).toBeLessThan(500);
    const warnings = () =>
      logs
        .lines()
        .filter((line) => line['msg'] === 'redis unreachable: gateway rate limits are counted in each gateway process until it is back');
    expect(warnings()).toHaveLength(1);

    await own.start();
    await expect.poll(() => redis.ping().catch(() => 'not yet')).toBe('PONG');
    // Redis' counters, which saw none of the outage's requests, apply again; another replica shares them.
    const replica = createRedisRateLimiter({ redis, namespace, logger: silent, now: clock.millis });
    expect((await limiter.hit(check, 60))[0]).toMatchObject({ allowed: true, remaining: 2 });
    expect((await replica.hit(check, 60))[0]).toMatchObject({ allowed: true, remaining: 1 });
    expect(await redis.keys(`${namespace}*`)).not.toHaveLength(0);
    expect(logs.lines().filter((line) => line['msg'] === 'redis reachable again: gateway rate limits use it again')).toHaveLength(1);

    await own.stop();
    await limiter.hit(check, 60);
    await limiter.hit(check, 60);
    // A second outage is a second warning, not one per request.
    expect(warnings()).toHaveLength(2);
  });
});
