import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type Redis from 'ioredis';

/** Apollo's cache interface over Redis, so every gateway replica knows a persisted query registered on any of them. */
export function createRedisKeyValueCache({
  redis,
  namespace,
  defaultTtlSeconds,
}: {
  redis: Redis;
  namespace: string;
  defaultTtlSeconds: number;
}): KeyValueCache<string> {
  const keyOf = (key: string) => `${namespace}gateway:${key}`;
  return {
    async get(key) {
      return (await redis.get(keyOf(key))) ?? undefined;
    },
    async set(key, value, options?: KeyValueCacheSetOptions) {
      const ttl = options?.ttl ?? defaultTtlSeconds;
      if (ttl) await redis.set(keyOf(key), value, 'EX', Math.ceil(ttl));
      else await redis.set(keyOf(key), value);
    },
    async delete(key) {
      return (await redis.del(keyOf(key))) > 0;
    },
  };
}
