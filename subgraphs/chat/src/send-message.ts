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
import { newTurn, writeTurn, type Turn } from './turn-writer';

const MAX_CLIENT_MESSAGE_ID = 200;
/** How many models one question may be asked of at once (sendMessage's `models`). */
export const MAX_COMPARED_MODELS = 3;

export interface SendMessageInput {
  conversationId?: string | null;
  content: string;
  model?: string | null;
  /** 2 to MAX_COMPARED_MODELS distinct models, each answering in a reply of its own; not with `model`. */
  models?: readonly string[] | null;
  clientMessageId?: string | null;
}

export interface SentMessage {
  conversation: Conversation;
  userMessage: Message;
  /** The first of `assistantMessages`. */
  assistantMessage: Message;
  /** Every reply created, in the order of the models asked (one for a single model). */
  assistantMessages: Message[];
}

/**
 * The models a send compares, checked for their shape only (which of them exist is the directory's to say):
 * null when it asks one model (`models` omitted). The messages say what to send instead.
 */
export function comparedModels(input: Pick<SendMessageInput, 'model' | 'models'>): string[] | null {
  const { models } = input;
  if (models === null || models === undefined) return null;
  const field = { field: 'models' };
  if (input.model) {
    throw new BadUserInputError(
      `Give either "model" (one reply) or "models" (2 to ${MAX_COMPARED_MODELS} replies to compare), not both.`,
      field,
    );
  }
  if (models.length < 2) {
    throw new BadUserInputError(
      `"models" names ${models.length === 0 ? 'no model' : 'one model'}; compare 2 to ${MAX_COMPARED_MODELS} distinct models, or ask one with "model".`,
      field,
    );
  }
  if (models.length > MAX_COMPARED_MODELS) {
    throw new BadUserInputError(`"models" names ${models.length} models; at most ${MAX_COMPARED_MODELS} can be compared at once.`, field);
  }
  const twice = models.find((model, i) => models.indexOf(model) !== i);
  if (twice !== undefined) {
    throw new BadUserInputError(
      `"models" names "${twice}" twice; compare distinct models (to ask the same model again, regenerate its reply).`,
      field,
    );
  }
  return [...models];
}

/** The message a new question or reply follows, as far as its request's key and the in-flight checks need it. */
interface Followed {
  role: string;
  status: Message['status'];
  /** Its request's Kafka key when that is not the conversation id (see turn-writer.ts). */
  requestKey: string | null;
}

