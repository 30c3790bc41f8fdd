import {
  BranchViewDocument,
  EditMessageDocument,
  MessageStateDocument,
  RegenerateMessageDocument,
  RegisterDocument,
  SearchConversationsDocument,
  SelectBranchDocument,
  SendMessageDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const echo = (question: string) => `Echo: ${question}`;

describe('message branches and conversation search', () => {
  let platform: PlatformUnderTest;
  let alice: string;
  let bob: string;

  const register = async (email: string) =>
    (await postGraphQL(platform.url, RegisterDocument, { variables: { input: { email, password: 'a long enough passphrase' } } })).body
      .data!.register.accessToken;
  const finished = async (token: string, id: string) => {
    await expect
      .poll(async () => (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body.data?.message?.status, {
        timeout: 20_000,
        interval: 50,
      })
      .toMatch(/COMPLETED|FAILED|CANCELLED/);
  };
  const send = async (token: string, content: string, conversationId?: string) => {
    const { body } = await postGraphQL(platform.url, SendMessageDocument, {
      token,
      variables: { input: { content, ...(conversationId ? { conversationId } : {}) } },
    });
    expect(body.errors).toBeUndefined();
    await finished(token, body.data!.sendMessage.assistantMessage.id);
    return body.data!.sendMessage;
  };
  const view = async (token: string, id: string) =>
    (await postGraphQL(platform.url, BranchViewDocument, { token, variables: { id } })).body.data!.conversation!.messages.edges.map(
      (e) => e.node,
    );

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    alice = await register('alice@example.com');
    bob = await register('bob@example.com');
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('regenerates a reply as a sibling branch that becomes the active one; the old reply stays reachable', async () => {
    const first = await send(alice, 'Tell me a joke');
    const conversationId = first.conversation.id;
    const { body } = await postGraphQL(platform.url, RegenerateMessageDocument, {
      token: alice,
      variables: { messageId: first.assistantMessage.id },
    });
    expect(body.errors).toBeUndefined();
    const again = body.data!.regenerateMessage;
    expect(again.userMessage.id).toBe(first.userMessage.id);
    expect(again.assistantMessage.parentId).toBe(first.userMessage.id);
    await finished(alice, again.assistantMessage.id);

    const messages = await view(alice, conversationId);
    expect(messages.map((m) => m.id)).toEqual([first.userMessage.id, again.assistantMessage.id]);
    expect(messages[1]!.siblings.map((s) => s.id)).toEqual([first.assistantMessage.id, again.assistantMessage.id]);

    // Back to the first reply's branch.
    await postGraphQL(platform.url, SelectBranchDocument, { token: alice, variables: { messageId: first.assistantMessage.id } });
    expect((await view(alice, conversationId)).map((m) => m.id)).toEqual([first.userMessage.id, first.assistantMessage.id]);
  });

  it('edits a question into a new branch with its own reply; the original stays reachable as a sibling', async () => {
    const q1 = await send(alice, 'Question one');
    const q2 = await send(alice, 'Question two', q1.conversation.id);
    const { body } = await postGraphQL(platform.url, EditMessageDocument, {
      token: alice,
      variables: { messageId: q2.userMessage.id, content: 'Question two, better' },
    });
    expect(body.errors).toBeUndefined();
    const edited = body.data!.editMessage;
    expect(edited.userMessage.parentId).toBe(q1.assistantMessage.id);
    await finished(alice, edited.assistantMessage.id);
    const messages = await view(alice, q1.conversation.id);
    expect(messages.map((m) => m.content)).toEqual([
      'Question one',
      echo('Question one'),
      'Question two, better',
      echo('Question two, better'),
    ]);
    expect(messages[2]!.siblings.map((s) => s.id)).toEqual([q2.userMessage.id, edited.userMessage.id]);
  });

  it('refuses to regenerate a question, to edit a reply, or to touch another user’s messages', async () => {
    const sent = await send(alice, 'Mine');
    const wrongKind = await postGraphQL(platform.url, RegenerateMessageDocument, {
      token: alice,
      variables: { messageId: sent.userMessage.id },
    });
    expect(wrongKind.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const editReply = await postGraphQL(platform.url, EditMessageDocument, {
      token: alice,
      variables: { messageId: sent.assistantMessage.id, content: 'x' },
    });
    expect(editReply.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    for (const result of [
      await postGraphQL(platform.url, RegenerateMessageDocument, { token: bob, variables: { messageId: sent.assistantMessage.id } }),
      await postGraphQL(platform.url, EditMessageDocument, { token: bob, variables: { messageId: sent.userMessage.id, content: 'x' } }),
      await postGraphQL(platform.url, SelectBranchDocument, { token: bob, variables: { messageId: sent.userMessage.id } }),
    ]) {
      expect(result.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    }
  });

  it('finds conversations by words in their titles or messages, best match first, only the searcher’s own', async () => {
    const carol = await register('carol@example.com');
    const inTitleAndBody = await send(carol, 'Volcanoes of Iceland');
    const inBodyOnly = await send(carol, 'Tell me about travel');
    await send(carol, 'We could see volcanoes there', inBodyOnly.conversation.id);
    await send(carol, 'Nothing relevant');
    await send(bob, 'volcanoes are hot');

    const search = async (term: string, first = 10, after?: string) =>
      (
        await postGraphQL(platform.url, SearchConversationsDocument, {
          token: carol,
          variables: { search: term, first, ...(after ? { after } : {}) },
        })
      ).body;
    const { data } = await search('volcanoes');
    expect(data!.conversations.edges.map((e) => e.node.id)).toEqual([inTitleAndBody.conversation.id, inBodyOnly.conversation.id]);

    const page1 = (await search('volcanoes', 1)).data!.conversations;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await search('volcanoes', 1, page1.pageInfo.endCursor!)).data!.conversations;
    expect(page2.edges.map((e) => e.node.id)).toEqual([inBodyOnly.conversation.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    expect((await search('nonexistentword')).data!.conversations.edges).toEqual([]);
    const tooLong = await search('x'.repeat(201));
    expect(tooLong.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const badCursor = await search('volcanoes', 1, 'bogus');
    expect(badCursor.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
