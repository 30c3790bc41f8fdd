import { ConversationsWithOwnersDocument } from '@parley/client';
import { postGraphQL, rawGraphQLPost } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import { connect, subscribe } from '@parley/testing/subscriptions';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const aliased = (count: number, field: (i: number) => string) => Array.from({ length: count }, (_, i) => `m${i}: ${field(i)}`).join(' ');

/**
 * One request may not do the work of many: aliases of the mutations that start a model reply are capped per
 * request, every root mutation field counts against the caller's rate limit, and documents over the WebSocket meet
 * the parser's and the validator's limits as HTTP requests do.
 */
describe('one request cannot multiply what it asks of the platform', () => {
  let platform: PlatformUnderTest;
  let url: string;
  const clients: Client[] = [];

  /** A new account, as its owner signs it up (signing up counts against the address only). */
  const person = async (email: string) => registerUser(url, email);
  const conversationsOf = async (token: string) =>
    (await postGraphQL(url, ConversationsWithOwnersDocument, { token, variables: { first: 50 } })).body.data!.conversations.edges.map(
      (e) => e.node,
    );

  beforeAll(async () => {
    // Three requests an hour for each user: the hour only keeps the window from turning during the test.
    platform = await startPlatformUnderTest({ settings: { RATE_LIMIT_PER_USER: '3', RATE_LIMIT_WINDOW_SECONDS: '3600' } });
    url = platform.url;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses 15 aliased sendMessage before any runs: GRAPHQL_VALIDATION_FAILED naming the limit, no message stored', async () => {
    const { token } = await person('amplify-send@example.com');
    const query = `mutation { ${aliased(15, (i) => `sendMessage(input: { content: "question ${i}" }) { userMessage { id } }`)} }`;
    const { status, body } = await rawGraphQLPost(url, { query }, { authorization: `Bearer ${token}` });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/starts 15 model replies \(sendMessage ×15\); at most 1 per request/),
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'generatingMutations', actual: 15, maximum: 1 }),
      }),
    ]);
    expect(body.data).toBeUndefined();
    // The refused request counted once; this read is the second of the user's three.
    expect(await conversationsOf(token)).toEqual([]);
  });

  it('counts two different mutations that each start a reply together, through fragments too', async () => {
    const { token } = await person('amplify-mixed@example.com');
    const query = `mutation { sendMessage(input: { content: "hi" }) { userMessage { id } } ...Again }
      fragment Again on Mutation { regenerateMessage(messageId: "00000000-0000-4000-8000-000000000000") { userMessage { id } } }`;
    const { status, body } = await rawGraphQLPost(url, { query }, { authorization: `Bearer ${token}` });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ limit: 'generatingMutations', actual: 2 });
    expect(await conversationsOf(token)).toEqual([]);
  });

  it("counts each root mutation field against the user's rate limit, refusing the request that would go over before any field runs", async () => {
    const { id, token } = await person('amplify-rename@example.com');
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: id, title: 'Untitled' });
    const renames = (title: string) =>
      rawGraphQLPost(
        url,
        { query: `mutation { ${aliased(2, () => `renameConversation(id: "${conversation.id}", title: "${title}") { title }`)} }` },
        { authorization: `Bearer ${token}` },
      );
    const first = await renames('First');
    expect(first.body.errors).toBeUndefined();
    expect(first.status).toBe(200);
    // Two of three used: two more renames would be four.
    const second = await renames('Second');
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(second.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Too many requests: at most 3 per 3600 s\./),
        extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) }),
      }),
    ]);
    expect((await history.findOwned([conversation.id], id))[0]?.title).toBe('First');
  });

  it('meets the same parser and validation limits over the WebSocket: a 6,000-alias subscription is refused', async () => {
    const { id, token } = await person('amplify-socket@example.com');
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: id, title: 'Streams' });
    const replyId = (await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' })).id;
    const client = connect(url, { token });
    clients.push(client);

    const huge = subscribe(client, `subscription($id: ID!) { messageStream(messageId: $id) { ${aliased(6_000, () => 'seq')} } }`, {
      id: replyId,
    });
    expect((await huge.ended).errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/more than 4000 tokens/),
        extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }),
      }),
    ]);
    // Within the token limit, the alias limit refuses it, with the code and words HTTP gives.
    const many = subscribe(client, `subscription($id: ID!) { messageStream(messageId: $id) { ${aliased(31, () => 'seq')} } }`, {
      id: replyId,
    });
    expect((await many.ended).errors).toEqual([
      expect.objectContaining({
        message: 'The operation uses 31 aliases; at most 30 are allowed. Split it into several requests.',
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases' }),
      }),
    ]);
    expect(huge.results).toEqual([]);
    expect(many.results).toEqual([]);
  });
});
