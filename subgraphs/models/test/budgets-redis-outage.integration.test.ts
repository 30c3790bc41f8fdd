import { randomUUID } from 'node:crypto';
import { captureLogs, startFakeUpstream, startOwnRedis, type OwnService } from '@parley/testing';
import Redis from 'ioredis';
import type { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

/**
 * Budgets and the response cache live in Redis. While it is unreachable the
 * models service keeps serving: a budget is checked against PostgreSQL's usage
 * records (what bills), the cache is skipped, and no request waits for Redis.
 * Once Redis is back it learns what was spent meanwhile. On this suite's own
 * redis-server, stopped under the service.
 */
describe('budgets and the response cache while Redis is unreachable (own redis-server)', () => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let own: OwnService;
  let models: ModelsHarness;
  let inspect: Redis;
  const logs = captureLogs('info');

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['A', ' cached', ' answer'] });
    own = await startOwnRedis();
    inspect = new Redis(own.url, { lazyConnect: true });
    models = await startModelsHarness(
      { deployments: [fakeDeployment('only', upstream.baseUrl)] },
      // Each reply costs (11×2 + 3×10)/1e6 = $0.000052; a request holds (prompt×2 + 5×10)/1e6 ≈ $0.00007 until it settles.
      { DEFAULT_DAILY_BUDGET_USD: '0.0002', DEFAULT_MONTHLY_BUDGET_USD: '1' },
      { redisUrl: own.url, logger: logs.logger },
    );
  });
  afterAll(async () => {
    await models?.stop();
    inspect?.disconnect();
    await own?.remove();
    await upstream?.close();
  });

  /** The user's day in Redis (the suite's own: only this service's keys are there). */
  const redisDayTotals = async (user: string) => {
    const [key] = await inspect.keys(`*budget:${user}:????-??-??`);
    return key ? inspect.hgetall(key) : null;
  };

  const ask = (user: string, content = 'Budget?') =>
    models
      .client(user)
      .chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content }], max_tokens: 5 })
      .catch((error: unknown) => error as APIError);

  it('still refuses past the budget, counting what was spent before and during the outage, and tells Redis afterwards', async () => {
    const user = randomUUID();
    expect(await ask(user)).toHaveProperty('choices');
    await own.stop();

    const started = performance.now();
    expect(await ask(user)).toHaveProperty('choices');
    expect(await ask(user)).toHaveProperty('choices');
    expect(performance.now() - started).toBeLessThan(3_000);
    const refused = (await ask(user)) as APIError;
    expect(refused).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(refused.message).toMatch(/daily budget of \$0\.00 is used up/);
    // Someone else's budget is their own.
    expect(await ask(randomUUID())).toHaveProperty('choices');
    expect(
      logs
        .lines()
        .filter((line) => line['msg'] === "redis unreachable: budgets are checked against PostgreSQL's usage records until it is back"),
    ).toHaveLength(1);

    await own.start();
    // The two replies of the outage reach Redis' day total, beside the one before: 3 × 52 micro-dollars, nothing held.
    await expect.poll(() => redisDayTotals(user)).toEqual({ spent: '156', held: '0' });
    expect(await ask(user)).toMatchObject({ status: 429, code: 'budget_exceeded' });
  });

  it('charges a reply asked for again during the outage once, and gives Redis back the superseded charge when it returns', async () => {
    const user = randomUUID();
    const message = randomUUID();
    const askFor = () =>
      models
        .client(user, { 'x-parley-message-id': message })
        .chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'Budget?' }], max_tokens: 5 });
    await own.stop();
    // Two attempts at one message: the first is superseded by the second.
    await askFor();
    await askFor();
    await expect
      .poll(async () => (await models.usage()).filter((r) => r.messageId === message).map((r) => r.supersededBy !== null))
      .toEqual([true, false]);
    // Charged once ($0.000052), so two more replies still fit the $0.0002 day; counting both attempts would refuse the second.
    expect(await ask(user)).toHaveProperty('choices');
    expect(await ask(user)).toHaveProperty('choices');

    await own.start();
    // Three replies charged in Redis' day total once the settlements and the release made meanwhile are applied.
    await expect.poll(() => redisDayTotals(user)).toEqual({ spent: '156', held: '0' });
  });

  it('skips the response cache at once while Redis is down: every request goes upstream and nothing is stored', async () => {
    await own.stop();
    const user = randomUUID();
    const request = { model: 'fake/chat', messages: [{ role: 'user' as const, content: 'Same question' }], temperature: 0, max_tokens: 5 };
    const before = upstream.requests.length;
    const started = performance.now();
    for (let i = 0; i < 2; i++) {
      const { response } = await models.client(user).chat.completions.create(request).withResponse();
      expect(response.headers.get('x-parley-cache')).toBe('miss');
    }
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(upstream.requests.length - before).toBe(2);
    await own.start();
    expect(await inspect.keys('*reply:*')).toEqual([]);
  });
});
