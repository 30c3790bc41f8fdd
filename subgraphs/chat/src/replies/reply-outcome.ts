import { createBatchingPublisher, Topics, type EventBus } from '@parley/events';
import {
  finalEvent,
  IN_FLIGHT_STATUSES,
  isInFlight,
  SeqConflictError,
  type InFlightStatus,
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
 */
export function createReplyOutcomes({
  replies,
  messageStreams,
  bus,
  clock,
}: {
  replies: ReplyStore;
  messageStreams: MessageStreamLog;
  bus: EventBus;
  clock: Clock;
}) {
  // Replies that end together leave in one produce request.
  const completedEvents = createBatchingPublisher(bus, Topics.chatMessageCompleted);

  async function appendFinalEvent(messageId: string, outcome: Pick<ReplyOutcome, 'status' | 'lastSeq' | 'code' | 'reason'>) {
    try {
      await messageStreams.append([
        finalEvent({ messageId, seq: outcome.lastSeq, status: outcome.status, code: outcome.code, reason: outcome.reason }),
      ]);
    } catch (error) {
      // Already there: a crash came after the event and before the offset commit.
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
      }: {
        userId: string;
        /** The user's language when their replies are to be translated (from the request), for the translation service. */
        translateTo?: string | null | undefined;
        expected?: readonly InFlightStatus[];
      },
    ): Promise<boolean> {
      if (!(await replies.settle(reply.id, outcome, expected))) return false;
      await appendFinalEvent(reply.id, outcome);
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
     * crash came between the two writes, or the log expired) gets that event,
     * and only that. A reply stored before streams had seqs has no stream.
     */
    async repairFinalEvent(reply: Reply): Promise<void> {
      if (isInFlight(reply.status) || reply.lastSeq === null) return;
      const log = await messageStreams.readAfter(reply.id, reply.lastSeq - 1);
      if (log.length > 0) return;
      await appendFinalEvent(reply.id, {
        status: reply.status,
        lastSeq: reply.lastSeq,
        code: reply.failureCode,
        reason: reply.failureReason,
      });
    },
  };
}

export type ReplyOutcomes = ReturnType<typeof createReplyOutcomes>;
