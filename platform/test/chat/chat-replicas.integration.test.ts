import { echoReply, registerUser, sendMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { expectAnsweredExactlyOnce } from '../support/streamed-reply';

/** Two chat processes on one database, each with its outbox relay, as replicas would run. */
describe('several chat replicas share one outbox safely (services mode)', () => {
  let platform: PlatformUnderTest;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ chatReplicas: 2, settings: { MAX_GENERATIONS_PER_USER: '50' } });
    ({ token, id: userId } = await registerUser(platform.url, 'replicas@example.com'));
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers every message exactly once while both replicas relay the outbox', async () => {
    const questions = Array.from({ length: 20 }, (_, i) => `replicated question ${i}`);
    const sent = await Promise.all(
      questions.map(async (content) => (await sendMessage(platform.url, token, { content })).assistantMessage.id),
    );
    for (const [i, id] of sent.entries())
      await expectAnsweredExactlyOnce(platform, token, id, echoReply(questions[i]!), { timeout: 30_000 });
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
    await expectAnsweredExactlyOnce(platform, token, id, echoReply('left behind by a dead replica'), { timeout: 30_000 });
  }, 90_000);
});
