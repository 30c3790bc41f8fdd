import { activeTraceparent } from '@parley/telemetry';
import { createBatchingPublisher, Topics, type EventBus } from '@parley/events';
import {
  appendRetrying,
  finalEvent,
  IN_FLIGHT_STATUSES,
  isInFlight,
  SeqConflictError,
  type InFlightStatus,
  type MessageStreamEvent,
  type MessageStreamLog,
} from '@parley/message-stream';
import type { Clock } from '@parley/runtime';
import type { Reply, ReplyOutcome, ReplyStore } from './reply-store';

/**
 * How a reply ends, whoever ends it: its worker, or cancel closing a reply no
 * worker answers for. Three steps, in this order: the outcome is stored
 * (guarded by the status, so of two finishers only the first goes on), the
 * final event ends the stream, and chat.message.completed tells the rest of
 * the platform. The gateway relies on the order: a reply that reads as
 * finished has all its deltas in the log. A crash between the steps is
 * repaired on redelivery (`repairFinalEvent`).
 *
 * PostgreSQL is the record. The final event is appended with retries for
 * `appendRetryMs` (the worker's budget; 0, one try, where a request waits on
 * it). When the stream log stays unreachable longer, `settle` rejects after
 * storing the outcome: the worker's handler fails, the bus redelivers the
 * request, and the redelivery finds the reply final and only repairs its
 * final event, once Redis answers again. Meanwhile a new subscriber gets that
 * final event from the stored reply (the gateway rebuilds it).
 */
export function createReplyOutcomes({
  replies,
  messageStreams,
  bus,
  clock,
  appendRetryMs = 0,
}: {
  replies: ReplyStore;
  messageStreams: MessageStreamLog;
  bus: EventBus;
  clock: Clock;
  appendRetryMs?: number;
}) {
  // Replies that end together leave in one produce request.
  const completedEvents = createBatchingPublisher(bus, Topics.chatMessageCompleted);
  const append = appendRetrying(messageStreams, { budgetMs: appendRetryMs });

  /** The final event, after `unconfirmed` (a delta the log may or may not hold: taken again, it is stored once either way). */
  async function appendFinalEvent(
    messageId: string,
    outcome: Pick<ReplyOutcome, 'status' | 'lastSeq' | 'code' | 'reason'>,
    unconfirmed: MessageStreamEvent[] = [],
  ) {
    try {
      await append([
        ...unconfirmed,
        finalEvent({
          messageId,
          seq: outcome.lastSeq,
          status: outcome.status,
          code: outcome.code,
          reason: outcome.reason,
          traceparent: activeTraceparent(),
        }),
      ]);
    } catch (error) {
      // Another ending is there already (a cancel closing the reply raced its worker): the stored outcome stands.
      if (!(error instanceof SeqConflictError)) throw error;
    }
  }

  return {
    /**
     * Ends the reply with `outcome` if its status is still one of `expected`.
     * False when another finisher came first: nothing is sent then.
     */
    async settle(
      reply: Pick<Reply, 'id' | 'conversationId'>,
      outcome: ReplyOutcome,
      {
        userId,
        translateTo = null,
        expected = IN_FLIGHT_STATUSES,
        unconfirmed = [],
      }: {
        userId: string;
        /** The user's language when their replies are to be translated (from the request), for the translation service. */
        translateTo?: string | null | undefined;
        expected?: readonly InFlightStatus[];
        /** Deltas the log may not hold (appending them gave up): counted in the outcome, sent again before the final event. */
        unconfirmed?: MessageStreamEvent[];
      },
    ): Promise<boolean> {
      if (!(await replies.settle(reply.id, outcome, expected))) return false;
      await appendFinalEvent(reply.id, outcome, unconfirmed);
      await completedEvents.publish(reply.conversationId, {
        conversationId: reply.conversationId,
        userId,
        messageId: reply.id,
        status: outcome.status,
        model: outcome.model,
        completedAt: clock.now().toISOString(),
        content: outcome.status === 'COMPLETED' ? outcome.content : null,
        translateTo: translateTo ?? null,
      });
      return true;
    },

    /**
     * A reply already final in PostgreSQL whose log holds no final event (a
     * crash came between the two writes, the log was unreachable then, or it
     * expired) gets that event. When the log stops one delta short of it and
     * the stored content goes on past the log's text, that delta is the one
     * the worker gave up confirming: it is sent first, rebuilt from the
     * content. A reply stored before streams had seqs has no stream.
     */
    async repairFinalEvent(reply: Reply): Promise<void> {
      if (isInFlight(reply.status) || reply.lastSeq === null) return;
      const log = await messageStreams.readAfter(reply.id, 0);
      if (log.some((e) => e.seq >= reply.lastSeq!)) return;
      const logText = log.map((e) => (e.kind === 'delta' ? e.delta : '')).join('');
      const missing = reply.content.startsWith(logText) ? reply.content.slice(logText.length) : '';
      const oneShort = (log.at(-1)?.seq ?? 0) === reply.lastSeq - 2;
      await appendFinalEvent(
        reply.id,
        { status: reply.status, lastSeq: reply.lastSeq, code: reply.failureCode, reason: reply.failureReason },
        oneShort && missing !== '' ? [{ kind: 'delta', messageId: reply.id, seq: reply.lastSeq - 1, delta: missing }] : [],
      );
    },
  };
}

export type ReplyOutcomes = ReturnType<typeof createReplyOutcomes>;
