import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createOrm, migrate, sqlOn } from '@parley/database';
import { createKafkaBus, Topics, type ChatMessageRequestedDeadLetter, type EventBus } from '@parley/events';
import {
  createRedisMessageStreamLog,
  isFinalEvent,
  type MessageStreamEvent,
  type MessageStreamLog,
  type StopFollowing,
} from '@parley/message-stream';
import { createRedisClient, createRedisPubSub, type PubSub } from '@parley/pubsub';
import { loadConfig, systemClock } from '@parley/runtime';
import type { SubgraphDependencies } from '@parley/service-host';
import {
  captureLogs,
  createTestDatabase,
  freePort,
  inMemoryDependencies,
  servicesEnv,
  startFakeUpstream,
  startOwnRedis,
  startTcpProxy,
  uniqueName,
  type OwnService,
  type TcpProxy,
  type TestDatabase,
} from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSubgraph, startChatWorkerFrom, type ChatService } from '../src/server';

/**
 * The chat worker through outages of what it depends on, each on real
 * services: its own Redis (appendonly, as production runs it), stopped and
 * started again under streaming replies; a models service that is not there
 * yet; PostgreSQL and Kafka as in services mode. The model is a fake
 * provider over real HTTP, slow enough that every outage lands mid-reply.
 *
 * Every stream is watched by a follower that reads the log as the gateway
 * does (live first, then the log after the last seq it has; a jump in seqs or
 * a quiet spell is filled from the log), so "every seq once, in order" is
 * checked where a subscriber would see it.
 */

const { databaseUrl, kafkaBrokers } = servicesEnv();
const INTERNAL_TOKEN = 'outage-suite-internal-token-0123456789';
/** A reply of 200 words at one every 70 ms: about 14 s of streaming, so an 8 s outage lands in the middle. */
const WORDS = Array.from({ length: 200 }, (_, i) => ` w${i + 1}`);
const REPLY = WORDS.join('');

let redis: OwnService;
let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
let database: TestDatabase;
let orm: MikroORM;
const teardown: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startOwnRedis();
  upstream = await startFakeUpstream({ tokens: WORDS, tokenDelayMs: 70 });
  database = await createTestDatabase(databaseUrl);
  orm = await createOrm({
    schema: chatSubgraph.schemaName,
    entities: chatSubgraph.entities,
    migrations: chatSubgraph.migrations,
    logger: captureLogs('silent').logger,
    url: database.url,
  });
  await migrate(orm);
}, 120_000);

afterAll(async () => {
  for (const step of teardown.reverse()) await step().catch(() => undefined);
  await orm?.close();
  await database?.drop();
  await upstream?.close();
  await redis?.remove();
});

interface ChatUnderTest {
  chat: ChatService;
  /** The replies' log as a gateway reads it: its own Redis connections. */
  reader: MessageStreamLog;
  logs: ReturnType<typeof captureLogs>;
  deadLetters: ChatMessageRequestedDeadLetter[];
}

/**
 * Chat and its worker as services mode builds them (Redis through
 * createRedisClient, the stream log and pub/sub on it, a Kafka bus), in a
 * namespace of their own; `worker` settings override chat's for the worker only.
 */
