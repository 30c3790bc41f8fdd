import type { Metrics } from '@parley/telemetry';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql, SqlRunner } from '@parley/database';
import { BadUserInputError, ConflictError, NotFoundError, RateLimitedError } from '@parley/errors';
import { IN_FLIGHT_STATUSES, isInFlight } from '@parley/message-stream';
import type { Clock } from '@parley/runtime';
import { NEW_CONVERSATION_TITLE } from './conversation-titles';
import { Conversation } from './entities/conversation';
import { Message } from './entities/message';
import type { ModelDirectory } from './model-directory';
import type { OutboxRow } from './outbox-relay';
import type { ReplyPreferences } from './user-preferences';
import type { ContentModeration } from './content-moderation';
import { isUuid } from '@parley/database';
import { newTurn, writeTurn } from './turn-writer';

const MAX_CLIENT_MESSAGE_ID = 200;

export interface SendMessageInput {
  conversationId?: string | null;
  content: string;
  model?: string | null;
  clientMessageId?: string | null;
}

export interface SentMessage {
  conversation: Conversation;
  userMessage: Message;
  assistantMessage: Message;
}

/**
 * sendMessage, editMessage, regenerateMessage and selectBranch: everything is
 * checked first, then the turn (question, PENDING reply, the outbox row that
 * asks for the reply) is written in one transaction — a refused request
 * stores nothing, an accepted one is never lost. One user's writes are
 * serialized by an advisory lock, so the in-flight limit, the active branch
 * and `clientMessageId` hold under concurrent retries.
 */
