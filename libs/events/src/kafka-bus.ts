import { currentContext, inContext } from '@parley/telemetry';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type LogEntry, type Producer, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventBus, EventSubscription, ReceivedEvent, SubscribeOptions } from './event-bus';
import { createKeyedWorkerPool } from './keyed-worker-pool';
import { Topics, type Topic } from './topics';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Prepended to every topic name; lets test runs share one broker without seeing each other. */
  topicPrefix?: string;
  partitions?: number;
}

/**
 * kafkajs messages that describe handled situations: bounded producer retries
 * (we keep them bounded so a publish to a dead broker fails instead of hanging;
 * consumers are idempotent), and the topic-creation race between services
 * starting together (handled below).
 */
const EXPECTED_NOISE = /Limiting retries for the idempotent producer|Response CreateTopics/;

/**
 * How a publish rides out a broker that is away: it keeps trying for about 30 s
 * (then fails), never pausing more than 500 ms between tries, so what waited
 * leaves within about half a second of the broker's return. kafkajs's default
 * pause doubles up to 30 s, and a publish slept up to 13 s past the broker's
 * return. The producer's reconnects run on its client's retry settings, inside
 * each try, so its client gets these too. Every field is given: kafkajs's
 * defaults differ under NODE_ENV=test.
 */
const PUBLISH_RETRY = { initialRetryTime: 100, maxRetryTime: 500, multiplier: 2, factor: 0.2, retries: 62 };

/**
 * kafkajs behind the EventBus interface: an idempotent producer with acks=-1
 * (no duplicate or lost write on a producer retry), and consumers that commit
 * an offset only after the handler resolved.
 */
