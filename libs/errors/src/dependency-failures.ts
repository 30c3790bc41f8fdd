import { UpstreamUnavailableError } from './parley-error';

/** What a person is told when Redis cannot be reached: what is down, in words they know, and what to do. */
export const REDIS_UNAVAILABLE_MESSAGE = "Parley's cache and stream store (Redis) is unreachable; try again in a few seconds.";

/**
 * How ioredis (as `createRedisClient` configures it) fails a command it could
 * not get answered: the connection dropped or could not be made
 * (MaxRetriesPerRequestError, with `maxRetriesPerRequest: 0`), no reply
 * within the command timeout, a closed client, or no offline queue. Recognised
 * by name and message, so this package needs no driver.
 */
const REDIS_FAILURE_NAMES = new Set(['MaxRetriesPerRequestError']);
const REDIS_FAILURE_MESSAGES = ['Command timed out', 'Connection is closed.', "Stream isn't writeable"];

function isRedisConnectionFailure(error: Error): boolean {
  return REDIS_FAILURE_NAMES.has(error.name) || REDIS_FAILURE_MESSAGES.some((message) => error.message.startsWith(message));
}

/**
 * A failure to reach one of Parley's own dependencies, as the retriable
 * UPSTREAM_UNAVAILABLE a client can act on; null when `error` is something
 * else (then it is an unexpected failure, INTERNAL_SERVER_ERROR). The one
 * place such a driver's error becomes a ParleyError: every dialect's answer to
 * an unexpected error asks here first, and so do the callers that fall back
 * when Redis is away (`createRedisFallback` in @parley/pubsub).
 */
export function unavailableDependency(error: unknown): UpstreamUnavailableError | null {
  // A wrapper may carry the driver's error as its cause.
  for (let current = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    if (current instanceof UpstreamUnavailableError) return current;
    if (isRedisConnectionFailure(current)) return new UpstreamUnavailableError(REDIS_UNAVAILABLE_MESSAGE, {}, { cause: current });
  }
  return null;
}
