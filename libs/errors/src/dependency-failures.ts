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

/** What a person is told when PostgreSQL cannot be reached or is restarting. */
export const DATABASE_UNAVAILABLE_MESSAGE = "Parley's database (PostgreSQL) is unreachable or restarting; try again in a few seconds.";

/**
 * How node-postgres (directly, or wrapped by MikroORM, which keeps the `code`)
 * fails while the server is away: SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (the server shutting down, crashed, or still starting), or the
 * driver's own messages for a connection that ended or never came.
 */
const POSTGRES_UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03']);
const POSTGRES_FAILURE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

function isPostgresConnectionFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || POSTGRES_UNAVAILABLE_STATES.has(code))) return true;
  return POSTGRES_FAILURE_MESSAGES.some((message) => error.message.startsWith(message));
}

/** A socket that could not be opened or was cut (a dependency restarting), whichever driver saw it. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const DEPENDENCY_UNAVAILABLE_MESSAGE = 'A service Parley depends on could not be reached; try again in a few seconds.';

function isConnectionFailure(error: Error): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  return typeof code === 'string' && CONNECTION_CODES.has(code) && typeof syscall === 'string';
}

/**
 * A failure to reach one of Parley's own dependencies (Redis, PostgreSQL, or
 * any socket a driver could not open), as the retriable
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
    if (isPostgresConnectionFailure(current)) return new UpstreamUnavailableError(DATABASE_UNAVAILABLE_MESSAGE, {}, { cause: current });
    if (isConnectionFailure(current)) return new UpstreamUnavailableError(DEPENDENCY_UNAVAILABLE_MESSAGE, {}, { cause: current });
  }
  return null;
}
