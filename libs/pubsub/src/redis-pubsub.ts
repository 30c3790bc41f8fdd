import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createRedisClient } from './redis-client';
import type { PubSub } from './pubsub';

/**
 * graphql-redis-subscriptions over two ioredis connections (a connection in
 * subscriber mode can do nothing else). Channels are prefixed so that test runs
 * and deployments can share one Redis.
 */
export async function createRedisPubSub({
  url,
  prefix = '',
  onError,
}: {
  url: string;
  prefix?: string;
  /** Sees connection errors (ioredis keeps reconnecting meanwhile). */
  onError?: (error: Error) => void;
}): Promise<PubSub> {
  let lastError: Error | undefined;
  const onConnectionError = (error: Error) => {
    lastError = error;
    onError?.(error);
  };
  const publisher = createRedisClient(url, { lazyConnect: true, onError: onConnectionError });
  const subscriber = createRedisClient(url, { lazyConnect: true, onError: onConnectionError });
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    const { host, port } = publisher.options;
    throw new Error(`Cannot connect to Redis at ${host}:${port}: ${(lastError ?? (error as Error)).message}`, { cause: error });
  }
  const engine = new RedisPubSub({ publisher, subscriber });
  return {
    async publish(channel, payload) {
      await engine.publish(prefix + channel, payload);
    },
    async subscribe<T>(channel: string, onMessage: (payload: T) => void) {
      // RedisPubSub.subscribe resolves after Redis acknowledged SUBSCRIBE.
      const id = await engine.subscribe(prefix + channel, onMessage as (payload: unknown) => void);
      return async () => engine.unsubscribe(id);
    },
    async ping() {
      await publisher.ping();
    },
    async close() {
      await engine.close();
    },
  };
}
