import {
  CancelGenerationDocument,
  CompareModelsDocument,
  CompareViewDocument,
  ConversationThreadDocument,
  MessageStateDocument,
  MessageStreamDocument,
  SelectBranchDocument,
  type CompareModelsMutation,
  type SendMessageInput,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import {
  echoReply,
  finishedReply,
  questionOfWords,
  registerUser,
  sendMessage,
  storedMessage,
  type RegisteredUser,
} from '@parley/testing/parley-client';
import { connect, eventually, subscribe, type Subscription } from '@parley/testing/subscriptions';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

const STREAM = print(MessageStreamDocument);

type Event = { __typename: string; seq: number; delta?: string; message?: { id: string; status: string; content: string }; code?: string };
const eventsOf = (s: Subscription) => s.results.map((r) => r.data?.['messageStream'] as Event);
const textOf = (events: Event[]) => events.map((e) => e.delta ?? '').join('');

/**
 * One question asked of several models at once (sendMessage's `models`), through the gateway: each model's reply
 * is a sibling under the question, streamed on its own messageStream side by side with the others, and ends on its
 * own; selectBranch picks the one to continue with. Dev models: "dev/echo" (at once), "dev/slow" (a word every
 * 40 ms) and "broken/model" (nobody listens at its deployment).
 */
describe('asking several models at once', () => {
  let platform: PlatformUnderTest;
  let alice: RegisteredUser;
  const clients: { dispose(): void | Promise<void> }[] = [];

  const client = (token: string) => {
    const c = connect(platform.url, { token });
    clients.push(c);
    return c;
  };
  const compare = async (token: string, input: SendMessageInput) =>
    (await postGraphQL(platform.url, CompareModelsDocument, { token, variables: { input } })).body;
  const compared = async (token: string, input: SendMessageInput): Promise<CompareModelsMutation['sendMessage']> => {
    const body = await compare(token, input);
    expect(body.errors).toBeUndefined();
    return body.data!.sendMessage;
  };
  const compareView = async (token: string, id: string) => {
    const { body } = await postGraphQL(platform.url, CompareViewDocument, { token, variables: { id } });
    expect(body.errors).toBeUndefined();
    return body.data!.conversation!.messages.edges.map((e) => e.node);
  };
  const thread = async (token: string, id: string) =>
    (await postGraphQL(platform.url, ConversationThreadDocument, { token, variables: { id } })).body.data!.conversation!.messages.edges.map(
      (e) => e.node,
    );
  /** Message.model comes from the models service's usage record, written just after the reply. */
  const modelOf = async (token: string, id: string) => {
    const read = async () =>
      (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body.data?.message?.model;
    await expect.poll(read, { timeout: 10_000, interval: 50 }).toBeTruthy();
    return (await read())!.id;
  };
  const selectBranch = async (token: string, messageId: string) => {
    const { body } = await postGraphQL(platform.url, SelectBranchDocument, { token, variables: { messageId } });
    expect(body.errors).toBeUndefined();
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { MAX_GENERATIONS_PER_USER: '4', ...testModelsSettings({ slowTokenMs: 40 }) } });
    alice = await registerUser(platform.url, 'alice@example.com');
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
  });

  it('creates a PENDING sibling reply per model, streamed side by side on their own subscriptions, each by its model', async () => {
    // Four seconds of the slow model: the instant one is done long before, if they are generated side by side.
    const question = questionOfWords(100, 's');
    const sent = await compared(alice.token, { content: question, models: ['dev/slow', 'dev/echo'] });
    const [slow, echo] = sent.assistantMessages;
    expect(sent.assistantMessages.map((m) => [m.role, m.status, m.parentId, m.requestedModel])).toEqual([
      ['ASSISTANT', 'PENDING', sent.userMessage.id, 'dev/slow'],
      ['ASSISTANT', 'PENDING', sent.userMessage.id, 'dev/echo'],
    ]);
    expect(sent.assistantMessage.id).toBe(slow!.id);

    const streams = sent.assistantMessages.map((m) => subscribe(client(alice.token), STREAM, { messageId: m.id }));
    expect(await streams[1]!.ended).toEqual({});
    // The instant model's reply ended while the slow one's was still being generated: not one after the other.
    expect((await storedMessage(platform.url, alice.token, slow!.id)).status).toMatch(/PENDING|STREAMING/);
    expect(await streams[0]!.ended).toEqual({});
    for (const [i, stream] of streams.entries()) {
      const events = eventsOf(stream);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, n) => n + 1));
      expect(textOf(events)).toBe(echoReply(question));
      expect(events.at(-1)).toMatchObject({
        __typename: 'MessageCompleted',
        message: { id: sent.assistantMessages[i]!.id, status: 'COMPLETED', content: echoReply(question) },
      });
    }
    expect(await modelOf(alice.token, slow!.id)).toBe('dev/slow');
    expect(await modelOf(alice.token, echo!.id)).toBe('dev/echo');

    // After a reload: the active branch is the question and the first reply, whose siblings are the compare view.
    const view = await compareView(alice.token, sent.conversation.id);
    expect(view.map((m) => [m.id, m.requestedModel])).toEqual([
      [sent.userMessage.id, null],
      [slow!.id, 'dev/slow'],
    ]);
    expect(view[1]!.siblings.map((s) => [s.id, s.parentId, s.status, s.requestedModel, s.model?.id])).toEqual([
      [slow!.id, sent.userMessage.id, 'COMPLETED', 'dev/slow', 'dev/slow'],
      [echo!.id, sent.userMessage.id, 'COMPLETED', 'dev/echo', 'dev/echo'],
    ]);
    expect(view[0]!.siblings.map((s) => s.id)).toEqual([sent.userMessage.id]);
  });

  it('continues with the reply picked by selectBranch: the next question follows it', async () => {
    const sent = await compared(alice.token, { content: 'Pick one', models: ['dev/echo', 'dev/slow'] });
    const [first, second] = sent.assistantMessages.map((m) => m.id) as [string, string];
    await Promise.all([first, second].map((id) => finishedReply(platform.url, alice.token, id, { status: 'COMPLETED' })));
    await selectBranch(alice.token, second);
    const next = await sendMessage(platform.url, alice.token, { content: 'Tell me more', conversationId: sent.conversation.id });
    expect(next.userMessage.parentId).toBe(second);
    await finishedReply(platform.url, alice.token, next.assistantMessage.id, { status: 'COMPLETED' });
    expect((await thread(alice.token, sent.conversation.id)).map((m) => [m.id, m.parentId])).toEqual([
      [sent.userMessage.id, null],
      [second, sent.userMessage.id],
      [next.userMessage.id, second],
      [next.assistantMessage.id, next.userMessage.id],
    ]);
    // The reply not picked stays beside the picked one.
    const view = await compareView(alice.token, sent.conversation.id);
    expect(view[1]!.siblings.map((s) => s.id)).toEqual([first, second]);
  });

  it('generates a follow-up to a compared reply picked while it streams only once that reply is done', async () => {
    const sent = await compared(alice.token, { content: questionOfWords(40, 'f'), models: ['dev/echo', 'dev/slow'] });
    const slow = sent.assistantMessages[1]!.id;
    await selectBranch(alice.token, slow);
    const next = await sendMessage(platform.url, alice.token, { content: 'Then?', conversationId: sent.conversation.id });
    expect(next.userMessage.parentId).toBe(slow);
    const reply = await finishedReply(platform.url, alice.token, next.assistantMessage.id, { status: 'COMPLETED' });
    const picked = await storedMessage(platform.url, alice.token, slow);
    expect(picked.status).toBe('COMPLETED');
    expect(reply.content).toBe(echoReply('Then?'));
  });

  it('ends each reply on its own: one fails, one is cancelled, one completes', async () => {
    const bea = await registerUser(platform.url, 'bea@example.com');
    const question = questionOfWords(1_000, 'x');
    const sent = await compared(bea.token, { content: question, models: ['dev/echo', 'dev/slow', 'broken/model'] });
    const [echo, slow, broken] = sent.assistantMessages.map((m) => m.id) as [string, string, string];
    expect(sent.assistantMessages.map((m) => m.requestedModel)).toEqual(['dev/echo', 'dev/slow', 'broken/model']);
    const streams = [echo, slow, broken].map((messageId) => subscribe(client(bea.token), STREAM, { messageId }));
    await eventually(() => streams[1]!.results.length >= 3, 'the slow reply streamed three events', 15_000);
    const { body } = await postGraphQL(platform.url, CancelGenerationDocument, { token: bea.token, variables: { messageId: slow } });
    expect(body.data!.cancelGeneration.status).toBe('CANCELLED');
    for (const stream of streams) expect(await stream.ended).toEqual({});

    expect((await finishedReply(platform.url, bea.token, echo)).status).toBe('COMPLETED');
    expect(eventsOf(streams[0]!).at(-1)).toMatchObject({ __typename: 'MessageCompleted', message: { status: 'COMPLETED' } });
    expect(eventsOf(streams[1]!).at(-1)).toMatchObject({ __typename: 'MessageCompleted', message: { status: 'CANCELLED' } });
    expect(eventsOf(streams[2]!).at(-1)).toMatchObject({ __typename: 'MessageFailed' });
    const failed = await finishedReply(platform.url, bea.token, broken);
    expect(failed.status).toBe('FAILED');
    expect(failed.failure?.code).toBe(eventsOf(streams[2]!).at(-1)!.code);
    // Each is labelled by the model it was asked of, whether or not a model was charged for it.
    const view = await compareView(bea.token, sent.conversation.id);
    expect(view[1]!.siblings.map((s) => [s.status, s.requestedModel])).toEqual([
      ['COMPLETED', 'dev/echo'],
      ['CANCELLED', 'dev/slow'],
      ['FAILED', 'broken/model'],
    ]);
  });

  it('refuses bad models, and models past the replies in flight, storing nothing', async () => {
    const cleo = await registerUser(platform.url, 'cleo@example.com');
    const existing = await sendMessage(platform.url, cleo.token, { content: 'Hello' });
    await finishedReply(platform.url, cleo.token, existing.assistantMessage.id);
    const conversations = async () => (await platform.chat.history().listForOwner(cleo.id, { size: 100 })).edges.length;
    const before = { conversations: await conversations(), thread: await thread(cleo.token, existing.conversation.id) };
    const cases: [SendMessageInput, string, RegExp][] = [
      [{ content: 'q', models: ['dev/echo', 'dev/slow', 'no/such-model'] }, 'BAD_USER_INPUT', /There is no model "no\/such-model"/],
      [
        { content: 'q', models: ['dev/echo'] },
        'BAD_USER_INPUT',
        /"models" names one model; compare 2 to 3 distinct models, or ask one with "model"/,
      ],
      [{ content: 'q', models: ['dev/echo', 'dev/slow', 'broken/model', 'dev/echo'] }, 'BAD_USER_INPUT', /at most 3 can be compared/],
      [{ content: 'q', models: ['dev/echo', 'dev/echo'] }, 'BAD_USER_INPUT', /"dev\/echo" twice/],
      [{ content: 'q', model: 'dev/echo', models: ['dev/slow', 'broken/model'] }, 'BAD_USER_INPUT', /not both/],
    ];
    for (const [input, code, message] of cases) {
      for (const conversationId of [null, existing.conversation.id]) {
        const body = await compare(cleo.token, { ...input, conversationId });
        expect(body.data).toBeNull();
        expect(body.errors?.[0]?.extensions?.['code'], JSON.stringify(input)).toBe(code);
        expect(body.errors?.[0]?.extensions?.['field']).toBe('models');
        expect(body.errors?.[0]?.message).toMatch(message);
      }
    }
    expect(await conversations()).toBe(before.conversations);
    expect(await thread(cleo.token, existing.conversation.id)).toEqual(before.thread);

    // Three slow replies in flight of the four allowed: two more do not fit.
    const slow = [];
    for (let i = 0; i < 3; i++)
      slow.push(await sendMessage(platform.url, cleo.token, { content: questionOfWords(1_000, `b${i}`), model: 'dev/slow' }));
    const limited = await compare(cleo.token, { content: 'q', models: ['dev/echo', 'dev/slow'], conversationId: existing.conversation.id });
    expect(limited.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(limited.errors?.[0]?.message).toMatch(
      /You already have 3 replies being generated \(the limit is 4\), and asking 2 models needs room for 2 more/,
    );
    const cancel = (messageId: string) =>
      postGraphQL(platform.url, CancelGenerationDocument, { token: cleo.token, variables: { messageId } });
    await cancel(slow[0]!.assistantMessage.id);
    // Room for two now, but the reply the question would follow is still being generated: no comparison can wait for it.
    const conflict = await compare(cleo.token, {
      content: 'q',
      models: ['dev/echo', 'dev/slow'],
      conversationId: slow[1]!.conversation.id,
    });
    expect(conflict.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(conflict.errors?.[0]?.message).toMatch(
      /still being generated; wait for it to finish \(or cancel it\) before asking several models/,
    );
    for (const sent of slow.slice(1)) await cancel(sent.assistantMessage.id);
    expect(await conversations()).toBe(before.conversations + 3);
    expect(await thread(cleo.token, existing.conversation.id)).toEqual(before.thread);
    for (const sent of slow) expect(await thread(cleo.token, sent.conversation.id)).toHaveLength(2);
  });

  it('answers a retried clientMessageId with the first request’s replies, and generates each once', async () => {
    const input = { content: 'Only once, both of you', models: ['dev/echo', 'dev/slow'], clientMessageId: `compare-${Date.now()}` };
    const [a, b] = await Promise.all([compare(alice.token, input), compare(alice.token, input)]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    const first = a.data!.sendMessage;
    const again = b.data!.sendMessage;
    expect(again.conversation.id).toBe(first.conversation.id);
    expect(again.userMessage.id).toBe(first.userMessage.id);
    expect(again.assistantMessages.map((m) => [m.id, m.requestedModel])).toEqual(
      first.assistantMessages.map((m) => [m.id, m.requestedModel]),
    );
    for (const m of first.assistantMessages)
      expect((await finishedReply(platform.url, alice.token, m.id)).content).toBe(echoReply(input.content));
    const view = await compareView(alice.token, first.conversation.id);
    expect(view).toHaveLength(2);
    expect(view[1]!.siblings).toHaveLength(2);
  });

  it('answers a single-model send with its one reply in assistantMessages too', async () => {
    const sent = await compared(alice.token, { content: 'Just one' });
    expect(sent.assistantMessages).toEqual([
      { id: sent.assistantMessage.id, role: 'ASSISTANT', status: 'PENDING', parentId: sent.userMessage.id, requestedModel: 'dev/echo' },
    ]);
    await finishedReply(platform.url, alice.token, sent.assistantMessage.id);
  });
});
