import { createHash } from 'node:crypto';
import { captureLogs, createManualClock, uniqueName } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, defaultGatewayProtection } from '@parley/gateway';
import { startGatewayOver } from '../support/in-process-gateway';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

describe.runIf(realServices())('gateway replicas share rate limits and persisted queries through Redis (services mode)', () => {
  let platform: PlatformUnderTest;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    platform = await startPlatformUnderTest({ gateways: 2 });
  }, 120_000);
  afterAll(async () => {
    for (const close of closers) await close();
    await platform?.stop();
  });

  it('counts one user’s requests on both gateways against one limit, kept in Redis', async () => {
    // Two gateways, each with its own Redis connection, on one namespace, as replicas are; built here so that their
    // windows run on a clock that stands still (the processes' real one let a burst straddle a window boundary,
    // where the earlier window's count is already partly discounted and a seventh request gets through).
    const clock = createManualClock();
    const namespace = `${uniqueName('rl')}:`;
    const replica = async () => {
      const redis = new Redis(realServices()!.redisUrl);
      closers.push(() => redis.quit());
      const gateway = await startGatewayOver(platform, {
        protection: { edge: { ...defaultGatewayProtection.edge, perUserLimit: 6, windowSeconds: 60 } },
        rateLimiter: createRedisRateLimiter({ redis, namespace, logger: captureLogs('silent').logger, now: clock.millis }),
      });
      closers.unshift(() => gateway.close());
      return gateway.url;
    };
    const [a, b] = [await replica(), await replica()];
    const { token } = await registerUser(a, 'replicas@example.com');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await fetch(i % 2 === 0 ? a : b, { method: 'POST', headers, body: JSON.stringify({ query: '{ me { id } }' }) });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('runs a persisted query registered on one gateway by its hash alone on the other', async () => {
    const [a, b] = platform.gatewayUrls as [string, string];
    const query = '{ supportedLanguages { code name } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const post = (url: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<any>,
      );
    expect((await post(a, { query, extensions })).data.supportedLanguages.length).toBeGreaterThan(5);
    const onB = await post(b, { extensions });
    expect(onB.errors).toBeUndefined();
    expect(onB.data.supportedLanguages).toContainEqual({ code: 'zh-CN', name: 'Chinese (Simplified)' });
  });
});
