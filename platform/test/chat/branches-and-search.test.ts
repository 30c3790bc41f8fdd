import {
  BranchViewDocument,
  EditMessageDocument,
  RegenerateMessageDocument,
  SearchConversationsDocument,
  SelectBranchDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { echoReply, finishedReply, registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

describe('message branches and conversation search', () => {
  let platform: PlatformUnderTest;
  let alice: string;
  let bob: string;

  const view = async (token: string, id: string) =>
    (await postGraphQL(platform.url, BranchViewDocument, { token, variables: { id } })).body.data!.conversation!.messages.edges.map(
      (e) => e.node,
    );

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    alice = (await registerUser(platform.url, 'alice@example.com')).token;
    bob = (await registerUser(platform.url, 'bob@example.com')).token;
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('regenerates a reply as a sibling branch that becomes the active one; the old reply stays reachable', async () => {
    const first = await sendAndWaitForReply(platform.url, alice, { content: 'Tell me a joke' });
    const conversationId = first.conversation.id;
    const { body } = await postGraphQL(platform.url, RegenerateMessageDocument, {
      token: alice,
      variables: { messageId: first.assistantMessage.id },
    });
    expect(body.errors).toBeUndefined();
    const again = body.data!.regenerateMessage;
    expect(again.userMessage.id).toBe(first.userMessage.id);
    expect(again.assistantMessage.parentId).toBe(first.userMessage.id);
    await finishedReply(platform.url, alice, again.assistantMessage.id);

    const messages = await view(alice, conversationId);
    expect(messages.map((m) => m.id)).toEqual([first.userMessage.id, again.assistantMessage.id]);
    expect(messages[1]!.siblings.map((s) => s.id)).toEqual([first.assistantMessage.id, again.assistantMessage.id]);

    // Back to the first reply's branch.
    await postGraphQL(platform.url, SelectBranchDocument, { token: alice, variables: { messageId: first.assistantMessage.id } });
    expect((await view(alice, conversationId)).map((m) => m.id)).toEqual([first.userMessage.id, first.assistantMessage.id]);
  });

  it('edits a question into a new branch with its own reply; the original stays reachable as a sibling', async () => {
    const q1 = await sendAndWaitForReply(platform.url, alice, { content: 'Question one' });
    const q2 = await sendAndWaitForReply(platform.url, alice, { content: 'Question two', conversationId: q1.conversation.id });
    const { body } = await postGraphQL(platform.url, EditMessageDocument, {
      token: alice,
      variables: { messageId: q2.userMessage.id, content: 'Question two, better' },
    });
    expect(body.errors).toBeUndefined();
    const edited = body.data!.editMessage;
    expect(edited.userMessage.parentId).toBe(q1.assistantMessage.id);
    await finishedReply(platform.url, alice, edited.assistantMessage.id);
    const messages = await view(alice, q1.conversation.id);
    expect(messages.map((m) => m.content)).toEqual([
      'Question one',
      echoReply('Question one'),
      'Question two, better',
      echoReply('Question two, better'),
    ]);
    expect(messages[2]!.siblings.map((s) => s.id)).toEqual([q2.userMessage.id, edited.userMessage.id]);
  });

  it('refuses to regenerate a question, to edit a reply, or to touch another user’s messages', async () => {
    const sent = await sendAndWaitForReply(platform.url, alice, { content: 'Mine' });
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
    const carol = (await registerUser(platform.url, 'carol@example.com')).token;
    const inTitleAndBody = await sendAndWaitForReply(platform.url, carol, { content: 'Volcanoes of Iceland' });
    const inBodyOnly = await sendAndWaitForReply(platform.url, carol, { content: 'Tell me about travel' });
    await sendAndWaitForReply(platform.url, carol, { content: 'We could see volcanoes there', conversationId: inBodyOnly.conversation.id });
    await sendAndWaitForReply(platform.url, carol, { content: 'Nothing relevant' });
    await sendAndWaitForReply(platform.url, bob, { content: 'volcanoes are hot' });

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
