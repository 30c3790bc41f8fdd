import type { EdgeDependencies } from '../http/edge-routes';
import type { GatewayContext } from '../gateway-context';
import { createMessageStreamSubscription, type MessageStreamPayload } from '../subscriptions/message-stream-subscription';

export interface ReplyDelta {
  seq: number;
  delta: string;
}

/** How a reply's stream ended: completed (or cancelled; the stored message tells which), or failed. */
export type ReplyEnding = { kind: 'completed'; seq: number } | { kind: 'failed'; seq: number; code: string; reason: string };

export interface FollowReply {
  messageId: string;
  context: GatewayContext;
  /** Each delta, in seq order, none twice. */
  onDelta?: (delta: ReplyDelta) => void;
  /** Stops following (the client left, or the wait is over): resolves null. */
  signal: AbortSignal;
}

/**
 * A reply's events from the start, as `Subscription.messageStream` delivers
 * them: the same implementation (live events followed before the replay log
 * is read, duplicates dropped by seq, gaps filled from the log, a finished
 * reply's ending rebuilt from PostgreSQL), so REST streams and waits can
 * neither miss nor repeat what GraphQL subscribers see.
 */
export function replyFollower({ messageStreams, runOperation }: Pick<EdgeDependencies, 'messageStreams' | 'runOperation'>) {
  const openStream = createMessageStreamSubscription({ messageStreams, runOperation });

  /** Resolves with the final event, or null when stopped first; rejects with the stream's error (a ParleyError or GraphQLError). */
  return async function followReply({ messageId, context, onDelta, signal }: FollowReply): Promise<ReplyEnding | null> {
    if (signal.aborted) return null;
    // The ending's message is read by the route with its own selection, so the stream fetches none.
    const events = await openStream({ messageId, afterSeq: 0, context, completedMessage: null });
    // return() ends a pending next() at once and stops following.
    const stop = () => void events.return?.();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    try {
      for (;;) {
        const next = await events.next();
        if (next.done || signal.aborted) return null;
        const event: MessageStreamPayload = next.value;
        if (event instanceof Error) throw event;
        if (event.__typename === 'MessageDelta') onDelta?.({ seq: event.seq, delta: event.delta });
        else if (event.__typename === 'MessageFailed') return { kind: 'failed', seq: event.seq, code: event.code, reason: event.reason };
        else return { kind: 'completed', seq: event.seq };
      }
    } finally {
      signal.removeEventListener('abort', stop);
      // After the final event the stream has already stopped following; this is for errors and aborts.
      await events.return?.();
    }
  };
}
