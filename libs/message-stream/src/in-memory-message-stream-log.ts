import type { MessageStreamEvent } from './message-stream-event';
import { SeqConflictError, type MessageStreamLog } from './message-stream-log';

/** Embedded mode: one process holds the logs; entries expire like Redis keys would. */
export function createInMemoryMessageStreamLog({
  ttlMs = 3_600_000,
  maxEvents = 10_000,
  now = Date.now,
}: { ttlMs?: number; maxEvents?: number; now?: () => number } = {}): MessageStreamLog {
  const logs = new Map<string, { events: MessageStreamEvent[]; expiresAt: number }>();
  const followers = new Map<string, Set<(event: MessageStreamEvent) => void>>();

  const current = (messageId: string) => {
    const log = logs.get(messageId);
    if (log && log.expiresAt <= now()) logs.delete(messageId);
    return logs.get(messageId);
  };

  return {
    async append(events) {
      for (const event of events) {
        const log = current(event.messageId) ?? { events: [], expiresAt: 0 };
        const last = log.events.at(-1)?.seq ?? 0;
        if (event.seq <= last) {
          // The same event again is a retried append, already stored (as in Redis); another one at that seq is a conflict.
          const stored = log.events.find((e) => e.seq === event.seq);
          if (stored && JSON.stringify(stored) === JSON.stringify(event)) continue;
          throw new SeqConflictError(event.messageId, event.seq);
        }
        log.events.push(event);
        if (log.events.length > maxEvents) log.events.shift();
        log.expiresAt = now() + ttlMs;
        logs.set(event.messageId, log);
        for (const listener of followers.get(event.messageId) ?? []) listener(event);
      }
    },
    async readAfter(messageId, afterSeq) {
      return (current(messageId)?.events ?? []).filter((e) => e.seq > afterSeq);
    },
    async follow(messageId, onEvent) {
      const set = followers.get(messageId) ?? new Set();
      set.add(onEvent);
      followers.set(messageId, set);
      return async () => {
        set.delete(onEvent);
        if (set.size === 0) followers.delete(messageId);
      };
    },
  };
}