export async function createKafkaBus({ brokers, clientId, logger, topicPrefix = '', partitions = 3 }: KafkaBusOptions): Promise<EventBus> {
  const client = (retry: RetryOptions) =>
    new Kafka({
      clientId,
      brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, ...extra } = entry.log;
        const level = EXPECTED_NOISE.test(message)
          ? 'debug'
          : entry.level <= logLevel.ERROR
            ? 'error'
            : entry.level === logLevel.WARN
              ? 'warn'
              : 'debug';
        logger[level]({ kafka: extra, namespace: entry.namespace }, message);
      },
      retry,
      connectionTimeout: 3000,
    });
  // Admin and consumers.
  const kafka = client({ retries: 8, initialRetryTime: 100 });
  const name = (topic: Topic) => `${topicPrefix}${topic}`;

  const admin = kafka.admin();
  await admin.connect();
  // Topics exist before anyone produces, with enough partitions for per-key ordering to matter.
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(Topics)
      .map(name)
      .filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        // kafkajs's own wait gives up on the first "does not host this topic-partition" a busy broker
        // answers while the topic settles; waitForLeaders below waits that out.
        waitForLeaders: false,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } catch (error) {
    // Several services start at once and race to create the same topics; losing that race is fine.
    const causes = (error as { errors?: { type?: string }[] }).errors ?? [];
    if (causes.length === 0 || !causes.every((cause) => cause.type === 'TOPIC_ALREADY_EXISTS')) throw error;
  }
  // A topic another service has just created is listed before its partitions have leaders; a consumer or
  // producer starting in that moment fails with "This server does not host this topic-partition".
  await waitForLeaders(admin, Object.values(Topics).map(name));

  const producer: Producer = client(PUBLISH_RETRY).producer({
    retry: PUBLISH_RETRY,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumers = new Set<Consumer>();
  const groups = new Map<string, { group: string; topic: Topic }>();

  /**
   * Events handed to a keyed worker pool: eachMessage returns once an event is
   * admitted, offsets are committed (every 50 ms at most) only up to the first
   * event still running. A handler that throws is retried with backoff in place;
   * on stop, whatever has not finished stays uncommitted and is delivered again.
   */
  async function runConcurrently(
    consumer: Consumer,
    topic: Topic,
    handle: (event: ReceivedEvent<Topic>) => Promise<void>,
    concurrency: number,
  ) {
    const pool = createKeyedWorkerPool({ concurrency });
    const committed = new Map<number, bigint>();
    let stopping = false;
    let commitTimer: NodeJS.Timeout | undefined;
    const commit = async () => {
      commitTimer = undefined;
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      for (const partition of pool.partitions()) {
        const next = pool.committable(partition);
        if (next === null || next === committed.get(partition)) continue;
        offsets.push({ topic: name(topic), partition, offset: next.toString() });
        committed.set(partition, next);
      }
      if (offsets.length === 0) return;
      await consumer.commitOffsets(offsets).catch((error: unknown) => {
        // After a rebalance the partition is someone else's; they redeliver what we did not commit.
        logger.warn({ err: error, topic }, 'offset commit failed');
        for (const { partition } of offsets) committed.delete(partition);
      });
    };
    const scheduleCommit = () => {
      commitTimer ??= setTimeout(() => void commit(), 50);
    };
    const untilHandled = async (event: ReceivedEvent<Topic>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await handle(event);
        } catch (error) {
          if (stopping) throw error;
          logger.error({ err: error, topic, key: event.key, offset: event.offset, attempt }, 'event handler failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 100 * 2 ** attempt)));
        }
      }
    };
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        const event: ReceivedEvent<Topic> = {
          topic,
          key: message.key?.toString() ?? '',
          payload: JSON.parse(message.value?.toString() ?? 'null'),
          partition,
          offset: message.offset,
        };
        // Fetched before the stop but not yet started: left uncommitted, for the next member.
        if (stopping) return;
        // The message's trace (kafkajs's instrumentation made it active from its headers), for the handler the pool
        // starts later, from whichever event's completion frees a slot.
        const traced = currentContext();
        const { finished } = await pool.submit({ key: event.key, partition, offset: BigInt(message.offset) }, () =>
          stopping ? Promise.reject(new Error('stopping: not started')) : inContext(traced, () => untilHandled(event)),
        );
        finished.then(scheduleCommit, () => undefined);
      },
    });
    return {
      async stop(drainMs = 10_000) {
        stopping = true;
        // Paused, not stopped: a stopped consumer has left its group and can no longer commit, so what finishes
        // during the drain would be delivered again to the next member.
        consumer.pause([{ topic: name(topic) }]);
        await Promise.race([pool.drained(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
        clearTimeout(commitTimer);
        await commit();
        await consumer.stop();
        await consumer.disconnect();
      },
    };
  }

  return {
    async publish(topic, key, payload) {
      await producer.send({
        topic: name(topic),
        acks: -1,
        messages: [{ key, value: JSON.stringify(payload) }],
      });
    },
    async publishBatch(topic, events) {
      if (events.length === 0) return;
      await producer.send({
        topic: name(topic),
        acks: -1,
        messages: events.map(({ key, payload }) => ({ key, value: JSON.stringify(payload) })),
      });
    },
    consumerGroups: () => [...groups.values()],
    async subscribe<T extends Topic>({ topic, group, handle, concurrency = 1 }: SubscribeOptions<T>): Promise<EventSubscription> {
      groups.set(`${group}\u0000${topic}`, { group, topic });
      // A member that died (kill -9) is noticed within 10 s instead of kafkajs's default 30, and its events move on.
      const consumer = kafka.consumer({
        groupId: `${topicPrefix}${group}`,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 1_000,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: name(topic), fromBeginning: true });
      if (concurrency > 1) {
        const subscription = await runConcurrently(consumer, topic, handle as (event: ReceivedEvent<Topic>) => Promise<void>, concurrency);
        consumers.add(consumer);
        return {
          async stop() {
            consumers.delete(consumer);
            await subscription.stop();
          },
        };
      }
      await consumer.run({
        autoCommit: true,
        eachMessage: async ({ message, partition }) => {
          await handle({
            topic,
            key: message.key?.toString() ?? '',
            payload: JSON.parse(message.value?.toString() ?? 'null'),
            partition,
            offset: message.offset,
          });
        },
      });
      consumers.add(consumer);
      return {
        async stop() {
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },
    async ping() {
      await admin.describeCluster();
    },
    async lag(group, topic) {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(name(topic)),
        admin.fetchOffsets({ groupId: `${topicPrefix}${group}`, topics: [name(topic)] }),
      ]);
      const committedAt = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      return ends.reduce((sum, { partition, high, low }) => {
        const at = committedAt.get(partition) ?? -1;
        // -1: nothing committed yet, so everything still on the partition is unread.
        return sum + Math.max(0, Number(high) - (at < 0 ? Number(low) : at));
      }, 0);
    },
    async close() {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()));
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      if (metadata.length === topics.length && metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topics have no leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
