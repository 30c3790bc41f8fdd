import type { MessageStreamEvent } from './message-stream-event';

export type StopFollowing = () => Promise<void>;

/**
 * Where a reply's events go: a replay log (kept for a while, capped) plus a
 * live channel. Redis in services mode, memory in embedded mode.
 */
export interface MessageStreamLog {
  /**
   * Appends events (consecutive seqs, in order) to the replay log and
   * publishes them live. Rejects with `SeqConflictError` if one of those seqs
   * already holds another event: another worker owns this reply, so the
   * caller stops. An event already stored exactly as given is skipped (it is
   * neither stored nor published again), so an append whose outcome is
   * unknown (the connection died before the answer) can be retried safely.
   */
  append(events: MessageStreamEvent[]): Promise<void>;
  /** Stored events with seq > afterSeq, in order ([] when the log expired or never existed). */
  readAfter(messageId: string, afterSeq: number): Promise<MessageStreamEvent[]>;
  /** Live events from now on; resolves once following is active. */
  follow(messageId: string, onEvent: (event: MessageStreamEvent) => void): Promise<StopFollowing>;
}

/** Another writer already appended another event at this seq: two workers raced for one reply. */
export class SeqConflictError extends Error {
  override readonly name = 'SeqConflictError';
  constructor(
    readonly messageId: string,
    readonly seq: number,
  ) {
    super(`seq ${seq} of message ${messageId} is already stored`);
  }
}
