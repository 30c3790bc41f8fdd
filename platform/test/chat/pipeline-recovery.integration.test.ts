import { MessageStateDocument, RegisterDocument, SendMessageDocument } from '@parley/client';
import { createKafkaBus, Topics, type ChatMessageRequested, type ChatMessageRequestedDeadLetter, type EventBus } from '@parley/events';
import type { MessageStreamEvent } from '@parley/message-stream';
import { captureLogs, postGraphQL, servicesEnv } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

const echo = (question: string) => `Echo: ${question}`;
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

/** The pipeline on real PostgreSQL, Redis and Kafka, with processes killed under it. */
describe('the message pipeline survives crashes and redeliveries (services mode)', () => {
  let platform: PlatformUnderTest;
  let bus: EventBus;
  let token: string;
  let userId: string;
  const deadLetters: ChatMessageRequestedDeadLetter[] = [];

  const send = async (input: { content: string; conversationId?: string; model?: string }) => {
    const { body } = await postGraphQL(platform.url, SendMessageDocument, { token, variables: { input } });
    expect(body.errors).toBeUndefined();
    return body.data!.sendMessage;
  };
  const state = async (id: string) =>
    (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body.data!.message!;
  const finished = async (id: string, timeout = 60_000) => {
    await expect.poll(async () => (await state(id)).status, { timeout, interval: 100 }).toMatch(/COMPLETED|FAILED|CANCELLED/);
    return state(id);
  };
  /** What a subscriber replaying the whole stream would see. */
  const streamed = async (id: string) => {
    const events: MessageStreamEvent[] = await platform.messageStreams.readAfter(id, 0);
    return {
      seqs: events.map((e) => e.seq),
      text: events.map((e) => (e.kind === 'delta' ? e.delta : '')).join(''),
      finals: events.filter((e) => e.kind !== 'delta'),
    };
  };
  const expectExactlyOnce = async (id: string, content: string) => {
    const reply = await finished(id);
    expect(reply.status).toBe('COMPLETED');
    expect(reply.content).toBe(content);
    const log = await streamed(id);
    expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
    expect(log.text).toBe(content);
    expect(log.finals).toEqual([{ kind: 'completed', messageId: id, seq: reply.lastSeq, status: 'COMPLETED' }]);
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: testModelsSettings({ slowTokenMs: 40 }) });
    const { body } = await postGraphQL(platform.url, RegisterDocument, {
      variables: { input: { email: 'crash@example.com', password: 'a long enough passphrase' } },
    });
    token = body.data!.register.accessToken;
    userId = body.data!.register.user.id;
    bus = await createKafkaBus({
      brokers: servicesEnv().kafkaBrokers.split(','),
      clientId: 'test',
      logger: captureLogs('silent').logger,
      topicPrefix: platform.namespace,
    });
    await bus.subscribe({
      topic: Topics.chatMessageRequestedDeadLetter,
      group: 'test-dead-letters',
      handle: async (event) => void deadLetters.push(event.payload),
    });
  }, 180_000);
  afterAll(async () => {
    await bus?.close();
    await platform?.stop();
  });

  it('completes a reply exactly once after its worker is killed (kill -9) mid-reply and another starts', async () => {
    // Ten seconds of reply: the kill lands mid-stream however slowly the machine runs.
    const question = words(250, 'k');
    const sent = await send({ content: question, model: 'dev/slow' });
    const id = sent.assistantMessage.id;
    await expect.poll(async () => (await streamed(id)).seqs.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(5);
    await platform.processes['chat-worker-1']!.stop('SIGKILL');
    const before = await streamed(id);
    expect(before.finals).toEqual([]);
    expect((await state(id)).status).toBe('STREAMING');
    await platform.restart('chat-worker-1');
    await expectExactlyOnce(id, echo(question));
    // What was streamed before the crash is the start of the reply, not repeated after it.
    expect(echo(question).startsWith(before.text)).toBe(true);
  }, 120_000);

  it('produces one reply when the same request is delivered twice', async () => {
    const sent = await send({ content: 'Say it once' });
    await expectExactlyOnce(sent.assistantMessage.id, echo('Say it once'));
    const duplicate: ChatMessageRequested = {
      conversationId: sent.conversation.id,
      userId,
      userMessageId: sent.userMessage.id,
      assistantMessageId: sent.assistantMessage.id,
      model: 'dev/echo',
      requestedAt: new Date().toISOString(),
    };
    await bus.publish(Topics.chatMessageRequested, sent.conversation.id, duplicate);
    // The next request of the same conversation is handled after the duplicate (same key, same partition).
    const next = await send({ content: 'And then this', conversationId: sent.conversation.id });
    await expectExactlyOnce(next.assistantMessage.id, echo('And then this'));
    await expectExactlyOnce(sent.assistantMessage.id, echo('Say it once'));
  }, 60_000);

  it('loses nothing when the relay dies between the insert and the publish: a restarted chat service sends it', async () => {
    await platform.processes['chat']!.stop('SIGKILL');
    // Written as sendMessage writes it (messages and outbox row in one transaction), with no relay alive to publish it.
    const sent = await platform.chat.sending().send(userId, { content: 'Written while chat was down' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await streamed(sent.assistantMessage.id)).seqs).toEqual([]);
    await platform.restart('chat');
    await expectExactlyOnce(sent.assistantMessage.id, echo('Written while chat was down'));
  }, 60_000);

  it("erases a deleted user's conversations and messages when users.user.deleted arrives", async () => {
    const { body } = await postGraphQL(platform.url, RegisterDocument, {
      variables: { input: { email: 'leaving@example.com', password: 'a long enough passphrase' } },
    });
    const leaving = body.data!.register;
    const sent = await postGraphQL(platform.url, SendMessageDocument, {
      token: leaving.accessToken,
      variables: { input: { content: 'Forget me' } },
    });
    const conversationId = sent.body.data!.sendMessage.conversation.id;
    const history = platform.chat.history();
    expect((await history.listForOwner(leaving.user.id, { size: 10 })).edges.map((e) => e.node.id)).toEqual([conversationId]);
    await bus.publish(Topics.userDeleted, leaving.user.id, { userId: leaving.user.id, deletedAt: new Date().toISOString() });
    await expect
      .poll(async () => (await platform.chat.history().listForOwner(leaving.user.id, { size: 10 })).edges, { timeout: 20_000 })
      .toEqual([]);
    expect(await platform.chat.history().findOwnedMessages([sent.body.data!.sendMessage.userMessage.id], leaving.user.id)).toEqual([]);
  }, 60_000);

  it('dead-letters a request whose model keeps failing, and marks the reply FAILED with the reason', async () => {
    const sent = await send({ content: 'Hello?', model: 'broken/model' });
    const reply = await finished(sent.assistantMessage.id);
    expect(reply.status).toBe('FAILED');
    expect(reply.failure?.code).toBe('UPSTREAM_UNAVAILABLE');
    await expect
      .poll(() => deadLetters.find((d) => d.assistantMessageId === sent.assistantMessage.id), { timeout: 20_000 })
      .toMatchObject({ conversationId: sent.conversation.id, attempts: 3, reason: reply.failure!.reason });
  }, 60_000);
});
