import { startOwnRedis, type OwnService } from '@parley/testing';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, createRedisPubSub } from '../src';

/**
 * What a Parley process's Redis connection does while Redis is away: its
 * commands fail within a bound instead of waiting out a growing backoff, and
 * it is back within about a second of Redis returning, subscriptions included.
 * On this test's own redis-server, stopped and started under it.
 */
describe('a Redis connection through an outage (own redis-server)', () => {
  let redis: OwnService;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(async () => {
    await redis?.remove();
  });
  // A test that failed mid-outage leaves the next one a running Redis.
  afterEach(async () => {
    await redis?.start();
  });

  /**
   * Resolves on the next reconnection attempt the client schedules after it has
   * already made `attempts` of them: by then ioredis' default backoff has grown to seconds.
   */
  const reconnecting = (client: Redis, attempts: number) =>
    new Promise<number>((scheduled) => {
      let seen = 0;
      const onReconnecting = (delayMs: number) => {
        if (++seen <= attempts) return;
        client.off('reconnecting', onReconnecting);
        scheduled(delayMs);
      };
      client.on('reconnecting', onReconnecting);
    });

  const msSince = (start: number) => Math.round(performance.now() - start);

  it('fails a command within 2 s, however long Redis has been down, then reconnects within 2 s of its return', async () => {
    const client = createRedisClient(redis.url);
    try {
      expect(await client.ping()).toBe('PONG');
      await redis.stop();
      await reconnecting(client, 8);

      const issued = performance.now();
      const failure = await client.get('anything').then(
        () => null,
        (error: unknown) => error,
      );
      const failedAfterMs = msSince(issued);
      expect(failure).toBeInstanceOf(Error);
      expect(failedAfterMs).toBeLessThan(2_000);

      await redis.start();
      const back = performance.now();
      await expect.poll(() => client.ping().catch(() => 'not yet'), { timeout: 10_000, interval: 20 }).toBe('PONG');
      const reconnectedAfterMs = msSince(back);
      console.info(`redis outage: a command failed after ${failedAfterMs} ms; reconnected ${reconnectedAfterMs} ms after Redis returned`);
      expect(reconnectedAfterMs).toBeLessThan(2_000);
    } finally {
      client.disconnect();
    }
  });

  it('resubscribes after Redis returns, so a subscriber hears what is published afterwards', async () => {
    const subscriber = await createRedisPubSub({ url: redis.url, prefix: 'outage:' });
    const publisher = await createRedisPubSub({ url: redis.url, prefix: 'outage:' });
    try {
      const received: unknown[] = [];
      await subscriber.subscribe('signals', (payload) => received.push(payload));
      await redis.stop();
      await redis.start();
      // Published until one arrives: the subscriber's SUBSCRIBE may land a moment after the publisher is back.
      let n = 0;
      await expect
        .poll(
          async () => {
            await publisher.publish('signals', { n: ++n }).catch(() => undefined);
            return received.length;
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBeGreaterThan(0);
    } finally {
      await subscriber.close();
      await publisher.close();
    }
  });
});
