import { createHash } from 'node:crypto';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';
import type { ChatRequest } from '../providers/chat-provider';

export interface CachedReply {
  content: string;
  finishReason: string;
  deployment: string;
  promptTokens: number;
  completionTokens: number;
}

export interface ResponseCache {
  get(key: string): Promise<CachedReply | null>;
  set(key: string, reply: CachedReply): Promise<void>;
}

/**
 * The exact-match key of a request: model, messages and every parameter that
 * changes the reply — and the user, unless the deployment allows sharing
 * replies between users.
 */
export function cacheKey(target: string, request: ChatRequest, scope: string): string {
  const material = JSON.stringify([
    target,
    scope,
    request.messages,
    request.maxTokens ?? null,
    request.temperature ?? null,
    request.topP ?? null,
    request.stop ?? null,
  ]);
  return createHash('sha256').update(material).digest('base64url');
}

/** Shared by every models replica. While Redis is unreachable it is skipped at once: every request misses and nothing is stored. */
export function createRedisResponseCache({
  redis,
  namespace,
  ttlSeconds,
  logger,
}: {
  redis: Redis;
  namespace: string;
  ttlSeconds: number;
  logger: FallbackLogger;
}): ResponseCache {
  const fallback = createRedisFallback({ redis, use: 'the response cache', fallback: 'is skipped', logger });
  return {
    get: (key) =>
      fallback.run(
        async () => {
          const raw = await redis.get(`${namespace}reply:${key}`);
          return raw ? (JSON.parse(raw) as CachedReply) : null;
        },
        () => null,
      ),
    set: (key, reply) =>
      fallback.run(
        async () => {
          await redis.set(`${namespace}reply:${key}`, JSON.stringify(reply), 'EX', ttlSeconds);
        },
        () => undefined,
      ),
  };
}

export function createMemoryResponseCache({
  ttlSeconds,
  maxEntries = 1_000,
  now = Date.now,
}: {
  ttlSeconds: number;
  maxEntries?: number;
  now?: () => number;
}): ResponseCache {
  const entries = new Map<string, { reply: CachedReply; expiresAt: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry || entry.expiresAt < now()) return null;
      return entry.reply;
    },
    async set(key, reply) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { reply, expiresAt: now() + ttlSeconds * 1000 });
    },
  };
}
