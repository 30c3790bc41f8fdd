export type { MessageStreamEvent } from './message-stream-event';
export { isFinalEvent } from './message-stream-event';
export type { MessageStreamLog, StopFollowing } from './message-stream-log';
export { SeqConflictError } from './message-stream-log';
export { createInMemoryMessageStreamLog } from './in-memory-message-stream-log';
export { createRedisMessageStreamLog, messageStreamChannel } from './redis-message-stream-log';
