import { Kafka, logLevel, Partitioners, type Consumer, type Producer, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventBus, EventSubscription, SubscribeOptions } from './event-bus';
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
 * kafkajs behind the EventBus interface: an idempotent producer with acks=-1
 * (no duplicate or lost write on a producer retry), and consumers that commit
 * an offset only after the handler resolved.
 */
export async function createKafkaBus({ brokers, clientId, logger, topicPrefix = '', partitions = 3 }: KafkaBusOptions): Promise<EventBus> {
  const kafka = new Kafka({
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
    retry: { retries: 8, initialRetryTime: 100 },
    connectionTimeout: 3000,
  });
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
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } catch (error) {
    // Several services start at once and race to create the same topics; losing that race is fine.
    const causes = (error as { errors?: { type?: string }[] }).errors ?? [];
    if (causes.length === 0 || !causes.every((cause) => cause.type === 'TOPIC_ALREADY_EXISTS')) throw error;
  }

  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumers = new Set<Consumer>();

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
    async subscribe<T extends Topic>({ topic, group, handle }: SubscribeOptions<T>): Promise<EventSubscription> {
      const consumer = kafka.consumer({ groupId: `${topicPrefix}${group}`, allowAutoTopicCreation: false });
      await consumer.connect();
      await consumer.subscribe({ topic: name(topic), fromBeginning: true });
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
    async close() {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()));
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