async function startChat({ settings = {}, worker = {} }: { settings?: Record<string, string>; worker?: Record<string, string> } = {}) {
  const namespace = `${uniqueName('outage')}.`;
  const logs = captureLogs('warn');
  const logger = logs.logger;
  const connect = async () => {
    const client = createRedisClient(redis.url, { enableAutoPipelining: true, onError: () => undefined });
    const pubsub: PubSub = await createRedisPubSub({ url: redis.url, prefix: namespace, onError: () => undefined });
    teardown.push(
      () => pubsub.close(),
      () => client.quit(),
    );
    return { client, pubsub, log: createRedisMessageStreamLog({ redis: client, pubsub, namespace }) };
  };
  const writer = await connect();
  const bus: EventBus = await createKafkaBus({
    brokers: kafkaBrokers.split(','),
    clientId: 'chat-outages',
    logger,
    topicPrefix: namespace,
  });
  teardown.push(() => bus.close());
  const dependencies: SubgraphDependencies = {
    ...inMemoryDependencies({
      orm,
      logger,
      clock: systemClock,
      jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
      internalToken: INTERNAL_TOKEN,
    }),
    bus,
    pubsub: writer.pubsub,
    messageStreams: writer.log,
    redis: writer.client,
    namespace,
  };
  const environment = {
    MODELS_URL: new URL('/', upstream.baseUrl).toString(),
    INTERNAL_SERVICE_TOKEN: INTERNAL_TOKEN,
    CHAT_DEFAULT_MODEL: 'upstream-model',
    OUTBOX_POLL_MS: '50',
    ...settings,
  };
  const chat = await chatSubgraph.create(dependencies, loadConfig(chatSubgraph.settings, environment));
  teardown.push(() => chat.stop());
  const deadLetters: ChatMessageRequestedDeadLetter[] = [];
  await bus.subscribe({
    topic: Topics.chatMessageRequestedDeadLetter,
    group: 'test-dead-letters',
    handle: async (event) => void deadLetters.push(event.payload),
  });
  const started = await startChatWorkerFrom(dependencies, loadConfig(chatSubgraph.settings, { ...environment, ...worker }));
  teardown.push(() => started.stop());
  const reader = await connect();
  return { chat, reader: reader.log, logs, deadLetters } satisfies ChatUnderTest;
}

/**
 * A subscriber of one reply, reading as the gateway does: live events first,
 * then the log after the last seq it has; a seq that skips ahead, or a quiet
 * spell, makes it read what it missed from the log (pub/sub loses what is
 * published while a connection is down). A read that fails is tried again
 * on the next quiet spell. `live` is what pub/sub delivered, `seen` what the
 * subscriber got.
 */
async function subscriber(log: MessageStreamLog, messageId: string) {
  const seen: MessageStreamEvent[] = [];
  const live: number[] = [];
  let lastSeq = 0;
  let ended = false;
  let work = Promise.resolve();
  const serially = (task: () => Promise<void>) => (work = work.then(task).catch(() => undefined));
  const take = (event: MessageStreamEvent) => {
    if (ended || event.seq !== lastSeq + 1) return;
    seen.push(event);
    lastSeq = event.seq;
    if (isFinalEvent(event)) ended = true;
  };
  const catchUp = async () => {
    for (const event of await log.readAfter(messageId, lastSeq)) take(event);
  };
  const stopFollowing: StopFollowing = await log.follow(messageId, (event) =>
    serially(async () => {
      live.push(event.seq);
      if (event.seq > lastSeq + 1) await catchUp();
      take(event);
    }),
  );
  serially(catchUp);
  const quiet = setInterval(() => serially(catchUp), 500);
  const done = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (!ended) return;
      clearInterval(check);
      clearInterval(quiet);
      void stopFollowing().finally(resolve);
    }, 20);
  });
  return { seen, live, done };
}

async function storedReply(id: string) {
  const [row] = (
    await sqlOn(orm.em.getConnection()).raw(
      `select status, content, last_seq, failure_code, failure_reason from "chat"."message" where id = ?`,
      [id],
    )
  ).rows as { status: string; content: string; last_seq: number | null; failure_code: string | null; failure_reason: string | null }[];
  return row!;
}

/** What a reply's log holds: its seqs, the text of its deltas, and its final event. */
async function logged(log: MessageStreamLog, id: string) {
  const events = await log.readAfter(id, 0);
  return {
    seqs: events.map((e) => e.seq),
    text: events.map((e) => (e.kind === 'delta' ? e.delta : '')).join(''),
    final: events.find(isFinalEvent) ?? null,
    finals: events.filter(isFinalEvent).length,
  };
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const strictlyIncreasing = (seqs: number[]) => seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!);

