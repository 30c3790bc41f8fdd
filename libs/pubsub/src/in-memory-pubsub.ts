import { PubSub as MemoryEngine } from 'graphql-subscriptions';
import type { PubSub } from './pubsub';

/** Embedded mode: one process, so pub/sub is a local event emitter. */
export function createInMemoryPubSub(): PubSub {
  const engine = new MemoryEngine();
  return {
    async publish(channel, payload) {
      await engine.publish(channel, payload);
    },
    async subscribe<T>(channel: string, onMessage: (payload: T) => void) {
      const id = await engine.subscribe(channel, onMessage as (payload: unknown) => void);
      return async () => engine.unsubscribe(id);
    },
    async ping() {},
    async close() {},
  };
}
