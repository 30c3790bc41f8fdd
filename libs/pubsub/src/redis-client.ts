import Redis, { type RedisOptions } from 'ioredis';

/**
 * Every Redis connection a Parley process opens, so that what a connection
 * does while Redis is away (how long a command may wait, how soon it
 * reconnects) is decided in one place.
 */
export function createRedisClient(
  url: string,
  {
    onError,
    ...options
  }: Pick<RedisOptions, 'lazyConnect' | 'enableAutoPipelining'> & {
    /** Sees connection errors (ioredis keeps reconnecting meanwhile). */
    onError?: (error: Error) => void;
  } = {},
): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 2, ...options });
  // Without a listener each failed reconnect attempt is an "unhandled error event".
  client.on('error', (error: Error) => onError?.(error));
  return client;
}