describe('a Redis restart of about 8 s under streaming replies', () => {
  let subject: ChatUnderTest;
  beforeAll(async () => {
    subject = await startChat({ settings: { MAX_GENERATIONS_PER_USER: '20' } });
  }, 120_000);

  it('completes every reply: its log numbered 1..n, the stored content its deltas, every subscriber given every seq once in order', async () => {
    const userId = randomUUID();
    const sent = await Promise.all(Array.from({ length: 4 }, (_, i) => subject.chat.sending().send(userId, { content: `Question ${i}` })));
    const ids = sent.map((s) => s.assistantMessage.id);
    const subscribers = await Promise.all(ids.map((id) => subscriber(subject.reader, id)));
    // Mid-stream: every reply has streamed a few events, and none has finished.
    for (const id of ids) {
      await expect.poll(async () => (await logged(subject.reader, id)).seqs.length, { timeout: 30_000, interval: 50 }).toBeGreaterThan(3);
    }
    const before = await Promise.all(ids.map((id) => logged(subject.reader, id)));
    expect(before.map((l) => l.final)).toEqual(ids.map(() => null));

    await redis.stop();
    // The outage itself: Redis is away this long, whatever the code under test does meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect((await Promise.all(ids.map(storedReply))).map((r) => r.status)).toEqual(ids.map(() => 'STREAMING'));
    await redis.start();

    for (const id of ids)
      await expect.poll(async () => (await storedReply(id)).status, { timeout: 60_000, interval: 100 }).toBe('COMPLETED');
    await Promise.all(subscribers.map((s) => s.done));
    for (const [i, id] of ids.entries()) {
      const stored = await storedReply(id);
      const log = await logged(subject.reader, id);
      expect(log.seqs).toEqual(oneToN(stored.last_seq!));
      expect(log.final).toMatchObject({ kind: 'completed', status: 'COMPLETED', seq: stored.last_seq });
      expect(log.finals).toBe(1);
      expect(log.text).toBe(stored.content);
      expect(stored.content).toBe(REPLY);
      // The log went on from where it was: what was stored before the outage is its start, not repeated.
      expect(log.text.startsWith(before[i]!.text)).toBe(true);
      const { seen, live } = subscribers[i]!;
      expect(seen.map((e) => e.seq)).toEqual(oneToN(stored.last_seq!));
      expect(seen.map((e) => (e.kind === 'delta' ? e.delta : '')).join('')).toBe(REPLY);
      // Published once per stored event, in order: pub/sub may drop some during the outage, never repeat or reorder.
      expect(strictlyIncreasing(live)).toBe(true);
    }
    expect(subject.logs.lines().some((l) => l['msg'] === 'stream log unreachable; retrying')).toBe(true);
    expect(subject.logs.lines().filter((l) => l['msg'] === 'reply failed')).toEqual([]);
  }, 120_000);
});

