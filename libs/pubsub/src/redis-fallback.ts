import { unavailableDependency } from '@parley/errors';
import type Redis from 'ioredis';

/**
 * After a command timed out on a connection that still looks open (a server
 * that stalled, a partition TCP has not noticed), how long callers use their
 * fallback before one of them tries Redis again: a request should not wait a
 * command timeout for an answer that did not come a moment ago.
 */
export const FALLBACK_RETRY_MS = 1_000;

/** What the fallback reports, once per outage each way (a pino logger is one). */
export interface FallbackLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface RedisFallback {
  /**
   * `viaRedis()` while Redis answers; `instead()` while it is unreachable, at
   * once when that is already known (the connection is down, or a command
   * timed out less than FALLBACK_RETRY_MS ago), so a request never waits for
   * Redis to fail it. Any other failure of `viaRedis` is rethrown.
   */
  run<T>(viaRedis: () => Promise<T>, instead: () => T | Promise<T>): Promise<T>;
}

/**
 * One use of Redis that degrades on purpose when Redis is away (rate limits
 * counted in the process, caches skipped, budgets checked against PostgreSQL),
 * instead of failing or hanging its requests. What each use does is listed in
 * docs/ARCHITECTURE.md ("When Redis is unreachable").
 */
export function createRedisFallback({
  redis,
  use,
  fallback,
  logger,
  now = Date.now,
}: {
  redis: Pick<Redis, 'status' | 'on'>;
  /** What depends on Redis, for the log: "gateway rate limits". */
  use: string;
  /** What it does meanwhile, for the log: "counted in this process". */
  fallback: string;
  logger: FallbackLogger;
  now?: () => number;
}): RedisFallback {
  let down = false;
  let retryAt = 0;

  const markDown = (error?: unknown) => {
    retryAt = now() + FALLBACK_RETRY_MS;
    if (down) return;
    down = true;
    logger.warn({ use, fallback, ...(error ? { err: error } : {}) }, `redis unreachable: ${use} ${fallback} until it is back`);
  };
  const markUp = () => {
    if (!down) return;
    down = false;
    logger.info({ use }, `redis reachable again: ${use} use it again`);
  };
  redis.on('ready', markUp);

  /**
   * Whether a command now would reach Redis or wait for a connection being
   * made (a process starting; a lazy client's first command) rather than fail.
   * Between attempts ('reconnecting') or after one failed, Redis is away.
   */
  const reachable = () => {
    const status = redis.status;
    if (status === 'ready' || status === 'wait') return !down || now() >= retryAt;
    return !down && (status === 'connecting' || status === 'connect');
  };

  return {
    async run(viaRedis, instead) {
      if (!reachable()) {
        if (redis.status !== 'ready' && redis.status !== 'wait') markDown();
        return instead();
      }
      let value;
      try {
        value = await viaRedis();
      } catch (error) {
        if (!unavailableDependency(error)) throw error;
        markDown(error);
        return instead();
      }
      markUp();
      return value;
    },
  };
}
