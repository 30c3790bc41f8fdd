import { ConversationsWithOwnersDocument, ModelsDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../src/testing/platform-under-test';

/**
 * Services mode as CI and production run it: the gateway and the four
 * subgraphs as separate processes on real PostgreSQL, Redis and Kafka.
 */
describe('services mode: five processes on real PostgreSQL, Redis and Kafka', () => {
  const real = realServices()!;
  let platform: PlatformUnderTest;
  let gatewayUrl: string;
  let alice: { id: string; token: string };
  const port = (name: string) => new URL(platform.subgraphUrls[name]!).port;

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    expect(platform.mode).toBe('services');
    gatewayUrl = platform.url;
    const user = await platform.users.directory().create({ email: 'alice@example.com', displayName: 'Alice' });
    alice = { id: user.id, token: (await platform.users.tokens.issue({ userId: user.id, roles: user.roles })).token };
    const history = platform.chat.history();
    for (const title of ['Kafka notes', 'PostgreSQL notes']) {
      const conversation = await history.createConversation({ ownerId: user.id, title });
      await history.appendMessage(conversation, { role: 'USER', content: `Tell me about ${title}` });
    }
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('answers the cross-subgraph conversations query through the gateway over HTTP', async () => {
    const { status, body } = await postGraphQL(gatewayUrl, ConversationsWithOwnersDocument, {
      token: alice.token,
      variables: { first: 10 },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.conversations.edges.map((e) => [e.node.title, e.node.owner.email, e.node.owner.displayName])).toEqual([
      ['PostgreSQL notes', 'alice@example.com', 'Alice'],
      ['Kafka notes', 'alice@example.com', 'Alice'],
    ]);
    expect(body.data!.conversations.edges[0]!.node.messages.edges[0]!.node.content).toBe('Tell me about PostgreSQL notes');
  });

  it('serves the models catalog from the models process', async () => {
    const { body } = await postGraphQL(gatewayUrl, ModelsDocument);
    expect(body.data!.models.map((m) => m.id)).toContain('dev/echo');
  });

  it('reports each dependency of a subgraph in /readyz', async () => {
    const response = await fetch(`http://127.0.0.1:${port('chat')}/readyz`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { checks: Record<string, { status: string; address: string }> };
    expect(report.checks).toEqual({
      postgres: expect.objectContaining({ status: 'up' }),
      redis: expect.objectContaining({ status: 'up', address: '127.0.0.1:6379' }),
      kafka: expect.objectContaining({ status: 'up', address: real.kafkaBrokers }),
    });
  });

  it('has every subgraph refuse a forged or missing token when called directly', async () => {
    const forged = `${alice.token.slice(0, -4)}AAAA`;
    for (const name of ['users', 'chat', 'models', 'translation']) {
      const { status, body } = await postGraphQL(platform.subgraphUrls[name]!, '{ __typename }', {
        token: forged,
        headers: platform.internalHeaders,
      });
      expect(status, name).toBe(401);
      expect(body.errors?.[0]?.extensions?.['code'], name).toBe('UNAUTHENTICATED');
    }
    const anonymous = await postGraphQL(platform.subgraphUrls['chat']!, '{ conversations { edges { cursor } } }', {
      headers: platform.internalHeaders,
    });
    expect(anonymous.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const translation = platform.processes['translation']!;
    const code = await translation.stop('SIGTERM');
    expect(code, translation.output()).toBe(0);
    // The gateway stays in the load balancer with one subgraph gone (every replica would go out with it), naming it
    // once its next round of probes (at most a second old) has seen it go.
    const readiness = async () => {
      const ready = await fetch(new URL('/readyz', gatewayUrl));
      return { status: ready.status, report: (await ready.json()) as { degraded: string[]; checks: Record<string, { status: string }> } };
    };
    await expect.poll(async () => (await readiness()).report.degraded, { timeout: 10_000 }).toEqual(['translation']);
    const { status, report } = await readiness();
    expect(status).toBe(200);
    expect(report.checks['translation']?.status).toBe('down');
    expect(report.checks['chat']?.status).toBe('up');
  });
});
