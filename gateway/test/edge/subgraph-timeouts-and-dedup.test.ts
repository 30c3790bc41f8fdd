import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startGatewayOverStandIns,
  startStandInSubgraphs,
  STAND_IN_CONVERSATION,
  type StandInSubgraphs,
} from '../support/stand-in-subgraphs';

/**
 * Over stand-in subgraphs whose "translation" never answers and whose "parley" answers each request after 300 ms,
 * so that concurrent requests are in flight together.
 */
describe('subgraph requests: bounded by a timeout, and identical reads shared', () => {
  let standIns: StandInSubgraphs;
  let gatewayUrl: string;
  let closeGateway: () => Promise<void>;
  let token: string;
  let otherToken: string;
  const conversationId = STAND_IN_CONVERSATION.id;

  const post = (query: string, bearer: string, variables: Record<string, unknown> = {}) =>
    fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] },
    }));

  beforeAll(async () => {
    standIns = await startStandInSubgraphs({ translation: 'hangs', parleyDelayMs: 300 });
    token = await standIns.signIn('timeouts@example.com');
    otherToken = await standIns.signIn('timeouts-2@example.com');
    const gateway = await startGatewayOverStandIns(standIns, { protection: { subgraphTimeoutMs: 1000 } });
    gatewayUrl = gateway.url;
    closeGateway = gateway.close;
  });
  afterAll(async () => {
    await closeGateway?.();
    await standIns?.close();
  });

  it('answers without the part a hanging subgraph serves, with UPSTREAM_UNAVAILABLE naming it, instead of hanging', async () => {
    const started = Date.now();
    const { status, body } = await post(
      'query($id: ID!) { conversation(id: $id) { title messages { edges { node { content translation(to: "fr") { text } } } } } }',
      token,
      { id: conversationId },
    );
    // Answered by the 1 s subgraph timeout, not the 30 s request timeout nor never: a generous bound, since a busy
    // machine can stretch the other subgraph calls of this query past a tight one like 3 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(status).toBe(200);
    const nodes = body.data.conversation.messages.edges.map((e: { node: unknown }) => e.node);
    expect(nodes[0]).toEqual({ content: 'Hello there, gateway.', translation: null });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/translation service did not answer within 1000 ms/);
  });

  it('sends identical concurrent reads of one caller to a subgraph once', async () => {
    const before = standIns.received.parley.length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('{ me { id email } }', token)));
    for (const { body } of answers) expect(body.data.me.email).toBe('timeouts@example.com');
    expect(standIns.received.parley.length - before).toBe(1);
  });

  it('never shares a read between two callers, nor any mutation', async () => {
    const before = standIns.received.parley.length;
    const [mine, theirs] = await Promise.all([post('{ me { email } }', token), post('{ me { email } }', otherToken)]);
    expect(mine.body.data.me.email).toBe('timeouts@example.com');
    expect(theirs.body.data.me.email).toBe('timeouts-2@example.com');
    expect(standIns.received.parley.slice(before).filter((body) => body.includes('email'))).toHaveLength(2);

    const mutation = 'mutation { updateSettings(input: { autoTranslate: true }) { autoTranslate } }';
    const afterReads = standIns.received.parley.length;
    await Promise.all([post(mutation, token), post(mutation, token)]);
    expect(standIns.received.parley.slice(afterReads).filter((body) => body.includes('updateSettings'))).toHaveLength(2);
  });
});