/**
 * sendMessage, editMessage, regenerateMessage and selectBranch: everything is
 * checked first, then the turn (question, PENDING replies — one, or one per
 * model compared — and the outbox row that asks for each) is written in one
 * transaction — a refused request stores nothing, an accepted one is never
 * lost. One user's writes are serialized by an advisory lock, so the in-flight
 * limit, the active branch and `clientMessageId` hold under concurrent retries.
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
        // Rows written before assistant_message_ids existed have their one reply in assistant_message_id.
        `select conversation_id, user_message_id, coalesce(assistant_message_ids, array[assistant_message_id])::text[] as assistant_message_ids
         from "chat"."send_request" where owner_id = ? and client_message_id = ?`,
        [ownerId, clientMessageId],
      )
    ).rows;
    const row = rows[0] as { conversation_id: string; user_message_id: string; assistant_message_ids: string[] } | undefined;
    if (!row) return null;
    const [conversation] = (await trx.raw(`select * from "chat"."conversation" where id = ?`, [row.conversation_id])).rows;
    const messages: Record<string, unknown>[] = (
      await trx.raw(`select * from "chat"."message" where id = any(?::uuid[])`, [[row.user_message_id, ...row.assistant_message_ids]])
    ).rows;
    const byId = new Map(messages.map((m) => [m['id'] as string, em.map(Message, m)]));
    const assistantMessages = row.assistant_message_ids.map((id) => byId.get(id)!);
    return {
      conversation: em.map(Conversation, conversation),
      userMessage: byId.get(row.user_message_id)!,
      assistantMessage: assistantMessages[0]!,
      assistantMessages,
    };
  }

  /**
   * Takes this user's lock and reads, in one statement, the replies in flight,
   * (if named) the conversation, and the message the new turn follows (the
   * conversation's active leaf, or the message given): the transaction's only
   * reads. Refuses the turn if its `replies` would take the user past their
   * replies in flight.
   */
  async function lockAndInspect(
    trx: SqlRunner,
    ownerId: string,
    conversationId: string | null,
    { follows, replies = 1 }: { follows: 'active-leaf' | string | null; replies?: number },
  ) {
    await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`chat.send:${ownerId}`]);
    const row = (
      await trx.raw(
        `select
           (select count(*)::int from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
            where c.owner_id = ? and m.role = 'ASSISTANT' and m.status = any(?)) as in_flight,
           (select row_to_json(c) from "chat"."conversation" c where c.id = ? and c.owner_id = ?) as conversation,
           (select json_build_object('role', f.role, 'status', f.status, 'request_key', f.request_key) from "chat"."message" f
            where f.id = (case when ?::boolean then (select c.active_leaf_id from "chat"."conversation" c where c.id = ? and c.owner_id = ?)
                          else ?::uuid end)) as follows`,
        [
          ownerId,
          IN_FLIGHT_STATUSES,
          conversationId,
          ownerId,
          follows === 'active-leaf',
          conversationId,
          ownerId,
          follows === 'active-leaf' ? null : follows,
        ],
      )
    ).rows[0] as {
      in_flight: number;
      conversation: Record<string, unknown> | null;
      follows: { role: string; status: Message['status']; request_key: string | null } | null;
    };
    if (row.in_flight + replies > maxGenerationsPerUser) {
      throw new RateLimitedError(
        replies === 1
          ? `You already have ${row.in_flight} replies being generated (the limit is ${maxGenerationsPerUser}); wait for one to finish or cancel it.`
          : `You already have ${row.in_flight} replies being generated (the limit is ${maxGenerationsPerUser}), and asking ${replies} models needs room for ${replies} more; wait for some to finish, cancel them, or ask fewer models.`,
        1,
      );
    }
    const followed: Followed | null = row.follows
      ? { role: row.follows.role, status: row.follows.status, requestKey: row.follows.request_key }
      : null;
    return { conversation: row.conversation ? conversationFromJson(row.conversation) : null, follows: followed };
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

  /**
   * Every model of a comparison, checked as `model` is, in the order given. An unknown one is named, with the
   * field `models`, before anything is stored.
   */
  async function comparedModelsFor(ownerId: string, compared: string[]): Promise<[string, ...string[]]> {
    const ids: string[] = [];
    for (const requested of compared) {
      try {
        ids.push((await models.require(requested, ownerId)).id);
      } catch (error) {
        if (error instanceof BadUserInputError) throw new BadUserInputError(`"models": ${error.message}`, { field: 'models' });
        throw error;
      }
    }
    return ids as [string, ...string[]];
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
      const compared = comparedModels(input);
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
      const replyModels: [string, ...string[]] = compared
        ? await comparedModelsFor(ownerId, compared)
        : [await modelFor(ownerId, input.model, preferred)];

      const sent = await sql.transaction(async (trx) => {
        const { conversation, follows } = await lockAndInspect(trx, ownerId, conversationId, {
          follows: 'active-leaf',
          replies: replyModels.length,
        });
        if (clientMessageId) {
          const earlier = await earlierSend(trx, ownerId, clientMessageId);
          if (earlier) return { ...earlier, created: false };
        }
        if (conversationId && !conversation) throw new NotFoundError(`No conversation with id "${conversationId}".`);
        // Compared replies are generated side by side (keys of their own), so none of them could wait for this one.
        if (compared && follows?.role === 'ASSISTANT' && isInFlight(follows.status)) {
          throw new ConflictError(
            'The reply this question follows is still being generated; wait for it to finish (or cancel it) before asking several models at once.',
          );
        }
        const turn = newTurn({
          ownerId,
          conversation: conversation ?? { newTitle: NEW_CONVERSATION_TITLE },
          parentId: conversation?.activeLeafId ?? null,
          question: screened.text,
          models: replyModels,
          at: clock.now(),
          clientMessageId,
          translateTo,
          followsKey: follows?.requestKey ?? null,
        });
        const outbox = await writeTurn(trx, turn);
        return { ...sentOf(turn, turn.userMessage!), outbox };
      });
      if ('outbox' in sent && sent.outbox) {
        onCommitted(sent.outbox);
        metrics.business.messagesSent.inc();
        if (conversationId === null) metrics.business.conversationsCreated.inc();
        await screened.recordFor(sent.userMessage.id, sent.conversation.id);
      }
      const { conversation, userMessage, assistantMessage, assistantMessages } = sent;
      return { conversation, userMessage, assistantMessage, assistantMessages };
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
        const question = (await ownedMessage(trx, ownerId, reply.parentId))!;
        const { conversation, follows } = await lockAndInspect(trx, ownerId, reply.conversationId, { follows: question.parentId });
        const latest = (await ownedMessage(trx, ownerId, messageId))!;
        if (isInFlight(latest.status)) {
          throw new ConflictError('This reply is still being generated; cancel it first or wait for it to finish.');
        }
        const turn = newTurn({
          ownerId,
          conversation: conversation!,
          parentId: question.id,
          question: null,
          answersMessageId: question.id,
          // The old reply's model unless another is asked for.
          models: [requestedModel ? model : (latest.model ?? latest.requestedModel ?? model)],
          at: clock.now(),
          translateTo,
          followsKey: follows?.requestKey ?? null,
        });
        const outbox = await writeTurn(trx, turn);
        return { ...sentOf(turn, question), outbox };
      });
      onCommitted(sent.outbox);
      const { conversation, userMessage, assistantMessage, assistantMessages } = sent;
      return { conversation, userMessage, assistantMessage, assistantMessages };
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
        const { conversation, follows } = await lockAndInspect(trx, ownerId, original.conversationId, { follows: original.parentId });
        const turn = newTurn({
          ownerId,
          conversation: conversation!,
          parentId: original.parentId,
          question: screened.text,
          models: [model],
          at: clock.now(),
          translateTo,
          followsKey: follows?.requestKey ?? null,
        });
        const outbox = await writeTurn(trx, turn);
        return { ...sentOf(turn, turn.userMessage!), outbox };
      });
      onCommitted(sent.outbox);
      await screened.recordFor(sent.userMessage.id, sent.conversation.id);
      const { conversation, userMessage, assistantMessage, assistantMessages } = sent;
      return { conversation, userMessage, assistantMessage, assistantMessages };
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

/** What a written turn answers: its conversation, the question (`userMessage`) and its replies. */
function sentOf(turn: Turn, userMessage: Message): SentMessage {
  return {
    conversation: turn.conversation,
    userMessage,
    assistantMessage: turn.assistantMessage,
    assistantMessages: turn.assistantMessages,
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
