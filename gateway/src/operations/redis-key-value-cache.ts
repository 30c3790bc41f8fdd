import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';

/**
 * Apollo's cache interface over Redis, so every gateway replica knows a
 * persisted query registered on any of them. While Redis is unreachable it is
 * skipped at once: a lookup misses (a client sending a hash alone is asked for
 * the query text, as after an expiry) and a registration is dropped.
 */
export function createRedisKeyValueCache({
  redis,
  namespace,
  defaultTtlSeconds,
  logger,
}: {
  redis: Redis;
  namespace: string;
  defaultTtlSeconds: number;
  logger: FallbackLogger;
}): KeyValueCache<string> {
  const keyOf = (key: string) => `${namespace}gateway:${key}`;
  const fallback = createRedisFallback({ redis, use: 'persisted queries', fallback: 'are not cached', logger });
  return {
    get: (key) =>
      fallback.run(
        async () => (await redis.get(keyOf(key))) ?? undefined,
        () => undefined,
      ),
    set: (key, value, options?: KeyValueCacheSetOptions) =>
      fallback.run(
        async () => {
          const ttl = options?.ttl ?? defaultTtlSeconds;
          if (ttl) await redis.set(keyOf(key), value, 'EX', Math.ceil(ttl));
          else await redis.set(keyOf(key), value);
        },
        () => undefined,
      ),
    delete: (key) =>
      fallback.run(
        async () => (await redis.del(keyOf(key))) > 0,
        () => false,
      ),
  };
}