export function createMessageSending({
  sql,
  em,
  clock,
  models,
  defaultModel,
  maxContentBytes,
  maxGenerationsPerUser,
  onCommitted,
  preferences,
  moderation,
  metrics,
}: {
  sql: Sql;
  em: EntityManager;
  clock: Clock;
  models: ModelDirectory;
  defaultModel: string;
  maxContentBytes: number;
  maxGenerationsPerUser: number;
  /** Given the outbox rows of each committed transaction, to publish them at once. */
  onCommitted: (rows: OutboxRow[]) => void;
  /** The user's settings that shape a reply: their default model, and their language if replies are to be translated. */
  preferences: (userId: string) => Promise<ReplyPreferences>;
  /** Screens what users write before it is stored or reaches a model. */
  moderation: ContentModeration;
  /** Counts messages sent and conversations started. */
  metrics: Metrics;
}) {
  async function earlierSend(trx: SqlRunner, ownerId: string, clientMessageId: string): Promise<SentMessage | null> {
    const rows: Record<string, unknown>[] = (
      await trx.raw(
        `select conversation_id, user_message_id, assistant_message_id from "chat"."send_request" where owner_id = ? and client_message_id = ?`,
        [ownerId, clientMessageId],
      )
    ).rows;
    const row = rows[0] as { conversation_id: string; user_message_id: string; assistant_message_id: string } | undefined;
    if (!row) return null;
    const [conversation] = (await trx.raw(`select * from "chat"."conversation" where id = ?`, [row.conversation_id])).rows;
    const messages: Record<string, unknown>[] = (
      await trx.raw(`select * from "chat"."message" where id in (?, ?)`, [row.user_message_id, row.assistant_message_id])
    ).rows;
    const byId = new Map(messages.map((m) => [m['id'] as string, em.map(Message, m)]));
    return {
      conversation: em.map(Conversation, conversation),
      userMessage: byId.get(row.user_message_id)!,
      assistantMessage: byId.get(row.assistant_message_id)!,
    };
  }

  /**
   * Takes this user's lock and reads, in one statement, the replies in flight
   * and (if named) the conversation: the transaction's only reads.
   */
  async function lockAndInspect(trx: SqlRunner, ownerId: string, conversationId: string | null) {
    await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`chat.send:${ownerId}`]);
    const row = (
      await trx.raw(
        `select
           (select count(*)::int from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
            where c.owner_id = ? and m.role = 'ASSISTANT' and m.status = any(?)) as in_flight,
           (select row_to_json(c) from "chat"."conversation" c where c.id = ? and c.owner_id = ?) as conversation`,
        [ownerId, IN_FLIGHT_STATUSES, conversationId, ownerId],
      )
    ).rows[0] as { in_flight: number; conversation: Record<string, unknown> | null };
    if (row.in_flight >= maxGenerationsPerUser) {
      throw new RateLimitedError(
        `You already have ${row.in_flight} replies being generated (the limit is ${maxGenerationsPerUser}); wait for one to finish or cancel it.`,
        1,
      );
    }
    return { conversation: row.conversation ? conversationFromJson(row.conversation) : null };
  }

  async function ownedMessage(trx: SqlRunner, ownerId: string, messageId: string): Promise<Message | null> {
    if (!isUuid(messageId)) return null;
    const rows: Record<string, unknown>[] = (
      await trx.raw(
        `select m.* from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id where m.id = ? and c.owner_id = ?`,
        [messageId, ownerId],
      )
    ).rows;
    return rows[0] ? em.map(Message, rows[0]) : null;
  }

  /** The model asked for; else the user's default (if it still exists); else the platform's. */
  async function modelFor(ownerId: string, requested: string | null | undefined, preferred: string | null): Promise<string> {
    if (requested) return (await models.require(requested, ownerId)).id;
    if (preferred) {
      const usable = await models.require(preferred, ownerId).catch(() => null);
      if (usable) return usable.id;
    }
    return (await models.require(defaultModel, ownerId)).id;
  }

  function checkContent(content: string) {
    if (content.trim().length === 0) throw new BadUserInputError('A message needs some text: "content" is empty.', { field: 'content' });
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > maxContentBytes) {
      throw new BadUserInputError(
        `"content" is ${bytes} bytes; a message may be at most ${maxContentBytes} bytes. Shorten it or split it.`,
        {
          field: 'content',
        },
      );
    }
  }

  return {
    async send(ownerId: string, input: SendMessageInput): Promise<SentMessage> {
      checkContent(input.content);
      const clientMessageId = input.clientMessageId ?? null;
      if (clientMessageId !== null && (clientMessageId.length === 0 || clientMessageId.length > MAX_CLIENT_MESSAGE_ID)) {
        throw new BadUserInputError(`"clientMessageId" must be 1 to ${MAX_CLIENT_MESSAGE_ID} characters.`, { field: 'clientMessageId' });
      }
      const conversationId = input.conversationId ?? null;
      if (conversationId !== null && !isUuid(conversationId)) throw new NotFoundError(`No conversation with id "${conversationId}".`);
      // A retry must not be refused for a model or limit that changed since the first attempt.
      if (clientMessageId) {
        const earlier = await earlierSend(sql, ownerId, clientMessageId);
        if (earlier) return earlier;
      }
      const screened = await moderation.screenInput(ownerId, input.content, conversationId);
      const { defaultModel: preferred, translateTo } = await preferences(ownerId);
      const model = await modelFor(ownerId, input.model, preferred);

      const sent = await sql.transaction(async (trx) => {
        const { conversation } = await lockAndInspect(trx, ownerId, conversationId);
        if (clientMessageId) {
          const earlier = await earlierSend(trx, ownerId, clientMessageId);
          if (earlier) return { ...earlier, created: false };
        }
        if (conversationId && !conversation) throw new NotFoundError(`No conversation with id "${conversationId}".`);
        const turn = newTurn({
          ownerId,
          conversation: conversation ?? { newTitle: NEW_CONVERSATION_TITLE },
          parentId: conversation?.activeLeafId ?? null,
          question: screened.text,
          model,
          at: clock.now(),
          clientMessageId,
          translateTo,
        });
        const outbox = await writeTurn(trx, turn);
        return { conversation: turn.conversation, userMessage: turn.userMessage!, assistantMessage: turn.assistantMessage, outbox };
      });
      if ('outbox' in sent && sent.outbox) {
        onCommitted([sent.outbox]);
        metrics.business.messagesSent.inc();
        if (conversationId === null) metrics.business.conversationsCreated.inc();
        await screened.recordFor(sent.userMessage.id, sent.conversation.id);
      }
      return { conversation: sent.conversation, userMessage: sent.userMessage, assistantMessage: sent.assistantMessage };
    },

    /**
     * Asks again: a new reply to the same question, beside the old one (a sibling
     * branch), which becomes the active branch. The old reply stays readable.
     */
    async regenerate(ownerId: string, messageId: string, requestedModel?: string | null): Promise<SentMessage> {
      const model = (await models.require(requestedModel ?? defaultModel, ownerId)).id;
      const { translateTo } = await preferences(ownerId);
      const sent = await sql.transaction(async (trx) => {
        const reply = await ownedMessage(trx, ownerId, messageId);
        if (!reply) throw new NotFoundError(`No message with id "${messageId}".`);
        if (reply.role !== 'ASSISTANT' || !reply.parentId) {
          throw new BadUserInputError('Only an assistant reply can be regenerated; to change a question, edit it.', { field: 'messageId' });
        }
        const { conversation } = await lockAndInspect(trx, ownerId, reply.conversationId);
        const latest = (await ownedMessage(trx, ownerId, messageId))!;
        if (isInFlight(latest.status)) {
          throw new ConflictError('This reply is still being generated; cancel it first or wait for it to finish.');
        }
        const question = (await ownedMessage(trx, ownerId, reply.parentId))!;
        const turn = newTurn({
          ownerId,
          conversation: conversation!,
          parentId: question.id,
          question: null,
          answersMessageId: question.id,
          // The old reply's model unless another is asked for.
          model: requestedModel ? model : (latest.model ?? model),
          at: clock.now(),
          translateTo,
        });
        const outbox = await writeTurn(trx, turn);
        return { conversation: turn.conversation, userMessage: question, assistantMessage: turn.assistantMessage, outbox };
      });
      onCommitted([sent.outbox]);
      return sent;
    },

    /**
     * Changes a question: the new text is a sibling of the old one (which stays
     * readable), gets its own reply, and becomes the active branch.
     */
    async edit(ownerId: string, messageId: string, content: string, requestedModel?: string | null): Promise<SentMessage> {
      checkContent(content);
      const screened = await moderation.screenInput(ownerId, content, null);
      const { defaultModel: preferred, translateTo } = await preferences(ownerId);
      const model = await modelFor(ownerId, requestedModel, preferred);
      const sent = await sql.transaction(async (trx) => {
        const original = await ownedMessage(trx, ownerId, messageId);
        if (!original) throw new NotFoundError(`No message with id "${messageId}".`);
        if (original.role !== 'USER') {
          throw new BadUserInputError('Only your own messages can be edited; regenerate a reply instead.', { field: 'messageId' });
        }
        const { conversation } = await lockAndInspect(trx, ownerId, original.conversationId);
        const turn = newTurn({
          ownerId,
          conversation: conversation!,
          parentId: original.parentId,
          question: screened.text,
          model,
          at: clock.now(),
          translateTo,
        });
        const outbox = await writeTurn(trx, turn);
        return { conversation: turn.conversation, userMessage: turn.userMessage!, assistantMessage: turn.assistantMessage, outbox };
      });
      onCommitted([sent.outbox]);
      await screened.recordFor(sent.userMessage.id, sent.conversation.id);
      return sent;
    },

    /** Makes the branch through `messageId` the active one: down to its newest descendant. */
    async selectBranch(ownerId: string, messageId: string): Promise<Conversation> {
      return sql.transaction(async (trx) => {
        const message = await ownedMessage(trx, ownerId, messageId);
        if (!message) throw new NotFoundError(`No message with id "${messageId}".`);
        await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`chat.send:${ownerId}`]);
        const rows: Record<string, unknown>[] = (
          await trx.raw(
            `with recursive down as (
               select id, 0 as depth from "chat"."message" where id = ?
               union all
               select (select c.id from "chat"."message" c where c.parent_id = d.id order by c.created_at desc, c.id desc limit 1), d.depth + 1
               from down d where d.id is not null and d.depth < 10000
             )
             update "chat"."conversation" set active_leaf_id = (select id from down where id is not null order by depth desc limit 1)
             where id = ? returning *`,
            [message.id, message.conversationId],
          )
        ).rows;
        return em.map(Conversation, rows[0]!);
      });
    },
  };
}

/** A conversation row read as JSON (row_to_json): snake_case keys, times as strings. */
function conversationFromJson(row: Record<string, unknown>): Conversation {
  const c = new Conversation();
  c.id = row['id'] as string;
  c.ownerId = row['owner_id'] as string;
  c.title = row['title'] as string;
  c.createdAt = new Date(row['created_at'] as string);
  c.updatedAt = new Date(row['updated_at'] as string);
  c.activeLeafId = (row['active_leaf_id'] as string | null) ?? null;
  c.titleGenerated = row['title_generated'] as boolean;
  return c;
}

export type MessageSending = ReturnType<typeof createMessageSending>;