describe('Redis away for longer than the worker waits for it', () => {
  let subject: ChatUnderTest;
  beforeAll(async () => {
    subject = await startChat({ worker: { STREAM_APPEND_RETRY_MS: '1500' } });
  }, 120_000);

  it('fails the reply with UPSTREAM_UNAVAILABLE and a sentence naming the stream store; its final event follows once Redis is back', async () => {
    const sent = await subject.chat.sending().send(randomUUID(), { content: 'A question Redis will miss' });
    const id = sent.assistantMessage.id;
    const watching = await subscriber(subject.reader, id);
    await expect.poll(async () => (await logged(subject.reader, id)).seqs.length, { timeout: 30_000, interval: 50 }).toBeGreaterThan(3);

    await redis.stop();
    // PostgreSQL is the record: the reply ends there while Redis is still away.
    await expect.poll(async () => (await storedReply(id)).status, { timeout: 30_000, interval: 100 }).toBe('FAILED');
    const stored = await storedReply(id);
    expect(stored).toMatchObject({
      failure_code: 'UPSTREAM_UNAVAILABLE',
      failure_reason: 'The reply could not be delivered: the message stream store (Redis) was unreachable for 1.5 s. Ask again.',
    });
    await redis.start();

    // The request is redelivered until the log takes the final event (and the delta the worker could not confirm, if any).
    await expect
      .poll(async () => (await logged(subject.reader, id)).final, { timeout: 60_000, interval: 200 })
      .toMatchObject({
        kind: 'failed',
        seq: stored.last_seq,
        code: 'UPSTREAM_UNAVAILABLE',
        reason: stored.failure_reason,
      });
    const log = await logged(subject.reader, id);
    expect(log.seqs).toEqual(oneToN(stored.last_seq!));
    expect(log.text).toBe(stored.content);
    expect(REPLY.startsWith(stored.content)).toBe(true);
    await watching.done;
    expect(watching.seen.map((e) => e.seq)).toEqual(oneToN(stored.last_seq!));
    expect(watching.seen.at(-1)).toMatchObject({ kind: 'failed', code: 'UPSTREAM_UNAVAILABLE' });
    // Not the model's fault, and nothing to try again: the request is not dead-lettered.
    expect(subject.deadLetters).toEqual([]);
  }, 120_000);
});

describe('a models service that is not there yet, then comes up', () => {
  let subject: ChatUnderTest;
  let modelsPort: number;
  let modelsService: TcpProxy | null = null;
  beforeAll(async () => {
    // The worker's models service is behind an address where nothing listens until a test brings it up.
    modelsPort = await freePort();
    subject = await startChat({ worker: { MODELS_URL: `http://127.0.0.1:${modelsPort}`, MODELS_RETRY_BUDGET_MS: '10000' } });
    teardown.push(async () => modelsService?.close());
  }, 120_000);

  it('waits for it, and completes the reply once it answers within the budget', async () => {
    upstream.queue({ tokens: [' Worth', ' the', ' wait'] });
    const sent = await subject.chat.sending().send(randomUUID(), { content: 'Are you there?' });
    const id = sent.assistantMessage.id;
    // Waiting, not failed: the model list it needs first is itself asked again for up to 5 s (model-directory.ts), so
    // a try here is seconds long; that the budget is time and not a count of tries is generation.test.ts's to show.
    await expect
      .poll(() => subject.logs.lines().filter((l) => l['messageId'] === id && l['msg'] === 'models service unreachable; retrying').length, {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(2);
    expect((await storedReply(id)).status).toBe('STREAMING');
    const { port } = new URL(upstream.baseUrl);
    modelsService = await startTcpProxy('127.0.0.1', Number(port), { listenPort: modelsPort });

    await expect.poll(async () => (await storedReply(id)).status, { timeout: 30_000, interval: 100 }).toBe('COMPLETED');
    expect((await storedReply(id)).content).toBe(' Worth the wait');
    expect(subject.deadLetters).toEqual([]);
  }, 60_000);

  it('fails the reply with UPSTREAM_UNAVAILABLE, and dead-letters it, when the models service stays away past the budget', async () => {
    await modelsService?.close();
    modelsService = null;
    const sent = await subject.chat.sending().send(randomUUID(), { content: 'Anyone?' });
    const id = sent.assistantMessage.id;
    await expect.poll(async () => (await storedReply(id)).status, { timeout: 30_000, interval: 100 }).toBe('FAILED');
    expect(await storedReply(id)).toMatchObject({
      content: '',
      failure_code: 'UPSTREAM_UNAVAILABLE',
      failure_reason: 'The models service could not be reached for 10 s, so no reply was generated. Ask again in a moment.',
    });
    const log = await logged(subject.reader, id);
    expect(log.final).toMatchObject({ kind: 'failed', seq: 1, code: 'UPSTREAM_UNAVAILABLE' });
    await expect.poll(() => subject.deadLetters.map((d) => d.assistantMessageId)).toEqual([id]);
  }, 60_000);
});
