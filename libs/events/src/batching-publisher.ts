import type { EventBus } from './event-bus';
import type { EventPayloads, Topic } from './topics';

/**
 * Publishes the events of one topic that were handed over in the same turn of
 * the event loop as one produce request (a Kafka produce with acks=all costs
 * about as much CPU for one event as for fifty). Each caller still learns when
 * its own event is stored, or that it failed.
 */
export function createBatchingPublisher<T extends Topic>(bus: EventBus, topic: T) {
  let pending: { key: string; payload: EventPayloads[T]; done: () => void; failed: (error: unknown) => void }[] = [];

  const flush = () => {
    const batch = pending;
    pending = [];
    bus
      .publishBatch(
        topic,
        batch.map(({ key, payload }) => ({ key, payload })),
      )
      .then(
        () => batch.forEach((item) => item.done()),
        (error: unknown) => batch.forEach((item) => item.failed(error)),
      );
  };

  return {
    publish(key: string, payload: EventPayloads[T]): Promise<void> {
      return new Promise<void>((done, failed) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ key, payload, done, failed });
      });
    },
  };
}

export type BatchingPublisher<T extends Topic> = ReturnType<typeof createBatchingPublisher<T>>;
