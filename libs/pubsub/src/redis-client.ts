import Redis, { type RedisOptions } from 'ioredis';

/**
 * The longest wait between two reconnection attempts. ioredis' default backoff
 * grows to 5 s, so a process found Redis back 3–4 s after it returned; capped
 * at half a second, it is back within about that. Reconnecting to one Redis
 * every 500 ms costs nothing.
 */
export const RECONNECT_MAX_DELAY_MS = 500;

/** 50 ms, doubling per attempt, at most RECONNECT_MAX_DELAY_MS (ioredis counts attempts from 1). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** (attempt - 1), RECONNECT_MAX_DELAY_MS);
}

/**
 * How long one connection attempt may take before it is abandoned and retried.
 * A connection to a reachable Redis takes milliseconds; a host that drops
 * packets (a partition, a dead machine) would otherwise hold an attempt for
 * ioredis' default of 10 s.
 */
export const CONNECT_TIMEOUT_MS = 1_000;

/**
 * How long a command may wait for its reply, whether it was sent or is queued
 * for the connection being made. Parley's commands (counters, short scripts,
 * cache reads, a reply's capped stream) answer in well under a millisecond, so
 * a reply that has not come within a second is not coming. The same bound, as
 * ioredis' socket timeout, closes a connection that went silent with commands
 * pending, so it is replaced instead of looking connected until TCP gives up.
 */
export const COMMAND_TIMEOUT_MS = 1_000;

/**
 * Every Redis connection a Parley process opens, so that what a connection
 * does while Redis is away is decided in one place:
 *
 * - a command fails within COMMAND_TIMEOUT_MS, and a command issued while the
 *   connection is down fails as soon as the attempt under way does
 *   (`maxRetriesPerRequest: 0`): it never waits for a later connection, and is
 *   never sent on one after its caller was told it failed;
 * - commands issued while a connection is being made wait for it (the offline
 *   queue stays on), within the bounds above, so a process that just started
 *   or a blip of a few milliseconds fails nothing;
 * - reconnection attempts come every RECONNECT_MAX_DELAY_MS at most, and a
 *   subscriber connection subscribes again to its channels (`autoResubscribe`).
 *
 * Callers that can do without Redis check `createRedisFallback`; the failures
 * that reach a client are UPSTREAM_UNAVAILABLE (`unavailableDependency` in
 * @parley/errors).
 */
export function createRedisClient(
  url: string,
  {
    onError,
    ...options
  }: Pick<RedisOptions, 'lazyConnect' | 'enableAutoPipelining'> & {
    /**
     * Sees the first connection error of each outage. ioredis keeps
     * reconnecting meanwhile, and each failed attempt's error (two a second)
     * would say nothing new.
     */
    onError?: (error: Error) => void;
  } = {},
): Redis {
  const client = new Redis(url, {
    retryStrategy: reconnectDelayMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    autoResubscribe: true,
    ...options,
  });
  let reported = false;
  // Without a listener each failed reconnect attempt is an "unhandled error event".
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    onError?.(error);
  });
  client.on('ready', () => (reported = false));
  return client;
}
