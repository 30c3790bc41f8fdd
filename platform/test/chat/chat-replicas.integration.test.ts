import { MessageStateDocument, RegisterDocument, SendMessageDocument } from '@parley/client';
import type { MessageStreamEvent } from '@parley/message-stream';
import { postGraphQL } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const echo = (question: string) => `Echo: ${question}`;

/** Two chat processes on one database, each with its outbox relay, as replicas would run. */
describe('several chat replicas share one outbox safely (services mode)', () => {
  let platform: PlatformUnderTest;
  let token: string;
  let userId: string;

  const exactlyOnce = async (id: string, content: string) => {
    await expect
      .poll(async () => (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body.data?.message?.status, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('COMPLETED');
    const reply = (await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id } })).body.data!.message!;
    expect(reply.content).toBe(content);
    const events: MessageStreamEvent[] = await platform.messageStreams.readAfter(id, 0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.kind !== 'delta')).toEqual([
      { kind: 'completed', messageId: id, seq: reply.lastSeq, status: 'COMPLETED' },
    ]);
    expect(events.map((e) => (e.kind === 'delta' ? e.delta : '')).join('')).toBe(content);
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ chatReplicas: 2, settings: { MAX_GENERATIONS_PER_USER: '50' } });
    const { body } = await postGraphQL(platform.url, RegisterDocument, {
      variables: { input: { email: 'replicas@example.com', password: 'a long enough passphrase' } },
    });
    token = body.data!.register.accessToken;
    userId = body.data!.register.user.id;
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers every message exactly once while both replicas relay the outbox', async () => {
    const questions = Array.from({ length: 20 }, (_, i) => `replicated question ${i}`);
    const sent = await Promise.all(
      questions.map(async (content) => {
        const { body } = await postGraphQL(platform.url, SendMessageDocument, { token, variables: { input: { content } } });
        expect(body.errors).toBeUndefined();
        return body.data!.sendMessage.assistantMessage.id;
      }),
    );
    for (const [i, id] of sent.entries()) await exactlyOnce(id, echo(questions[i]!));
  }, 90_000);

  it('publishes what one replica committed but never published, from the other replica, when the first dies', async () => {
    await platform.processes['chat']!.stop('SIGKILL');
    // Committed as sendMessage commits (messages and outbox row), by a process that dies before publishing it.
    const orphan = await platform.chat.sending().send(userId, { content: 'left behind by a dead replica' });
    const id = orphan.assistantMessage.id;
    // Answered while the first replica is still down: only the second one's relay can have published the request.
    await expect
      .poll(async () => (await platform.messageStreams.readAfter(id, 0)).some((e) => e.kind === 'completed'), {
        timeout: 30_000,
        interval: 100,
      })
      .toBe(true);
    await platform.restart('chat');
    await exactlyOnce(id, echo('left behind by a dead replica'));
  }, 90_000);
});
