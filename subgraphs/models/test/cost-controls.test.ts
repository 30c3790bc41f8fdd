import { randomUUID } from 'node:crypto';
import type { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

describe('cost controls: response cache and budgets', () => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let models: ModelsHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['A', ' cached', ' answer'] });
    models = await startModelsHarness(
      { deployments: [fakeDeployment('only', upstream.baseUrl)] },
      // Each reply costs (11×2 + 3×10)/1e6 = $0.000052; a request holds (prompt×2 + 5×10)/1e6 ≈ $0.00007 until it settles.
      { DEFAULT_DAILY_BUDGET_USD: '0.0002', DEFAULT_MONTHLY_BUDGET_USD: '1' },
    );
  });
  afterAll(async () => {
    await models?.stop();
    await upstream?.close();
  });

  it('replays a deterministic request from the cache at no upstream cost, but never to another user', async () => {
    const user = randomUUID();
    const request = { model: 'fake/chat', messages: [{ role: 'user' as const, content: 'Same question' }], temperature: 0, max_tokens: 5 };
    const first = await models.client(user).chat.completions.create(request).withResponse();
    expect(first.response.headers.get('x-parley-cache')).toBe('miss');
    const second = await models.client(user).chat.completions.create(request).withResponse();
    expect(second.response.headers.get('x-parley-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe('A cached answer');
    expect(second.data.usage).toEqual(first.data.usage);
    expect(upstream.requests).toHaveLength(1);
    const records = (await models.usage()).filter((r) => r.userId === user);
    expect(records.map((r) => [r.outcome, r.costUsd > 0])).toEqual([
      ['ok', true],
      ['cached', false],
    ]);
    const someoneElse = await models.client(randomUUID()).chat.completions.create(request).withResponse();
    expect(someoneElse.response.headers.get('x-parley-cache')).toBe('miss');
    expect(upstream.requests).toHaveLength(2);
  });

  it('does not cache a request that is neither deterministic nor marked cacheable', async () => {
    const user = randomUUID();
    const request = {
      model: 'fake/chat',
      messages: [{ role: 'user' as const, content: 'Creative question' }],
      temperature: 0.9,
      max_tokens: 5,
    };
    await models.client(user).chat.completions.create(request);
    const again = await models.client(user).chat.completions.create(request).withResponse();
    expect(again.response.headers.get('x-parley-cache')).toBe('miss');
    const marked = await models.client(user, { 'x-parley-cache': 'true' }).chat.completions.create(request).withResponse();
    expect(marked.response.headers.get('x-parley-cache')).toBe('miss');
    const replayed = await models.client(user, { 'x-parley-cache': 'true' }).chat.completions.create(request).withResponse();
    expect(replayed.response.headers.get('x-parley-cache')).toBe('hit');
  });

  it('refuses a request that would go over the daily budget, with BUDGET_EXCEEDED as OpenAI spells quota errors', async () => {
    const user = randomUUID();
    const request = { model: 'fake/chat', messages: [{ role: 'user' as const, content: 'Budget?' }], max_tokens: 5 };
    for (let i = 0; i < 3; i++) await models.client(user).chat.completions.create(request);
    const refused = (await models
      .client(user)
      .chat.completions.create(request)
      .catch((e: unknown) => e)) as APIError;
    expect(refused.status).toBe(429);
    expect(refused.type).toBe('insufficient_quota');
    expect(refused.code).toBe('budget_exceeded');
    expect(refused.message).toMatch(/daily budget of \$0\.00 is used up/);
    // Someone else's budget is their own.
    await expect(models.client(randomUUID()).chat.completions.create(request)).resolves.toBeDefined();
  });
});
