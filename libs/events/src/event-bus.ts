import type { EventPayloads, Topic } from './topics';

export interface ReceivedEvent<T extends Topic> {
  topic: T;
  key: string;
  payload: EventPayloads[T];
  partition: number;
  offset: string;
}

export interface SubscribeOptions<T extends Topic> {
  topic: T;
  /** Consumer group: each event reaches one member of each group. */
  group: string;
  /**
   * Resolves when the event is fully handled; only then is it acknowledged.
   * Throwing makes it be delivered again, so handlers must be idempotent.
   */
  handle(event: ReceivedEvent<T>): Promise<void>;
  /**
   * How many events this member handles at once (default 1). Above 1, events
   * with different keys run concurrently, events with the same key still one
   * after another, and an offset is committed only when every event before it
   * finished; a failing handler is retried with backoff without holding up
   * other keys.
   */
  concurrency?: number;
}

export interface EventSubscription {
  stop(): Promise<void>;
}

/**
 * Durable events between services. Kafka in services mode, an in-process queue
 * in embedded mode; nothing above this interface knows which one runs.
 */
export interface EventBus {
  publish<T extends Topic>(topic: T, key: string, payload: EventPayloads[T]): Promise<void>;
  /** Several events of one topic in one round trip (each still keyed and ordered per key). */
  publishBatch<T extends Topic>(topic: T, events: { key: string; payload: EventPayloads[T] }[]): Promise<void>;
  subscribe<T extends Topic>(options: SubscribeOptions<T>): Promise<EventSubscription>;
  /** Resolves when the broker answers; for /readyz. */
  ping(): Promise<void>;
  /**
   * Events of `topic` the consumer `group` has not committed yet, summed over the partitions (a partition it never
   * committed counts whole): the consumer lag an operator alerts on. 0 on the in-process bus, which has no backlog.
   */
  lag(group: string, topic: Topic): Promise<number>;
  /** The consumer groups this process has subscribed, with their topics: whose lag its metrics report. */
  consumerGroups(): { group: string; topic: Topic }[];
  close(): Promise<void>;
}
