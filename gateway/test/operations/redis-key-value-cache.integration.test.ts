import { createRedisClient } from '@parley/pubsub';
import { captureLogs, startOwnRedis, uniqueName, type OwnService } from '@parley/testing';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKeyValueCache } from '../../src/operations/redis-key-value-cache';

/**
 * The persisted-query cache the gateway replicas share is a cache: while Redis
 * is unreachable it is skipped at once (a miss, a registration dropped), so a
 * request never waits for Redis or fails for it. On this suite's own redis-server.
 */
describe('the persisted-query cache while Redis is unreachable (own redis-server)', () => {
  let own: OwnService;
  let redis: Redis;
  beforeAll(async () => {
    own = await startOwnRedis();
    redis = createRedisClient(own.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await own?.remove();
  });

  it('misses and drops writes at once while Redis is down, and serves what it kept once Redis is back', async () => {
    const logs = captureLogs('info');
    const cache = createRedisKeyValueCache({ redis, namespace: `${uniqueName('apq')}:`, defaultTtlSeconds: 60, logger: logs.logger });
    await cache.set('apq:kept', '{ me { id } }');
    expect(await cache.get('apq:kept')).toBe('{ me { id } }');

    await own.stop();
    const started = performance.now();
    expect(await cache.get('apq:kept')).toBeUndefined();
    await cache.set('apq:new', '{ models { id } }');
    expect(await cache.get('apq:new')).toBeUndefined();
    expect(await cache.delete('apq:kept')).toBe(false);
    // A command timeout is a second; skipping takes none.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(
      logs.lines().filter((line) => line['msg'] === 'redis unreachable: persisted queries are not cached until it is back'),
    ).toHaveLength(1);

    await own.start();
    // The outage's delete never happened: the entry written before it is served again.
    await expect.poll(() => cache.get('apq:kept')).toBe('{ me { id } }');
  });
});
