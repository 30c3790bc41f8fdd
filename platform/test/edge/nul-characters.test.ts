import { ConversationsWithOwnersDocument, RegisterDocument, RenameConversationDocument, SearchConversationsDocument } from '@parley/client';
import { postGraphQL, rawGraphQLPost } from '@parley/testing';
import { callRest, originOf } from '@parley/testing/rest';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { PASSPHRASE, registerUser, sendMessage, trySendMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

/**
 * PostgreSQL cannot store U+0000 in text; a NUL anywhere in an input used to reach it and come back as
 * INTERNAL_SERVER_ERROR (500). Every door refuses it first, as bad input naming where it was.
 */
describe('a NUL character (U+0000) in any text input is refused as bad input, naming it, and nothing is written', () => {
  let platform: PlatformUnderTest;
  let url: string;
  let origin: string;
  let alice: { id: string; token: string };
  let conversationId: string;

  const titles = async () =>
    (
      await postGraphQL(url, ConversationsWithOwnersDocument, { token: alice.token, variables: { first: 50 } })
    ).body.data!.conversations.edges.map((e) => e.node.title);
  const refusedNaming = (field: string) =>
    expect.objectContaining({
      message: expect.stringContaining(`${field} contains a NUL character (U+0000)`),
      extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field }),
    });

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    url = platform.url;
    origin = originOf(url);
    alice = await registerUser(url, 'nul-alice@example.com');
    conversationId = (await sendMessage(url, alice.token, { content: 'A first question' })).conversation.id;
    await postGraphQL(url, RenameConversationDocument, { token: alice.token, variables: { id: conversationId, title: 'Kept' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('sendMessage content, in variables: 400 BAD_USER_INPUT naming input.content, no conversation started', async () => {
    const { status, body } = await trySendMessage(url, alice.token, { content: 'hello\u0000world' });
    expect(body.errors).toEqual([refusedNaming('input.content')]);
    expect(status).toBe(400);
    expect(await titles()).toEqual(['Kept']);
  });

  it('renameConversation title, as a literal in the document: BAD_USER_INPUT naming the argument, the title kept', async () => {
    const { status, body } = await rawGraphQLPost(
      url,
      { query: `mutation { renameConversation(id: "${conversationId}", title: "bad\\u0000title") { id title } }` },
      { authorization: `Bearer ${alice.token}` },
    );
    expect(body.errors).toEqual([refusedNaming('renameConversation.title')]);
    expect(status).toBe(400);
    const inVariables = await postGraphQL(url, RenameConversationDocument, {
      token: alice.token,
      variables: { id: conversationId, title: 'bad\u0000title' },
    });
    expect(inVariables.body.errors).toEqual([refusedNaming('title')]);
    expect(await titles()).toEqual(['Kept']);
  });

  it('conversations search: BAD_USER_INPUT naming search', async () => {
    const { status, body } = await postGraphQL(url, SearchConversationsDocument, { token: alice.token, variables: { search: 'a\u0000b' } });
    expect(body.errors).toEqual([refusedNaming('search')]);
    expect(status).toBe(400);
  });

  it('over the WebSocket too: a subscription and a mutation', async () => {
    const client = connect(url, { token: alice.token });
    try {
      const stream = subscribe(client, 'subscription($id: ID!) { messageStream(messageId: $id) { seq } }', { id: 'a\u0000b' });
      expect((await stream.ended).errors).toEqual([refusedNaming('id')]);
      const rename = subscribe(client, 'mutation($id: ID!, $title: String!) { renameConversation(id: $id, title: $title) { title } }', {
        id: conversationId,
        title: 'bad\u0000title',
      });
      const ended = await rename.ended;
      expect(rename.results[0]?.errors ?? ended.errors).toEqual([refusedNaming('title')]);
    } finally {
      await client.dispose();
    }
    expect(await titles()).toEqual(['Kept']);
  });

  it('register e-mail or display name: BAD_USER_INPUT naming the field, no account created', async () => {
    for (const [input, field] of [
      [{ email: 'nul\u0000@example.com', password: PASSPHRASE }, 'input.email'],
      [{ email: 'nul-name@example.com', password: PASSPHRASE, displayName: 'Nul\u0000Name' }, 'input.displayName'],
    ] as const) {
      const { status, body } = await postGraphQL(url, RegisterDocument, { variables: { input } });
      expect(body.errors).toEqual([refusedNaming(field)]);
      expect(status).toBe(400);
    }
    // The address is still free: nothing was written for it.
    await registerUser(url, 'nul-name@example.com');
  });

  it('a subgraph refuses it again, for a caller that reaches it directly', async () => {
    const { status, body } = await rawGraphQLPost(
      platform.subgraphUrls['chat']!,
      { query: 'query($search: String) { conversations(search: $search) { edges { cursor } } }', variables: { search: 'a\u0000b' } },
      { ...platform.internalHeaders, authorization: `Bearer ${alice.token}` },
    );
    expect(status).toBe(400);
    expect(body.errors).toEqual([refusedNaming('search')]);
  });

  it('the REST API: 400 with code BAD_USER_INPUT and the field, nothing written', async () => {
    const completion = await callRest(origin, 'POST', '/api/v1/chat/completions', { token: alice.token, body: { content: 'a\u0000b' } });
    expect(completion.status).toBe(400);
    expect(completion.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.content' });
    expect(await titles()).toEqual(['Kept']);
    const profile = await callRest(origin, 'PUT', '/api/v1/users/profile', { token: alice.token, body: { displayName: 'A\u0000' } });
    expect(profile.status).toBe(400);
    expect(profile.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.displayName' });
    const search = await callRest(origin, 'GET', '/api/v1/chat/history?search=a%00b', { token: alice.token });
    expect(search.status).toBe(400);
    expect(search.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'search' });
  });

  it("the OpenAI-compatible /v1: 400 invalid_request_error naming the message's content", async () => {
    const completion = await callRest(origin, 'POST', '/v1/chat/completions', {
      token: alice.token,
      body: { model: 'dev/echo', messages: [{ role: 'user', content: 'a\u0000b' }] },
    });
    expect(completion.status).toBe(400);
    expect(completion.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages.0.content' });
    expect(completion.body.error.message).toMatch(/NUL character \(U\+0000\)/);
  });
});
