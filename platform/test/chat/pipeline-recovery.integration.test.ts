import { createKafkaBus, Topics, type ChatMessageRequested, type ChatMessageRequestedDeadLetter, type EventBus } from '@parley/events';
import { captureLogs, servicesEnv } from '@parley/testing';
import { echoReply, finishedReply, questionOfWords, registerUser, sendMessage, storedMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';
import { expectAnsweredExactlyOnce, streamedReply } from '../support/streamed-reply';

/** The pipeline on real PostgreSQL, Redis and Kafka, with processes killed under it. */
describe('the message pipeline survives crashes and redeliveries (services mode)', () => {
  let platform: PlatformUnderTest;
  let bus: EventBus;
  let token: string;
  let userId: string;
  const deadLetters: ChatMessageRequestedDeadLetter[] = [];

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: testModelsSettings({ slowTokenMs: 40 }) });
    ({ token, id: userId } = await registerUser(platform.url, 'crash@example.com'));
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
    const question = questionOfWords(250, 'k');
    const sent = await sendMessage(platform.url, token, { content: question, model: 'dev/slow' });
    const id = sent.assistantMessage.id;
    await expect.poll(async () => (await streamedReply(platform, id)).seqs.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(5);
    await platform.processes['chat-worker-1']!.stop('SIGKILL');
    const before = await streamedReply(platform, id);
    expect(before.finals).toEqual([]);
    expect((await storedMessage(platform.url, token, id)).status).toBe('STREAMING');
    await platform.restart('chat-worker-1');
    await expectAnsweredExactlyOnce(platform, token, id, echoReply(question));
    // What was streamed before the crash is the start of the reply, not repeated after it.
    expect(echoReply(question).startsWith(before.text)).toBe(true);
  }, 120_000);

  it('produces one reply when the same request is delivered twice', async () => {
    const sent = await sendMessage(platform.url, token, { content: 'Say it once' });
    await expectAnsweredExactlyOnce(platform, token, sent.assistantMessage.id, echoReply('Say it once'));
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
    const next = await sendMessage(platform.url, token, { content: 'And then this', conversationId: sent.conversation.id });
    await expectAnsweredExactlyOnce(platform, token, next.assistantMessage.id, echoReply('And then this'));
    await expectAnsweredExactlyOnce(platform, token, sent.assistantMessage.id, echoReply('Say it once'));
  }, 60_000);

  it('loses nothing when the relay dies between the insert and the publish: a restarted chat service sends it', async () => {
    await platform.processes['chat']!.stop('SIGKILL');
    // Written as sendMessage writes it (messages and outbox row in one transaction), with no relay alive to publish it.
    const sent = await platform.chat.sending().send(userId, { content: 'Written while chat was down' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await streamedReply(platform, sent.assistantMessage.id)).seqs).toEqual([]);
    await platform.restart('chat');
    await expectAnsweredExactlyOnce(platform, token, sent.assistantMessage.id, echoReply('Written while chat was down'));
  }, 60_000);

  it("erases a deleted user's conversations and messages when users.user.deleted arrives", async () => {
    const leaving = await registerUser(platform.url, 'leaving@example.com');
    const sent = await sendMessage(platform.url, leaving.token, { content: 'Forget me' });
    const conversationId = sent.conversation.id;
    const history = platform.chat.history();
    expect((await history.listForOwner(leaving.id, { size: 10 })).edges.map((e) => e.node.id)).toEqual([conversationId]);
    await bus.publish(Topics.userDeleted, leaving.id, { userId: leaving.id, deletedAt: new Date().toISOString() });
    await expect
      .poll(async () => (await platform.chat.history().listForOwner(leaving.id, { size: 10 })).edges, { timeout: 20_000 })
      .toEqual([]);
    expect(await platform.chat.history().findOwnedMessages([sent.userMessage.id], leaving.id)).toEqual([]);
  }, 60_000);

  it('dead-letters a request whose model keeps failing, and marks the reply FAILED with the reason', async () => {
    const sent = await sendMessage(platform.url, token, { content: 'Hello?', model: 'broken/model' });
    const reply = await finishedReply(platform.url, token, sent.assistantMessage.id, { timeout: 60_000, interval: 100 });
    expect(reply.status).toBe('FAILED');
    expect(reply.failure?.code).toBe('UPSTREAM_UNAVAILABLE');
    await expect
      .poll(() => deadLetters.find((d) => d.assistantMessageId === sent.assistantMessage.id), { timeout: 20_000 })
      .toMatchObject({ conversationId: sent.conversation.id, attempts: 3, reason: reply.failure!.reason });
  }, 60_000);
});
