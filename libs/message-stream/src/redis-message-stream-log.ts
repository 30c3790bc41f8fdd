import type { PubSub } from '@parley/pubsub';
import type Redis from 'ioredis';
import type { MessageStreamEvent } from './message-stream-event';
import { SeqConflictError, type MessageStreamLog } from './message-stream-log';

/**
 * XADD with the seq as the entry id ("<seq>-0"), then PUBLISH, in one script:
 * Redis refuses an id that is not above the stream's last one, so a second
 * worker replaying a reply can never store or publish a seq twice, and live
 * subscribers see exactly what the log holds, in the same order.
 * A refused seq whose stored entry is this very event is skipped, not a
 * conflict: the writer is retrying an append whose answer it lost (the
 * connection died after the script ran), and the event is already there and
 * was published then.
 * KEYS[1] = stream; ARGV = channel, ttl ms, max length, then (seq, json) pairs.
 * Returns 0, or the first seq another event holds.
 */
const APPEND_SCRIPT = `
local channel, ttl, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3]
for i = 4, #ARGV, 2 do
  local id = ARGV[i] .. '-0'
  local ok = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', maxlen, id, 'e', ARGV[i + 1])
  if type(ok) == 'table' and ok.err then
    local stored = redis.call('XRANGE', KEYS[1], id, id)
    if #stored == 0 or stored[1][2][2] ~= ARGV[i + 1] then return tonumber(ARGV[i]) end
  else
    redis.call('PUBLISH', channel, ARGV[i + 1])
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
`;

export function messageStreamChannel(messageId: string): string {
  return `message-stream.${messageId}`;
}

/**
 * Services mode: a capped Redis stream per reply for replay (expires `ttlMs`
 * after its last event) and a pub/sub channel per reply for live delivery,
 * read through graphql-redis-subscriptions so any gateway serves any subscriber.
 */
export function createRedisMessageStreamLog({
  redis,
  pubsub,
  namespace,
  ttlMs = 3_600_000,
  maxEvents = 10_000,
}: {
  redis: Redis;
  /** Must publish under the same prefix as `namespace` (the services' pub/sub does). */
  pubsub: PubSub;
  namespace: string;
  ttlMs?: number;
  maxEvents?: number;
}): MessageStreamLog {
  const key = (messageId: string) => `${namespace}message-stream:${messageId}`;
  // Sent by its SHA1 (EVALSHA, ioredis loads it on NOSCRIPT): the script runs for every delta of every reply.
  redis.defineCommand('parleyAppendMessageEvents', { numberOfKeys: 1, lua: APPEND_SCRIPT });
  const appendEvents = (
    redis as Redis & { parleyAppendMessageEvents(...args: (string | number)[]): Promise<number> }
  ).parleyAppendMessageEvents.bind(redis);
  return {
    async append(events) {
      if (events.length === 0) return;
      const { messageId } = events[0]!;
      const args: (string | number)[] = [`${namespace}${messageStreamChannel(messageId)}`, ttlMs, maxEvents];
      for (const event of events) args.push(event.seq, JSON.stringify(event));
      const conflict = await appendEvents(key(messageId), ...args);
      if (conflict !== 0) throw new SeqConflictError(messageId, conflict);
    },
    async readAfter(messageId, afterSeq) {
      const entries = await redis.xrange(key(messageId), `(${Math.max(0, afterSeq)}-0`, '+');
      return entries.map(([, fields]) => JSON.parse(fields[1]!) as MessageStreamEvent);
    },
    async follow(messageId, onEvent) {
      return pubsub.subscribe<MessageStreamEvent>(messageStreamChannel(messageId), onEvent);
    },
  };
}
