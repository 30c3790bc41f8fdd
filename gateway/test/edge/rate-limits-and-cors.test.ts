import { loadConfig } from '@parley/runtime';
import { captureLogs, createManualClock, uniqueName } from '@parley/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { gatewayProtectionFrom, gatewayProtectionSettingsSchema } from '../../src/config/protection-settings';
import { createMemoryRateLimiter, createRedisRateLimiter } from '../../src/http/rate-limiter';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

const query = (url: string, headers: Record<string, string>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ models { id } }' }),
  });

/**
 * The gateway over stand-in subgraphs, configured from the same settings a
 * gateway process reads, with its rate-limit windows on a clock that stands
 * still: on real time, a burst that straddled a minute boundary found the
 * previous minute's count already partly discounted, and its fifth request
 * was let through. Counters live in Redis when REDIS_URL is set (as the
 * gateway processes keep them), and in memory otherwise.
 */
describe('rate limits and CORS at the gateway', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  let redis: Redis | null = null;

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    const settings = loadConfig(gatewayProtectionSettingsSchema, {
      RATE_LIMIT_PER_USER: '4',
      RATE_LIMIT_PER_ADDRESS: '10',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      // Each test speaks from its own address, as clients behind a load balancer would.
      TRUST_FORWARDED_FOR: 'true',
      CORS_ORIGINS: 'https://app.example.com',
    });
    const clock = createManualClock();
    redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : null;
    gateway = await startGatewayOverStandIns(standIns, {
      protection: gatewayProtectionFrom(settings),
      rateLimiter: redis
        ? createRedisRateLimiter({ redis, namespace: `${uniqueName('rl')}:`, logger: captureLogs('silent').logger, now: clock.millis })
        : createMemoryRateLimiter({ now: clock.millis }),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.quit();
    await standIns?.close();
  });

  it('limits each user, reporting what is left in RateLimit headers, then refuses with 429, Retry-After and RATE_LIMITED', async () => {
    const token = await standIns.signIn('busy@example.com');
    const headers = { authorization: `Bearer ${token}`, 'x-forwarded-for': '10.0.0.1' };
    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await query(gateway.url, headers);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);
    const refused = await query(gateway.url, headers);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('4');
    const error = ((await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] }).errors[0]!;
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(error.message).toMatch(/at most 4 per 60 s\. Try again in \d+ s/);

    // The same counters hold on the WebSocket: the user is out of requests there too.
    const client = connect(gateway.url, { token });
    try {
      const overSocket = subscribe(client, '{ models { id } }');
      const ended = await overSocket.ended;
      expect(JSON.stringify(overSocket.results[0]?.errors ?? ended.errors)).toMatch(/RATE_LIMITED|Too many requests/);
    } finally {
      await client.dispose();
    }
  });

  it('limits each address, signed in or not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await query(gateway.url, { 'x-forwarded-for': '10.0.0.2' })).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
    // Another address is not affected.
    expect((await query(gateway.url, { 'x-forwarded-for': '10.0.0.3' })).status).toBe(200);
  });

  it('answers CORS preflights for configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(gateway.url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization',
          'x-forwarded-for': '10.0.0.4',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const other = await preflight('https://evil.example.net');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await query(gateway.url, { origin: 'https://app.example.com', 'x-forwarded-for': '10.0.0.4' });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(actual.headers.get('access-control-expose-headers')).toMatch(/RateLimit-Remaining/);
  });
});
