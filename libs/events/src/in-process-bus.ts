import { currentContext, inSpan } from '@parley/telemetry';
import type { Logger } from 'pino';
import type { EventBus, EventSubscription, ReceivedEvent, SubscribeOptions } from './event-bus';
import { createKeyedWorkerPool, type KeyedWorkerPool } from './keyed-worker-pool';
import type { EventPayloads, Topic } from './topics';

type Handler = (event: ReceivedEvent<Topic>) => Promise<void>;

interface Group {
  members: Handler[];
  next: number;
  /** One chain per group keeps events in publish order, as one Kafka partition would. */
  tail: Promise<void>;
  offset: number;
  /** Set when the group handles several keys at once (SubscribeOptions.concurrency > 1). */
  pool: KeyedWorkerPool | null;
}

/**
 * The embedded-mode stand-in for Kafka: same interface, same delivery rules
 * (each group sees each event once, in order, redelivered while the handler
 * throws), but in memory, so it lasts as long as the process.
 */
export function createInProcessBus({
  logger,
  maxAttempts = 5,
  retryDelayMs = 50,
}: {
  logger: Logger;
  maxAttempts?: number;
  retryDelayMs?: number;
}): EventBus {
  const topics = new Map<Topic, Map<string, Group>>();
  let closing = false;

  async function deliver(group: Group, event: ReceivedEvent<Topic>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (group.members.length === 0) return;
      const member = group.members[group.next++ % group.members.length]!;
      try {
        await member(event);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          logger.error({ err: error, topic: event.topic, key: event.key }, 'event handler failed; giving up');
          return;
        }
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  const bus: EventBus = {
    async publishBatch(topic, events) {
      for (const { key, payload } of events) await bus.publish(topic, key, payload);
    },
    async publish<T extends Topic>(topic: T, key: string, payload: EventPayloads[T]) {
      if (closing) throw new Error('The event bus is closed; nothing can be published any more.');
      // A copy, as a broker would hand over: no consumer shares the producer's object.
      const copy = JSON.parse(JSON.stringify(payload)) as EventPayloads[T];
      // The publisher's trace goes on in each handler, as Kafka's headers carry it across processes.
      const traced = currentContext();
      for (const group of topics.get(topic)?.values() ?? []) {
        const event: ReceivedEvent<Topic> = { topic, key, payload: copy, partition: 0, offset: String(group.offset++) };
        const handled = () =>
          inSpan(`${topic} process`, { kind: 'consumer', parent: traced, attributes: { 'messaging.destination.name': topic } }, () =>
            deliver(group, event),
          );
        if (group.pool) {
          const pool = group.pool;
          // Admission keeps publish order; the work itself runs alongside other keys'.
          group.tail = group.tail.then(async () => {
            const { finished } = await pool.submit({ key, partition: 0, offset: BigInt(event.offset) }, handled);
            void finished.catch(() => undefined);
          });
        } else {
          group.tail = group.tail.then(handled);
        }
      }
    },
    async subscribe<T extends Topic>({
      topic,
      group: groupName,
      handle,
      concurrency = 1,
    }: SubscribeOptions<T>): Promise<EventSubscription> {
      const groups = topics.get(topic) ?? new Map<string, Group>();
      topics.set(topic, groups);
      const group = groups.get(groupName) ?? { members: [], next: 0, tail: Promise.resolve(), offset: 0, pool: null };
      if (concurrency > 1 && !group.pool) group.pool = createKeyedWorkerPool({ concurrency });
      groups.set(groupName, group);
      const member = handle as unknown as Handler;
      group.members.push(member);
      return {
        async stop() {
          group.members = group.members.filter((m) => m !== member);
        },
      };
    },
    async ping() {},
    async lag() {
      return 0;
    },
    consumerGroups: () => [...topics.entries()].flatMap(([topic, groups]) => [...groups.keys()].map((group) => ({ group, topic }))),
    /** Refuses new events and waits until every event already published is handled. */
    async close() {
      closing = true;
      const groups = [...topics.values()].flatMap((byName) => [...byName.values()]);
      await Promise.all(groups.map((g) => g.tail));
      await Promise.all(groups.map((g) => g.pool?.drained()));
    },
  };
  return bus;
}
