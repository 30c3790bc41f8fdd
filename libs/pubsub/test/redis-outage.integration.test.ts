import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ErrorCode, REDIS_UNAVAILABLE_MESSAGE, toGraphQLErrorShape } from '@parley/errors';
import { createHttpService } from '@parley/runtime';
import { captureLogs, startOwnRedis, type OwnService } from '@parley/testing';
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

  /** What a client is shown of that failure: retriable UPSTREAM_UNAVAILABLE with a sentence a person can act on. */
  const expectUnavailable = (failure: unknown) => {
    expect(toGraphQLErrorShape({ message: String(failure) }, failure)).toEqual({
      message: REDIS_UNAVAILABLE_MESSAGE,
      extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
    });
  };

  const SPIN_FOR_4_SECONDS = `
    local start = redis.call('TIME')
    repeat
      local now = redis.call('TIME')
    until (now[1] - start[1]) * 1000000 + (now[2] - start[2]) >= 4000000
    return 1`;

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
      expectUnavailable(failure);

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

  it('fails a command Redis does not answer within the command timeout, and reconnects once it answers again', async () => {
    const client = createRedisClient(redis.url);
    expect(await client.ping()).toBe('PONG');
    // Redis alive but answering nothing for 4 s, as a stalled or partitioned server would: a script that spins
    // (under Redis' 5 s busy-script threshold, past which it would answer BUSY).
    const stalled = promisify(execFile)('redis-cli', ['-p', String(redis.port), 'eval', SPIN_FOR_4_SECONDS, '0']);
    try {
      // Asked until a command meets the stall (redis-cli takes a moment to start the script).
      let failure: unknown;
      let failedAfterMs = 0;
      await expect
        .poll(
          async () => {
            const issued = performance.now();
            failure = await client.get('anything').then(
              () => undefined,
              (error: unknown) => error,
            );
            failedAfterMs = msSince(issued);
            return failure !== undefined;
          },
          { timeout: 10_000, interval: 10 },
        )
        .toBe(true);
      console.info(`redis stalled: a command failed after ${failedAfterMs} ms`);
      expect(failedAfterMs).toBeLessThan(2_000);
      expectUnavailable(failure);
      await stalled;
      await expect.poll(() => client.ping().catch(() => 'not yet'), { timeout: 10_000 }).toBe('PONG');
    } finally {
      await stalled.catch(() => undefined);
      client.disconnect();
    }
  });

  it("answers a route that let Redis' failure escape with a retriable 503, not a 500", async () => {
    const client = createRedisClient(redis.url);
    const http = createHttpService({
      logger: captureLogs('silent').logger,
      readiness: [],
      routes: {
        '/counter': async (_req, res) => {
          res.end(String(await client.incr('counter')));
        },
      },
    });
    const { port } = await http.listen(0);
    try {
      await redis.stop();
      const response = await fetch(`http://127.0.0.1:${port}/counter`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: 'upstream_unavailable', message: REDIS_UNAVAILABLE_MESSAGE });
    } finally {
      await http.close(0);
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
