import { createHash } from 'node:crypto';
import type { Sql } from '@parley/database';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';

export interface CachedTranslation {
  text: string;
  from: string;
  to: string;
  provider: string;
  model: string;
}

export interface TranslationCache {
  /** The entries found for these keys, Redis first, then PostgreSQL (whose hits are copied back to Redis). */
  getMany(keys: string[]): Promise<Map<string, CachedTranslation>>;
  putMany(entries: { key: string; value: CachedTranslation }[]): Promise<void>;
}

/** The cache identity of a translation: a hash, so no source text sits in Redis keys or logs. */
export function translationKey(text: string, from: string, to: string, provider: string, model: string): string {
  return createHash('sha256')
    .update(JSON.stringify([text, from, to, provider, model]))
    .digest('base64url');
}

/** The fast tier: Redis shared by every translation process, or process memory in embedded mode. */
interface HotTier {
  get(keys: string[]): Promise<(string | null)[]>;
  set(entries: [string, string][], ttlSeconds: number): Promise<void>;
}

/** While Redis is unreachable the tier is skipped at once: every key misses (PostgreSQL answers) and nothing is copied. */
function redisTier(redis: Redis, namespace: string, logger: FallbackLogger): HotTier {
  const keyOf = (key: string) => `${namespace}translation:${key}`;
  const fallback = createRedisFallback({ redis, use: 'the translation cache', fallback: 'is read from PostgreSQL alone', logger });
  return {
    get: (keys) =>
      fallback.run(
        () => redis.mget(keys.map(keyOf)),
        () => keys.map(() => null),
      ),
    set: (entries, ttlSeconds) =>
      fallback.run(
        async () => {
          const pipeline = redis.pipeline();
          for (const [key, value] of entries) pipeline.set(keyOf(key), value, 'EX', ttlSeconds);
          await pipeline.exec();
        },
        () => undefined,
      ),
  };
}

function memoryTier(now: () => number, maxEntries = 10_000): HotTier {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  return {
    async get(keys) {
      return keys.map((key) => {
        const entry = entries.get(key);
        return entry && entry.expiresAt > now() ? entry.value : null;
      });
    },
    async set(list, ttlSeconds) {
      for (const [key, value] of list) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      }
    },
  };
}

/**
 * Two tiers: Redis with a TTL for speed, PostgreSQL for durable reuse (a
 * translation paid for once is never paid for again, even after Redis is
 * flushed). Only translations that passed the quality check are stored.
 */
export function createTranslationCache({
  sql,
  redis,
  namespace,
  ttlSeconds,
  now,
  logger,
}: {
  sql: Sql;
  redis: Redis | null;
  namespace: string;
  ttlSeconds: number;
  now: () => number;
  logger: FallbackLogger;
}): TranslationCache {
  const hot = redis ? redisTier(redis, namespace, logger) : memoryTier(now);
  return {
    async getMany(keys) {
      const found = new Map<string, CachedTranslation>();
      if (keys.length === 0) return found;
      const values = await hot.get(keys);
      keys.forEach((key, i) => {
        const value = values[i];
        if (value) found.set(key, JSON.parse(value) as CachedTranslation);
      });
      const missing = keys.filter((key) => !found.has(key));
      if (missing.length === 0) return found;
      const rows: { key: string; text: string; from: string; to: string; provider: string; model: string }[] = (
        await sql.raw(
          `select key, translated_text as text, source_language as "from", target_language as "to", provider, model
             from "translation"."cached_translation" where key = any(?)`,
          [missing],
        )
      ).rows;
      const backfill: [string, string][] = [];
      for (const { key, ...value } of rows) {
        found.set(key, value);
        backfill.push([key, JSON.stringify(value)]);
      }
      if (backfill.length > 0) await hot.set(backfill, ttlSeconds);
      return found;
    },
    async putMany(entries) {
      if (entries.length === 0) return;
      await sql.raw(
        `insert into "translation"."cached_translation" (key, translated_text, source_language, target_language, provider, model)
         select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
         on conflict (key) do nothing`,
        [
          entries.map((e) => e.key),
          entries.map((e) => e.value.text),
          entries.map((e) => e.value.from),
          entries.map((e) => e.value.to),
          entries.map((e) => e.value.provider),
          entries.map((e) => e.value.model),
        ],
      );
      await hot.set(
        entries.map((e) => [e.key, JSON.stringify(e.value)]),
        ttlSeconds,
      );
    },
  };
}
