import {
  CancelGenerationDocument,
  ConversationThreadDocument,
  DeleteConversationDocument,
  MessageStateDocument,
  RenameConversationDocument,
  UpdateSettingsDocument,
} from '@parley/client';
import type { MessageStreamEvent } from '@parley/message-stream';
import { postGraphQL } from '@parley/testing';
import { echoReply, finishedReply, registerUser, sendMessage, trySendMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

/**
 * A question the slow model takes a minute to echo (a word every 60 ms): its reply is still being generated when
 * the test acts on it, however slowly the machine runs. The tests that ask one cancel its reply.
 */
const longQuestion = () => Array.from({ length: 1_000 }, (_, i) => `w${i}`).join(' ');

describe('sending a message: the reply is generated in the background and streamed', () => {
  let platform: PlatformUnderTest;
  let alice: string;
  let bob: string;

  const state = async (token: string, id: string) =>
    (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body;
  /** Message.model comes from the models service's usage record, written in small batches just after the reply. */
  const modelOf = async (token: string, id: string) => {
    await expect.poll(async () => (await state(token, id)).data?.message?.model, { timeout: 10_000, interval: 50 }).toBeTruthy();
    return (await state(token, id)).data!.message!.model;
  };

  beforeAll(async () => {
    // A slow model for the cancel and limit cases; "dev/echo" at full speed elsewhere.
    platform = await startPlatformUnderTest({ settings: { MAX_GENERATIONS_PER_USER: '3', ...testModelsSettings({ slowTokenMs: 60 }) } });
    alice = (await registerUser(platform.url, 'alice@example.com')).token;
    bob = (await registerUser(platform.url, 'bob@example.com')).token;
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers at once with the stored user message and a PENDING reply, then completes the reply', async () => {
    const { body } = await trySendMessage(platform.url, alice, { content: 'What is a tree?' });
    expect(body.errors).toBeUndefined();
    const sent = body.data!.sendMessage;
    expect(sent.userMessage).toMatchObject({ role: 'USER', content: 'What is a tree?', status: 'COMPLETED', parentId: null });
    expect(sent.assistantMessage).toMatchObject({ role: 'ASSISTANT', status: 'PENDING', parentId: sent.userMessage.id });

    const reply = await finishedReply(platform.url, alice, sent.assistantMessage.id);
    expect(reply).toMatchObject({ status: 'COMPLETED', content: echoReply('What is a tree?'), failure: null });
    expect(await modelOf(alice, sent.assistantMessage.id)).toEqual({ id: 'dev/echo' });
    // The conversation was named after its first question once the reply came.
    expect(reply.conversation.title).toBe('What is a tree?');
  });

  it('streams every delta with gap-free seqs that concatenate to the stored content, then one final event', async () => {
    const question = 'one two three four five six seven eight';
    const { body } = await trySendMessage(platform.url, alice, { content: question });
    const id = body.data!.sendMessage.assistantMessage.id;
    const reply = await finishedReply(platform.url, alice, id);
    const events: MessageStreamEvent[] = await platform.messageStreams.readAfter(id, 0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const last = events.at(-1)!;
    expect(last).toEqual({ kind: 'completed', messageId: id, seq: reply.lastSeq, status: 'COMPLETED' });
    const text = events.map((e) => (e.kind === 'delta' ? e.delta : '')).join('');
    expect(text).toBe(reply.content);
    expect(events.filter((e) => e.kind !== 'delta')).toHaveLength(1);
  });

  it('continues a conversation: the reply sees the history, and the thread lists the turns in order', async () => {
    const first = await sendMessage(platform.url, alice, { content: 'First question' });
    await finishedReply(platform.url, alice, first.assistantMessage.id);
    const second = await sendMessage(platform.url, alice, { content: 'Second question', conversationId: first.conversation.id });
    expect(second.userMessage.parentId).toBe(first.assistantMessage.id);
    await finishedReply(platform.url, alice, second.assistantMessage.id);
    const thread = (await postGraphQL(platform.url, ConversationThreadDocument, { token: alice, variables: { id: first.conversation.id } }))
      .body.data!.conversation!;
    expect(thread.messages.edges.map((e) => [e.node.role, e.node.content])).toEqual([
      ['USER', 'First question'],
      ['ASSISTANT', echoReply('First question')],
      ['USER', 'Second question'],
      ['ASSISTANT', echoReply('Second question')],
    ]);
  });

  it('returns the same messages for a retried clientMessageId, and generates one reply', async () => {
    const input = { content: 'Only once, please', clientMessageId: `retry-${Date.now()}` };
    const [a, b] = await Promise.all([trySendMessage(platform.url, alice, input), trySendMessage(platform.url, alice, input)]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.data!.sendMessage.assistantMessage.id).toBe(a.body.data!.sendMessage.assistantMessage.id);
    expect(b.body.data!.sendMessage.conversation.id).toBe(a.body.data!.sendMessage.conversation.id);
    const reply = await finishedReply(platform.url, alice, a.body.data!.sendMessage.assistantMessage.id);
    expect(reply.content).toBe(echoReply('Only once, please'));
    const thread = (
      await postGraphQL(platform.url, ConversationThreadDocument, {
        token: alice,
        variables: { id: a.body.data!.sendMessage.conversation.id },
      })
    ).body.data!.conversation!;
    expect(thread.messages.edges).toHaveLength(2);
  });

  it('refuses bad input with a code and a usable message, storing nothing', async () => {
    const before = (await platform.chat.history().listForOwner(await userId(alice), { size: 100 })).edges.length;
    const cases: [object, string, RegExp][] = [
      [{ content: '   ' }, 'BAD_USER_INPUT', /empty/],
      [{ content: 'x'.repeat(32 * 1024 + 1) }, 'BAD_USER_INPUT', /32769 bytes; a message may be at most 32768/],
      [{ content: 'hi', model: 'no/such-model' }, 'BAD_USER_INPUT', /There is no model "no\/such-model". Available: .*dev\/echo/],
      [{ content: 'hi', conversationId: crypto.randomUUID() }, 'NOT_FOUND', /No conversation/],
      [{ content: 'hi', conversationId: 'not-an-id' }, 'NOT_FOUND', /No conversation/],
      [{ content: 'hi', clientMessageId: 'k'.repeat(201) }, 'BAD_USER_INPUT', /clientMessageId/],
    ];
    for (const [input, code, message] of cases) {
      const { body } = await trySendMessage(platform.url, alice, input as { content: string });
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions?.['code'], JSON.stringify(input).slice(0, 80)).toBe(code);
      expect(body.errors?.[0]?.message).toMatch(message);
    }
    expect((await platform.chat.history().listForOwner(await userId(alice), { size: 100 })).edges.length).toBe(before);
  });

  it("keeps users apart: Bob can neither add to, read, cancel nor delete Alice's conversation", async () => {
    const sent = await sendMessage(platform.url, alice, { content: 'Private' });
    const intrusion = await trySendMessage(platform.url, bob, { content: 'Let me in', conversationId: sent.conversation.id });
    expect(intrusion.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect((await state(bob, sent.assistantMessage.id)).data!.message).toBeNull();
    const cancel = await postGraphQL(platform.url, CancelGenerationDocument, {
      token: bob,
      variables: { messageId: sent.assistantMessage.id },
    });
    expect(cancel.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    const del = await postGraphQL(platform.url, DeleteConversationDocument, { token: bob, variables: { id: sent.conversation.id } });
    expect(del.body.data!.deleteConversation).toBe(false);
    expect((await finishedReply(platform.url, alice, sent.assistantMessage.id)).content).toBe(echoReply('Private'));
  });

  it('renames a conversation (a later generated title never overwrites it) and deletes it with its messages', async () => {
    const sent = await sendMessage(platform.url, alice, { content: 'Rename me' });
    const renamed = await postGraphQL(platform.url, RenameConversationDocument, {
      token: alice,
      variables: { id: sent.conversation.id, title: '  My own title ' },
    });
    expect(renamed.body.data!.renameConversation.title).toBe('My own title');
    const reply = await finishedReply(platform.url, alice, sent.assistantMessage.id);
    expect(reply.conversation.title).toBe('My own title');
    const empty = await postGraphQL(platform.url, RenameConversationDocument, {
      token: alice,
      variables: { id: sent.conversation.id, title: ' ' },
    });
    expect(empty.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');

    const del = await postGraphQL(platform.url, DeleteConversationDocument, { token: alice, variables: { id: sent.conversation.id } });
    expect(del.body.data!.deleteConversation).toBe(true);
    expect((await state(alice, sent.assistantMessage.id)).data!.message).toBeNull();
    const again = await postGraphQL(platform.url, DeleteConversationDocument, { token: alice, variables: { id: sent.conversation.id } });
    expect(again.body.data!.deleteConversation).toBe(false);
  });

  it('cancels a reply mid-stream: the partial content is kept, status CANCELLED, and the stream ends with a final event', async () => {
    const question = longQuestion();
    const sent = await sendMessage(platform.url, alice, { content: question, model: 'dev/slow' });
    const id = sent.assistantMessage.id;
    await expect
      .poll(async () => (await platform.messageStreams.readAfter(id, 0)).length, { timeout: 15_000, interval: 20 })
      .toBeGreaterThan(3);
    const { body } = await postGraphQL(platform.url, CancelGenerationDocument, { token: alice, variables: { messageId: id } });
    expect(body.errors).toBeUndefined();
    const cancelled = body.data!.cancelGeneration;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.content.length).toBeGreaterThan(0);
    expect(echoReply(question).startsWith(cancelled.content)).toBe(true);
    expect(cancelled.content.length).toBeLessThan(echoReply(question).length);
    // The worker appends the final event just after storing the status: the stream ends with it, whenever it lands.
    await expect
      .poll(async () => (await platform.messageStreams.readAfter(id, 0)).at(-1))
      .toEqual({ kind: 'completed', messageId: id, seq: cancelled.lastSeq, status: 'CANCELLED' });
    const events = await platform.messageStreams.readAfter(id, 0);
    expect(events.map((e) => (e.kind === 'delta' ? e.delta : '')).join('')).toBe(cancelled.content);
    // Cancelling a finished reply changes nothing, and nothing has streamed after the final event meanwhile.
    const again = await postGraphQL(platform.url, CancelGenerationDocument, { token: alice, variables: { messageId: id } });
    expect(again.body.data!.cancelGeneration).toEqual(cancelled);
    expect(await platform.messageStreams.readAfter(id, 0)).toEqual(events);
  });

  it('cancels a reply no worker has started yet, and refuses to cancel a user message', async () => {
    // Long, so that a worker quicker than this cancel is still streaming it (a three-word reply could finish first).
    const sent = (await trySendMessage(platform.url, bob, { content: `never mind ${longQuestion()}`, model: 'dev/slow' })).body.data!
      .sendMessage;
    const { body } = await postGraphQL(platform.url, CancelGenerationDocument, {
      token: bob,
      variables: { messageId: sent.assistantMessage.id },
    });
    expect(body.data!.cancelGeneration.status).toBe('CANCELLED');
    const reply = await finishedReply(platform.url, bob, sent.assistantMessage.id);
    expect(reply.status).toBe('CANCELLED');
    const wrong = await postGraphQL(platform.url, CancelGenerationDocument, { token: bob, variables: { messageId: sent.userMessage.id } });
    expect(wrong.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('limits the replies one user has in generation at once (RATE_LIMITED), and frees the slot when one ends', async () => {
    const carol = (await registerUser(platform.url, 'carol@example.com')).token;
    const long = longQuestion();
    const running = [];
    for (let i = 0; i < 3; i++) running.push(await sendMessage(platform.url, carol, { content: long, model: 'dev/slow' }));
    const refused = await trySendMessage(platform.url, carol, { content: 'one more' });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(refused.body.errors?.[0]?.message).toMatch(/already have 3 replies being generated/);
    await postGraphQL(platform.url, CancelGenerationDocument, { token: carol, variables: { messageId: running[0]!.assistantMessage.id } });
    const accepted = await trySendMessage(platform.url, carol, { content: 'one more' });
    expect(accepted.body.errors).toBeUndefined();
    for (const r of running.slice(1))
      await postGraphQL(platform.url, CancelGenerationDocument, { token: carol, variables: { messageId: r.assistantMessage.id } });
  });

  it('marks a reply FAILED with a code and reason the client sees when its model cannot answer, after retries', async () => {
    const sent = await sendMessage(platform.url, alice, { content: 'Anyone there?', model: 'broken/model' });
    const reply = await finishedReply(platform.url, alice, sent.assistantMessage.id);
    expect(reply.status).toBe('FAILED');
    expect(reply.failure).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(reply.failure!.reason.length).toBeGreaterThan(10);
    const events = await platform.messageStreams.readAfter(sent.assistantMessage.id, 0);
    expect(events).toEqual([
      { kind: 'failed', messageId: sent.assistantMessage.id, seq: 1, code: 'UPSTREAM_UNAVAILABLE', reason: reply.failure!.reason },
    ]);
  });

  it("uses the user's default model when a message names none, and the platform's when the user has none", async () => {
    const dave = (await registerUser(platform.url, 'dave@example.com')).token;
    const plain = await sendMessage(platform.url, dave, { content: 'no preference yet' });
    await finishedReply(platform.url, dave, plain.assistantMessage.id);
    expect(await modelOf(dave, plain.assistantMessage.id)).toEqual({ id: 'dev/echo' });
    const updated = await postGraphQL(platform.url, UpdateSettingsDocument, {
      token: dave,
      variables: { input: { defaultModel: 'dev/slow' } },
    });
    expect(updated.body.data!.updateSettings.defaultModel).toBe('dev/slow');
    // A new account: its settings are read once and kept for a while, so a fresh user shows the change at once.
    const erin = (await registerUser(platform.url, 'erin@example.com')).token;
    await postGraphQL(platform.url, UpdateSettingsDocument, { token: erin, variables: { input: { defaultModel: 'dev/slow' } } });
    const preferred = await sendMessage(platform.url, erin, { content: 'my usual model' });
    await finishedReply(platform.url, erin, preferred.assistantMessage.id);
    expect(await modelOf(erin, preferred.assistantMessage.id)).toEqual({ id: 'dev/slow' });
    const explicit = await sendMessage(platform.url, erin, { content: 'this once', model: 'dev/echo' });
    await finishedReply(platform.url, erin, explicit.assistantMessage.id);
    expect(await modelOf(erin, explicit.assistantMessage.id)).toEqual({ id: 'dev/echo' });
  });

  async function userId(token: string): Promise<string> {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())['sub'] as string;
  }
});
