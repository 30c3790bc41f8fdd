export type { MessageStreamEvent, MessageStreamFinal } from './message-stream-event';
export { finalEvent, isFinalEvent } from './message-stream-event';
export {
  IN_FLIGHT_STATUSES,
  MESSAGE_STATUSES,
  isInFlight,
  type FinalStatus,
  type InFlightStatus,
  type MessageStatus,
} from './message-status';
export type { MessageStreamLog, StopFollowing } from './message-stream-log';
export { SeqConflictError } from './message-stream-log';
export { appendRetrying, MessageStreamUnavailableError, type AppendEvents } from './append-retrying';
export { createInMemoryMessageStreamLog } from './in-memory-message-stream-log';
export { createRedisMessageStreamLog, messageStreamChannel } from './redis-message-stream-log';
