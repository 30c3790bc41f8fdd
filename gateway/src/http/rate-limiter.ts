import { createHash } from 'node:crypto';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
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
  /**
   * Counts `requests` (one unless given) against every key, only if every key
   * has room for all of them, and answers each key's verdict, in one round
   * trip: a signed-in request is checked against its address and its user at
   * once; a mutation's further root fields are counted as requests of their own.
   */
  hit(checks: { key: string; limit: number }[], windowSeconds: number, requests?: number): Promise<RateLimitDecision[]>;
}

/**
 * Sliding window counter: the previous fixed window's count, weighted by how
 * much of it still overlaps the sliding window, plus the current window's.
 * Two small keys per client instead of a log of timestamps, and the same
 * answer on every gateway replica because the counters live in Redis.
 */
const HIT = `
local windowMs = tonumber(ARGV[1])
local elapsedMs = tonumber(ARGV[2])
local requests = tonumber(ARGV[3])
local counts = {}
local allowed = 1
for i = 1, #KEYS, 2 do
  local previous = tonumber(redis.call('GET', KEYS[i]) or '0')
  local current = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  local limit = tonumber(ARGV[3 + (i + 1) / 2])
  if previous * (windowMs - elapsedMs) / windowMs + current + requests - 1 >= limit then allowed = 0 end
  counts[#counts + 1] = previous
  counts[#counts + 1] = current
end
if allowed == 1 then
  for i = 2, #KEYS, 2 do
    counts[i] = redis.call('INCRBY', KEYS[i], requests)
    if counts[i] == requests then redis.call('PEXPIRE', KEYS[i], windowMs * 2) end
  end
end
table.insert(counts, 1, allowed)
return counts
`;

function decide(
  allowed: boolean,
  previous: number,
  current: number,
  limit: number,
  windowMs: number,
  elapsedMs: number,
  requests: number,
): RateLimitDecision {
  const weighted = (previous * (windowMs - elapsedMs)) / windowMs + current;
  const remaining = Math.max(0, Math.floor(limit - weighted));
  let retryAfterMs = 0;
  if (!allowed) {
    // The previous window's weight falls linearly; when it cannot fall far enough, the next window starts afresh.
    const needed = weighted - limit + requests;
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

/**
 * The limiter the gateway replicas share, on Redis. While Redis is
 * unreachable each gateway process counts on its own with the same limits (a
 * client spread over n replicas gets up to n times its limit for that while),
 * so clients are still limited and are never refused for an outage that is
 * not theirs; once Redis is back its counters apply again.
 */
export function createRedisRateLimiter({
  redis,
  namespace,
  logger,
  now = Date.now,
}: {
  redis: Redis;
  namespace: string;
  logger: FallbackLogger;
  now?: () => number;
}): RateLimiter {
  // The key count varies (address alone, or address and user), so the script goes by SHA with EVALSHA, its text only once.
  const sha = createHash('sha1').update(HIT).digest('hex');
  const run = async (keys: string[], args: number[]): Promise<number[]> => {
    try {
      return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return (await redis.eval(HIT, keys.length, ...keys, ...args)) as number[];
    }
  };
  const shared: RateLimiter = {
    async hit(checks, windowSeconds, requests = 1) {
      const windowMs = windowSeconds * 1000;
      const { index, elapsedMs } = windowOf(now(), windowMs);
      const keys = checks.flatMap(({ key }) => {
        const prefix = `${namespace}ratelimit:${key}:${windowSeconds}:`;
        return [`${prefix}${index - 1}`, `${prefix}${index}`];
      });
      const [allowed, ...counts] = await run(keys, [windowMs, elapsedMs, requests, ...checks.map((c) => c.limit)]);
      return checks.map((check, i) =>
        decide(allowed === 1, Number(counts[2 * i]), Number(counts[2 * i + 1]), check.limit, windowMs, elapsedMs, requests),
      );
    },
  };
  const local = createMemoryRateLimiter({ now });
  const fallback = createRedisFallback({ redis, use: 'gateway rate limits', fallback: 'are counted in each gateway process', logger, now });
  return {
    hit: (checks, windowSeconds, requests) =>
      fallback.run(
        () => shared.hit(checks, windowSeconds, requests),
        () => local.hit(checks, windowSeconds, requests),
      ),
  };
}

/** Embedded mode: one process, the same arithmetic over a Map. */
export function createMemoryRateLimiter({ now = Date.now }: { now?: () => number } = {}): RateLimiter {
  const counts = new Map<string, number>();
  return {
    async hit(checks, windowSeconds, requests = 1) {
      const windowMs = windowSeconds * 1000;
      const { index, elapsedMs } = windowOf(now(), windowMs);
      const windows = checks.map(({ key, limit }) => {
        const currentKey = `${key}:${windowSeconds}:${index}`;
        const previous = counts.get(`${key}:${windowSeconds}:${index - 1}`) ?? 0;
        const current = counts.get(currentKey) ?? 0;
        return { currentKey, previous, current, limit };
      });
      // As for one request: room while the count is below the limit, here with the other requests counted first.
      const allowed = windows.every(
        ({ previous, current, limit }) => (previous * (windowMs - elapsedMs)) / windowMs + current + requests - 1 < limit,
      );
      if (allowed) for (const w of windows) counts.set(w.currentKey, (w.current += requests));
      if (counts.size > 200_000) {
        for (const k of counts.keys()) if (!k.endsWith(`:${index}`) && !k.endsWith(`:${index - 1}`)) counts.delete(k);
      }
      return windows.map((w) => decide(allowed, w.previous, w.current, w.limit, windowMs, elapsedMs, requests));
    },
  };
}
