import { createRedisFallback, type FallbackLogger, type PubSub } from '@parley/pubsub';
import type Redis from 'ioredis';

/** The words every door answers a token of an ended session with (the refresh token's refusal says the same). */
export const SESSION_ENDED = 'This session has ended; sign in again.';

/** What a verifier asks, on every request: a lookup in this process's memory, never a round trip. */
export interface RevokedSessionCheck {
  has(sessionId: string): boolean;
}

/**
 * Sessions that ended less than an access token's lifetime ago, whose tokens every door refuses (a token carries its
 * session in `sid`). Each process keeps the set in memory; the users service adds to it when a session ends, and
 * pub/sub tells every other process at once.
 */
export interface RevokedSessions extends RevokedSessionCheck {
  /**
   * Ends the sessions' access tokens everywhere for `forSeconds` (the longest a token of theirs can still be valid):
   * here at once, in every other process through pub/sub, and in Redis for the processes that start or reconnect
   * later. Never rejects: the sessions ended already, and while Redis is away they are kept here and sent once it is
   * back.
   */
  revoke(sessionIds: readonly string[], forSeconds: number): Promise<void>;
  /** Hears each session that ends from now on, once (the gateway closes its WebSockets); returns the way to stop. */
  onRevoked(listener: (sessionId: string) => void): () => void;
  /** Subscribes, then loads what Redis keeps: resolves once this process refuses what any other does. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = 'revoked-sessions';
interface Announcement {
  sessions: string[];
  /** Epoch milliseconds until which they are refused. */
  until: number;
}

/**
 * The revoked-session set of one process. Services mode gives it the process's Redis: a sorted set (member the
 * session, score when it may be forgotten) kept as long as its newest entry, read when the process starts, whenever
 * its connection is ready again and every `reloadMs`, so a process that missed a message while its subscriber was
 * reconnecting refuses the session all the same. Embedded mode gives it null (every service shares one set and the
 * in-memory pub/sub).
 *
 * While Redis is unreachable the set already held here keeps being checked (pub/sub gave it that much), a session
 * ended meanwhile is refused at once by the process that ended it and kept to be written when Redis is back, and
 * other processes learn of it then: the alternative, refusing every token while Redis is away, would sign everyone
 * out for a cache's outage.
 */
export function createRevokedSessions({
  pubsub,
  redis,
  namespace,
  logger,
  now = Date.now,
  reloadMs = 30_000,
}: {
  pubsub: Pick<PubSub, 'publish' | 'subscribe'>;
  redis: Redis | null;
  namespace: string;
  logger: FallbackLogger;
  now?: () => number;
  reloadMs?: number;
}): RevokedSessions {
  // Insertion-ordered and nearly in expiry order (every entry is kept as long): forgetting starts at the front.
  const until = new Map<string, number>();
  const listeners = new Set<(sessionId: string) => void>();
  const key = `${namespace}revoked-sessions`;
  /** Announcements Redis did not take while it was away, written when it is back. */
  let unsent: Announcement[] = [];
  let unsubscribe: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const fallback = redis && createRedisFallback({ redis, use: 'session revocations', fallback: 'kept in this process', logger });

  const forget = () => {
    const at = now();
    for (const [sessionId, expiry] of until) {
      if (expiry > at) break;
      until.delete(sessionId);
    }
  };
  const add = ({ sessions, until: expiry }: Announcement) => {
    forget();
    for (const sessionId of sessions) {
      const known = until.get(sessionId);
      if (known !== undefined && known >= expiry) continue;
      until.delete(sessionId);
      until.set(sessionId, expiry);
      if (known === undefined || known <= now()) for (const listener of listeners) listener(sessionId);
    }
  };
  const write = async (announcement: Announcement) => {
    if (!redis) return;
    const members = announcement.sessions.flatMap((sessionId) => [announcement.until, sessionId]);
    await redis
      .multi()
      .zadd(key, 'GT', ...members)
      .zremrangebyscore(key, '-inf', now())
      .pexpire(key, Math.max(1, announcement.until - now()))
      .exec();
  };
  const load = async () => {
    if (!redis || !fallback) return;
    await fallback.run(
      async () => {
        const pending = unsent;
        unsent = [];
        try {
          for (const announcement of pending) await write(announcement);
        } catch (error) {
          unsent = [...pending, ...unsent];
          throw error;
        }
        for (const announcement of pending) await pubsub.publish(CHANNEL, announcement).catch(() => undefined);
        const entries = await redis.zrangebyscore(key, now(), '+inf', 'WITHSCORES');
        for (let i = 0; i + 1 < entries.length; i += 2) add({ sessions: [entries[i]!], until: Number(entries[i + 1]) });
      },
      () => undefined,
    );
  };
  const reload = () => {
    load().catch((error: unknown) => logger.warn({ err: error }, 'reading the revoked sessions from redis failed'));
  };

  return {
    has(sessionId) {
      const expiry = until.get(sessionId);
      if (expiry === undefined) return false;
      if (expiry > now()) return true;
      until.delete(sessionId);
      return false;
    },
    async revoke(sessionIds, forSeconds) {
      if (sessionIds.length === 0) return;
      const announcement = { sessions: [...sessionIds], until: now() + forSeconds * 1000 };
      add(announcement);
      if (!fallback) {
        await pubsub
          .publish(CHANNEL, announcement)
          .catch((error: unknown) => logger.warn({ err: error }, 'announcing ended sessions failed'));
        return;
      }
      const sent = await fallback
        .run(
          async () => {
            await write(announcement);
            return true;
          },
          () => false,
        )
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'writing ended sessions to redis failed');
          return false;
        });
      if (!sent) {
        unsent.push(announcement);
        return;
      }
      // Written first, so a process that misses this message still reads the sessions at its next reload.
      await pubsub
        .publish(CHANNEL, announcement)
        .catch((error: unknown) => logger.warn({ err: error }, 'announcing ended sessions failed'));
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async start() {
      unsubscribe = await pubsub.subscribe<Announcement>(CHANNEL, (announcement) => {
        if (Array.isArray(announcement?.sessions) && typeof announcement.until === 'number') add(announcement);
      });
      if (!redis) return;
      await load().catch((error: unknown) => logger.warn({ err: error }, 'reading the revoked sessions from redis failed'));
      redis.on('ready', reload);
      timer = setInterval(() => {
        forget();
        reload();
      }, reloadMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      redis?.off('ready', reload);
      await unsubscribe?.();
    },
  };
}
