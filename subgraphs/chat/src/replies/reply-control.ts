import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '@parley/database';
import { BadUserInputError, NotFoundError } from '@parley/errors';
import type { InFlightStatus, MessageStreamLog } from '@parley/message-stream';
import type { Clock } from '@parley/runtime';
import type { CancelSignals } from './cancel-signals';
import type { ReplyOutcomes } from './reply-outcome';
import type { ReplyStore } from './reply-store';
import { createConversationHistory } from '../conversation-history';
import type { Message } from '../entities/message';
import { isUuid } from '@parley/database';

/**
 * Stopping replies: cancelGeneration, and the replies of a conversation being
 * deleted. A reply no worker has picked up yet is cancelled right here; one
 * being streamed is signalled to its worker, which keeps the partial content.
 * If no worker answers in time (it crashed), the reply is closed here from
 * what its stream log holds — every write guarded by the status, so a worker
 * finishing at the same moment and this code cannot both win.
 */
export function createReplyControl({
  sql,
  em,
  replies,
  outcomes,
  messageStreams,
  cancelSignals,
  clock,
  workerGraceMs = 1_500,
}: {
  sql: Sql;
  em: EntityManager;
  replies: ReplyStore;
  outcomes: ReplyOutcomes;
  messageStreams: MessageStreamLog;
  cancelSignals: CancelSignals;
  clock: Clock;
  workerGraceMs?: number;
}) {
  const history = createConversationHistory({ em, clock });
  const ownedReply = async (ownerId: string, messageId: string): Promise<Message | null> =>
    (await history.findOwnedMessages([messageId], ownerId))[0] ?? null;

  async function close(message: Message, ownerId: string, from: InFlightStatus) {
    const log = await messageStreams.readAfter(message.id, 0);
    const content = log.map((e) => (e.kind === 'delta' ? e.delta : '')).join('');
    const seq = (log.at(-1)?.seq ?? 0) + 1;
    // Only from `from`: a PENDING reply a worker claimed meanwhile is that worker's to end.
    await outcomes.settle(
      message,
      { status: 'CANCELLED', content, model: message.model, lastSeq: seq },
      { userId: ownerId, expected: [from] },
    );
  }

  return {
    async cancel(ownerId: string, messageId: string): Promise<Message> {
      const message = await ownedReply(ownerId, messageId);
      if (!message) throw new NotFoundError(`No message with id "${messageId}".`);
      if (message.role !== 'ASSISTANT') throw new BadUserInputError('Only an assistant reply can be cancelled.', { field: 'messageId' });
      if (message.status === 'PENDING') await close(message, ownerId, 'PENDING');
      let current = (await ownedReply(ownerId, messageId))!;
      if (current.status === 'STREAMING') {
        await cancelSignals.send(messageId);
        const deadline = Date.now() + workerGraceMs;
        while (current.status === 'STREAMING' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          current = (await ownedReply(ownerId, messageId))!;
        }
        if (current.status === 'STREAMING') {
          await close(current, ownerId, 'STREAMING');
          current = (await ownedReply(ownerId, messageId))!;
        }
      }
      return current;
    },

    /** Deletes a conversation of `ownerId`; its replies in flight are told to stop first. */
    async deleteConversation(ownerId: string, conversationId: string): Promise<boolean> {
      if (!isUuid(conversationId)) return false;
      for (const id of await replies.inFlightIn(conversationId, ownerId)) await cancelSignals.send(id);
      const deleted = (
        await sql.raw(`delete from "chat"."conversation" where id = ? and owner_id = ? returning id`, [conversationId, ownerId])
      ).rows as unknown[];
      return deleted.length > 0;
    },
  };
}

export type ReplyControl = ReturnType<typeof createReplyControl>;
