import { CancelGenerationDocument, MessageStreamDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';
import { connect, eventually, subscribe, type Subscription } from '@parley/testing/subscriptions';
import { echoReply, questionOfWords, registerUser, sendMessage, storedMessage } from '@parley/testing/parley-client';

const STREAM = print(MessageStreamDocument);

type Event = { __typename: string; seq: number; delta?: string; message?: { id: string; status: string; content: string } };
const eventsOf = (s: Subscription) => s.results.map((r) => r.data?.['messageStream'] as Event);
const textOf = (events: Event[]) => events.map((e) => e.delta ?? '').join('');

/**
 * sendMessage → outbox → Kafka (or the in-process bus) → worker → models → Redis → gateway → graphql-ws client:
 * the whole path, with the official graphql-ws client. In services mode: two gateways and two workers.
 */
describe('replies stream to subscribers end to end', () => {
  let platform: PlatformUnderTest;
  let alice: string;
  let bob: string;
  const clients: { dispose(): void | Promise<void> }[] = [];

  const client = (token: string, url: string) => {
    const c = connect(url, { token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ gateways: 2, workers: 2, settings: testModelsSettings({ slowTokenMs: 25 }) });
    alice = (await registerUser(platform.url, 'alice@example.com')).token;
    bob = (await registerUser(platform.url, 'bob@example.com')).token;
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
  });

  it('delivers every delta in order, concatenating to the stored content, then the completed message', async () => {
    const question = questionOfWords(30, 'd');
    const sent = await sendMessage(platform.url, alice, { content: question, model: 'dev/slow' });
    const stream = subscribe(client(alice, platform.url), STREAM, { messageId: sent.assistantMessage.id });
    expect(await stream.ended).toEqual({});
    const events = eventsOf(stream);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const last = events.at(-1)!;
    expect(last.__typename).toBe('MessageCompleted');
    expect(last.message).toEqual({ id: sent.assistantMessage.id, status: 'COMPLETED', content: echoReply(question) });
    expect(textOf(events)).toBe(echoReply(question));
    expect((await storedMessage(platform.url, alice, sent.assistantMessage.id)).content).toBe(echoReply(question));
  });

  it('resumes after a disconnect with afterSeq: the rest arrives with no gap and no duplicate', async () => {
    const question = questionOfWords(60, 'r');
    const sent = await sendMessage(platform.url, alice, { content: question, model: 'dev/slow' });
    const first = client(alice, platform.url);
    const before = subscribe(first, STREAM, { messageId: sent.assistantMessage.id });
    await eventually(() => before.results.length >= 5, 'five events arrived', 15_000);
    await first.dispose();
    const seen = eventsOf(before);
    const lastSeq = seen.at(-1)!.seq;
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));

    const after = subscribe(client(alice, platform.gatewayUrls.at(-1)!), STREAM, {
      messageId: sent.assistantMessage.id,
      afterSeq: lastSeq,
    });
    expect(await after.ended).toEqual({});
    const rest = eventsOf(after);
    expect(rest[0]!.seq).toBe(lastSeq + 1);
    expect(rest.map((e) => e.seq)).toEqual(rest.map((_, i) => lastSeq + 1 + i));
    expect(textOf(seen) + textOf(rest)).toBe(echoReply(question));
  });

  it('streams to a subscriber on one gateway the reply to a message sent through another', async () => {
    const [gatewayA, gatewayB] = [platform.gatewayUrls[0]!, platform.gatewayUrls.at(-1)!];
    const question = questionOfWords(20, 'x');
    const sent = await sendMessage(gatewayB, alice, { content: question, model: 'dev/slow' });
    const stream = subscribe(client(alice, gatewayA), STREAM, { messageId: sent.assistantMessage.id });
    expect(await stream.ended).toEqual({});
    expect(textOf(eventsOf(stream))).toBe(echoReply(question));
  });

  it("lets no one else subscribe to a user's reply", async () => {
    const sent = await sendMessage(platform.url, alice, { content: 'for my eyes only', model: 'dev/slow' });
    const stream = subscribe(client(bob, platform.url), STREAM, { messageId: sent.assistantMessage.id });
    await stream.ended;
    expect(stream.results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
    expect(stream.results.some((r) => r.data?.['messageStream'])).toBe(false);
  });

  it('ends the stream of a cancelled reply with its completed event, the partial content kept', async () => {
    // Twenty-five seconds of reply: the cancel lands mid-stream however slowly the machine runs.
    const question = questionOfWords(1_000, 'c');
    const sent = await sendMessage(platform.url, alice, { content: question, model: 'dev/slow' });
    const stream = subscribe(client(alice, platform.url), STREAM, { messageId: sent.assistantMessage.id });
    await eventually(() => stream.results.length >= 3, 'three events arrived', 15_000);
    const { body } = await postGraphQL(platform.url, CancelGenerationDocument, {
      token: alice,
      variables: { messageId: sent.assistantMessage.id },
    });
    expect(body.data!.cancelGeneration.status).toBe('CANCELLED');
    expect(await stream.ended).toEqual({});
    const events = eventsOf(stream);
    const last = events.at(-1)!;
    expect(last.__typename).toBe('MessageCompleted');
    expect(last.message!.status).toBe('CANCELLED');
    expect(textOf(events)).toBe(last.message!.content);
    expect(last.message!.content.length).toBeLessThan(echoReply(question).length);
  });
});
