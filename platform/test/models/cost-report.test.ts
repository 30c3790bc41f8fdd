import { CostReportDocument, MyUsageByUserDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

describe('what the platform spent, for an operator, through the graph', () => {
  let platform: PlatformUnderTest;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let admin: { id: string; token: string };
  /** What each user's calls cost, as the models API answered them. */
  const spent = new Map<string, number>();

  /** A call to the models API on `userId`'s behalf, as the chat worker makes them; its cost at $1,000 a million tokens. */
  async function callFor(userId: string, model: string, content: string) {
    const models = new OpenAI({
      baseURL: platform.subgraphUrls['models']!.replace('/graphql', '/v1'),
      apiKey: platform.internalServiceToken,
      defaultHeaders: { 'x-parley-user-id': userId },
    });
    const answer = await models.chat.completions.create({ model, messages: [{ role: 'user', content }] });
    spent.set(userId, (spent.get(userId) ?? 0) + (answer.usage!.prompt_tokens + answer.usage!.completion_tokens) / 1_000);
  }

  beforeAll(async () => {
    platform = await startPlatformUnderTest({
      settings: { ...testModelsSettings({ pricePerMTok: 1_000 }), ADMIN_EMAILS: 'admin@example.com' },
    });
    alice = await registerUser(platform.url, 'alice@example.com');
    bob = await registerUser(platform.url, 'bob@example.com');
    admin = await registerUser(platform.url, 'admin@example.com');
    await callFor(alice.id, 'dev/echo', 'A rather long question from Alice, so that she spends the most of the two');
    await callFor(alice.id, 'dev/echo', 'And a second one');
    await callFor(bob.id, 'dev/echo', 'Bob asks once');
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('gives admins spend by model, deployment, day and user, each user against their budget', async () => {
    const { body } = await postGraphQL(platform.url, CostReportDocument, { token: admin.token, variables: { first: 10 } });
    expect(body.errors).toBeUndefined();
    const report = body.data!.usageReport;
    const total = spent.get(alice.id)! + spent.get(bob.id)!;
    expect(report.requests).toBe(3);
    expect(report.costUsd).toBeCloseTo(total, 9);
    expect(report.byModel).toEqual([{ model: 'dev/echo', requests: 3, costUsd: expect.closeTo(total, 9) }]);
    expect(report.byDeployment).toEqual([
      expect.objectContaining({ deployment: 'dev-echo', model: 'dev/echo', requests: 3, costUsd: expect.closeTo(total, 9) }),
    ]);
    expect(report.byDay).toEqual([{ day: new Date().toISOString().slice(0, 10), requests: 3, costUsd: expect.closeTo(total, 9) }]);
    // Alice spent most, so she comes first; each with what they spent today against the day's limit.
    expect(report.byUser.map((u) => [u.user.id, u.requests])).toEqual([
      [alice.id, 2],
      [bob.id, 1],
    ]);
    const [first] = report.byUser;
    expect(first!.user.displayName).toBeTruthy();
    expect(first!.costUsd).toBeCloseTo(spent.get(alice.id)!, 9);
    expect(first!.budget).toMatchObject({
      dailyLimitUsd: 10,
      monthlyLimitUsd: 100,
      spentTodayUsd: expect.closeTo(spent.get(alice.id)!, 6),
    });
  });

  it('keeps the top spenders to `first`, and refuses a count it cannot give', async () => {
    const one = await postGraphQL(platform.url, CostReportDocument, { token: admin.token, variables: { first: 1 } });
    expect(one.body.data!.usageReport.byUser.map((u) => u.user.id)).toEqual([alice.id]);
    const none = await postGraphQL(platform.url, CostReportDocument, { token: admin.token, variables: { first: 0 } });
    expect(none.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
    expect(none.body.errors?.[0]?.message).toContain('from 1 to 100');
  });

  it('shows no one else’s spend to a user who is not an admin', async () => {
    const refused = await postGraphQL(platform.url, CostReportDocument, { token: bob.token });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const own = await postGraphQL(platform.url, MyUsageByUserDocument, { token: bob.token });
    expect(own.body.data!.myUsage.byUser).toEqual([{ user: { id: bob.id }, costUsd: expect.closeTo(spent.get(bob.id)!, 9) }]);
  });
});
