import type Redis from 'ioredis';

/** One counter's verdict, with what the RateLimit-* and Retry-After headers report. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window has fully moved on. */
  resetSeconds: number;
  /** When refused: seconds until one more request would be allowed. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one request against `key` (if allowed) and answers whether it may go ahead. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision>;
}

/**
 * Sliding window counter: the previous fixed window's count, weighted by how
 * much of it still overlaps the sliding window, plus the current window's.
 * Two small keys per client instead of a log of timestamps, and the same
 * answer on every gateway replica because the counters live in Redis.
 */
const HIT = `
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local elapsedMs = tonumber(ARGV[3])
if previous * (windowMs - elapsedMs) / windowMs + current >= limit then
  return {0, previous, current}
end
current = redis.call('INCR', KEYS[2])
if current == 1 then redis.call('PEXPIRE', KEYS[2], windowMs * 2) end
return {1, previous, current}
`;

function decide(
  allowed: boolean,
  previous: number,
  current: number,
  limit: number,
  windowMs: number,
  elapsedMs: number,
): RateLimitDecision {
  const weighted = (previous * (windowMs - elapsedMs)) / windowMs + current;
  const remaining = Math.max(0, Math.floor(limit - weighted));
  let retryAfterMs = 0;
  if (!allowed) {
    // The previous window's weight falls linearly; when it cannot fall far enough, the next window starts afresh.
    const needed = weighted - limit + 1;
    retryAfterMs =
      previous > 0 && needed <= (previous * (windowMs - elapsedMs)) / windowMs ? (needed * windowMs) / previous : windowMs - elapsedMs;
  }
  return {
    allowed,
    limit,
    remaining,
    resetSeconds: Math.ceil((windowMs - elapsedMs) / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
  };
}

const windowOf = (nowMs: number, windowMs: number) => ({ index: Math.floor(nowMs / windowMs), elapsedMs: nowMs % windowMs });

export function createRedisRateLimiter({
  redis,
  namespace,
  now = Date.now,
}: {
  redis: Redis;
  namespace: string;
  now?: () => number;
}): RateLimiter {
  redis.defineCommand('parleyRateLimitHit', { numberOfKeys: 2, lua: HIT });
  const script = redis as Redis & { parleyRateLimitHit: (...args: (string | number)[]) => Promise<[number, number, number]> };
  return {
    async hit(key, limit, windowSeconds) {
      const windowMs = windowSeconds * 1000;
      const { index, elapsedMs } = windowOf(now(), windowMs);
      const prefix = `${namespace}ratelimit:${key}:${windowSeconds}:`;
      const [allowed, previous, current] = await script.parleyRateLimitHit(
        `${prefix}${index - 1}`,
        `${prefix}${index}`,
        limit,
        windowMs,
        elapsedMs,
      );
      return decide(allowed === 1, Number(previous), Number(current), limit, windowMs, elapsedMs);
    },
  };
}

/** Embedded mode: one process, the same arithmetic over a Map. */
export function createMemoryRateLimiter({ now = Date.now }: { now?: () => number } = {}): RateLimiter {
  const counts = new Map<string, number>();
  return {
    async hit(key, limit, windowSeconds) {
      const windowMs = windowSeconds * 1000;
      const { index, elapsedMs } = windowOf(now(), windowMs);
      const previousKey = `${key}:${windowSeconds}:${index - 1}`;
      const currentKey = `${key}:${windowSeconds}:${index}`;
      const previous = counts.get(previousKey) ?? 0;
      let current = counts.get(currentKey) ?? 0;
      const allowed = (previous * (windowMs - elapsedMs)) / windowMs + current < limit;
      if (allowed) counts.set(currentKey, ++current);
      if (counts.size > 200_000) {
        for (const k of counts.keys()) if (!k.endsWith(`:${index}`) && !k.endsWith(`:${index - 1}`)) counts.delete(k);
      }
      return decide(allowed, previous, current, limit, windowMs, elapsedMs);
    },
  };
}
