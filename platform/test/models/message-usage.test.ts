import { ConversationUsageDocument, MyBudgetDocument, MyUsageDocument, UsageReportDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

describe('what each reply cost, through the gateway', () => {
  let platform: PlatformUnderTest;
  const queries: string[] = [];
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let admin: { id: string; token: string };
  let conversationId: string;
  let replies: string[];

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { ADMIN_EMAILS: 'admin@example.com' }, onQuery: (sql) => queries.push(sql) });
    alice = await registerUser(platform.url, 'alice@example.com');
    bob = await registerUser(platform.url, 'bob@example.com');
    admin = await registerUser(platform.url, 'admin@example.com');
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: alice.id, title: 'Costs' });
    conversationId = conversation.id;
    replies = [];
    // As the chat worker will: each reply asked of the models API on Alice's behalf, naming the message.
    for (const question of ['one', 'two', 'three']) {
      await history.appendMessage(conversation, { role: 'USER', content: question });
      const reply = await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' });
      replies.push(reply.id);
      const models = new OpenAI({
        baseURL: platform.subgraphUrls['models']!.replace('/graphql', '/v1'),
        apiKey: platform.internalServiceToken,
        defaultHeaders: { 'x-parley-user-id': alice.id, 'x-parley-message-id': reply.id },
      });
      await models.chat.completions.create({ model: 'dev/echo', messages: [{ role: 'user', content: `Please answer ${question}` }] });
    }
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('shows each assistant message’s usage and model, resolved by the models subgraph in one batch', async () => {
    queries.length = 0;
    const { body } = await postGraphQL(platform.url, ConversationUsageDocument, { token: alice.token, variables: { id: conversationId } });
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.conversation!.messages.edges.map((e) => e.node);
    for (const node of nodes.filter((n) => n.role === 'ASSISTANT')) {
      expect(replies).toContain(node.id);
      expect(node.usage).toMatchObject({ costUsd: 0 });
      expect(node.usage!.promptTokens).toBeGreaterThan(0);
      expect(node.usage!.completionTokens).toBeGreaterThan(0);
      expect(node.model).toEqual({ id: 'dev/echo', displayName: 'Echo (development model)', development: true });
    }
    for (const node of nodes.filter((n) => n.role === 'USER')) expect([node.usage, node.model]).toEqual([null, null]);
    if (platform.mode === 'embedded') expect(queries.filter((sql) => sql.includes('"models"."usage_record"'))).toHaveLength(1);
  });

  it('never shows one user’s usage to another, even through the models subgraph directly', async () => {
    const direct = await postGraphQL(
      platform.subgraphUrls['models']!,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { usage { costUsd } model { id } } } }',
      { token: bob.token, headers: platform.internalHeaders, variables: { r: [{ __typename: 'Message', id: replies[0] }] } },
    );
    expect(direct.body.data).toEqual({ _entities: [{ usage: null, model: null }] });
  });

  it('reports the signed-in user’s usage by model and by day', async () => {
    const { body } = await postGraphQL(platform.url, MyUsageDocument, { token: alice.token });
    expect(body.data!.myUsage).toMatchObject({ requests: 3, costUsd: 0, byModel: [{ model: 'dev/echo', requests: 3, costUsd: 0 }] });
    expect(body.data!.myUsage.byDay).toEqual([{ day: new Date().toISOString().slice(0, 10), requests: 3 }]);
    const bobs = await postGraphQL(platform.url, MyUsageDocument, { token: bob.token });
    expect(bobs.body.data!.myUsage.requests).toBe(0);
    const backwards = await postGraphQL(platform.url, MyUsageDocument, {
      token: alice.token,
      variables: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    });
    expect(backwards.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('lets admins, and only admins, read anyone’s usage', async () => {
    const refused = await postGraphQL(platform.url, UsageReportDocument, { token: bob.token, variables: { userId: alice.id } });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const report = await postGraphQL(platform.url, UsageReportDocument, { token: admin.token, variables: { userId: alice.id } });
    expect(report.body.data!.usageReport).toEqual({ requests: 3, byModel: [{ model: 'dev/echo', requests: 3 }] });
    const everyone = await postGraphQL(platform.url, UsageReportDocument, { token: admin.token });
    expect(everyone.body.data!.usageReport.requests).toBe(3);
  });

  it('shows the signed-in user their budget', async () => {
    const { body } = await postGraphQL(platform.url, MyBudgetDocument, { token: alice.token });
    expect(body.data!.myBudget).toEqual({ dailyLimitUsd: 10, monthlyLimitUsd: 100, spentTodayUsd: 0, spentThisMonthUsd: 0 });
    const anonymous = await postGraphQL(platform.url, MyBudgetDocument);
    expect(anonymous.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });
});
