import { randomUUID } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError, NotFoundError, RateLimitedError } from '@parley/errors';
import { Topics } from '@parley/events';
import type { Clock } from '@parley/runtime';
import { Conversation } from './entities/conversation';
import { Message } from './entities/message';
import type { ModelDirectory } from './model-directory';
import { addToOutbox } from './outbox';
import { isUuid } from './pagination';

export const NEW_CONVERSATION_TITLE = 'New conversation';
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
 * sendMessage: everything is checked first, then the user's message, a PENDING
 * assistant reply and the outbox row that asks for it are written in one
 * transaction — a refused request stores nothing, an accepted one is never
 * lost. Per user, sends are serialized by an advisory lock so that the
 * in-flight limit and `clientMessageId` hold under concurrent retries.
 */
export function createMessageSending({
  knex,
  em,
  clock,
  models,
  defaultModel,
  maxContentBytes,
  maxGenerationsPerUser,
  onQueued,
}: {
  knex: Knex;
  em: EntityManager;
  clock: Clock;
  models: ModelDirectory;
  defaultModel: string;
  maxContentBytes: number;
  maxGenerationsPerUser: number;
  /** Told after a commit that the outbox holds something (the relay then needn't wait for its next poll). */
  onQueued: () => void;
}) {
  async function existing(ownerId: string, clientMessageId: string, trx: Knex | Knex.Transaction): Promise<SentMessage | null> {
    const rows: Record<string, unknown>[] = (
      await trx.raw(
        `select r.user_message_id, r.assistant_message_id, r.conversation_id from "chat"."send_request" r
         where r.owner_id = ? and r.client_message_id = ?`,
        [ownerId, clientMessageId],
      )
    ).rows;
    const row = rows[0];
    if (!row) return null;
    return load(trx, row['conversation_id'] as string, row['user_message_id'] as string, row['assistant_message_id'] as string);
  }

  async function load(trx: Knex | Knex.Transaction, conversationId: string, userMessageId: string, assistantMessageId: string) {
    const conversations: Record<string, unknown>[] = (await trx.raw(`select * from "chat"."conversation" where id = ?`, [conversationId]))
      .rows;
    const messages: Record<string, unknown>[] = (
      await trx.raw(`select * from "chat"."message" where id in (?, ?)`, [userMessageId, assistantMessageId])
    ).rows;
    const byId = new Map(messages.map((m) => [m['id'] as string, em.map(Message, m)]));
    return {
      conversation: em.map(Conversation, conversations[0]!),
      userMessage: byId.get(userMessageId)!,
      assistantMessage: byId.get(assistantMessageId)!,
    };
  }

  /** Sends of one user wait for each other: the in-flight limit and idempotency keys hold under concurrency. */
  async function serializePerUser(trx: Knex.Transaction, ownerId: string) {
    await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`chat.send:${ownerId}`]);
  }

  async function checkInFlight(trx: Knex.Transaction, ownerId: string) {
    const inFlight = Number(
      (
        await trx.raw(
          `select count(*) as n from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
           where c.owner_id = ? and m.role = 'ASSISTANT' and m.status in ('PENDING', 'STREAMING')`,
          [ownerId],
        )
      ).rows[0].n,
    );
    if (inFlight >= maxGenerationsPerUser) {
      throw new RateLimitedError(
        `You already have ${inFlight} replies being generated (the limit is ${maxGenerationsPerUser}); wait for one to finish or cancel it.`,
        1,
      );
    }
  }

  async function insertUserMessage(
    trx: Knex.Transaction,
    { conversationId, parentId, content, at }: { conversationId: string; parentId: string | null; content: string; at: Date },
  ): Promise<string> {
    const id = randomUUID();
    await trx.raw(
      `insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id)
       values (?, ?, 'USER', ?, 'COMPLETED', ?, ?, ?)`,
      [id, conversationId, content, at, at, parentId],
    );
    return id;
  }

  /** A PENDING reply to `userMessageId`, made the conversation's active leaf, and the outbox row that asks for it. */
  async function queueReply(
    trx: Knex.Transaction,
    {
      ownerId,
      conversationId,
      userMessageId,
      model,
      at,
    }: { ownerId: string; conversationId: string; userMessageId: string; model: string; at: Date },
  ): Promise<string> {
    const id = randomUUID();
    await trx.raw(
      `insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id)
       values (?, ?, 'ASSISTANT', '', 'PENDING', ?, ?, ?)`,
      [id, conversationId, at, at, userMessageId],
    );
    await trx.raw(`update "chat"."conversation" set active_leaf_id = ?, updated_at = ? where id = ?`, [id, at, conversationId]);
    await addToOutbox(trx, {
      topic: Topics.chatMessageRequested,
      key: conversationId,
      payload: { conversationId, userId: ownerId, userMessageId, assistantMessageId: id, model, requestedAt: at.toISOString() },
      at,
    });
    return id;
  }

  async function ownedMessage(trx: Knex | Knex.Transaction, ownerId: string, messageId: string) {
    if (!isUuid(messageId)) return null;
    const rows: Record<string, unknown>[] = (
      await trx.raw(
        `select m.* from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id where m.id = ? and c.owner_id = ?`,
        [messageId, ownerId],
      )
    ).rows;
    return rows[0] ? em.map(Message, rows[0]) : null;
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
      const content = input.content;
      checkContent(content);
      const clientMessageId = input.clientMessageId ?? null;
      if (clientMessageId !== null && (clientMessageId.length === 0 || clientMessageId.length > MAX_CLIENT_MESSAGE_ID)) {
        throw new BadUserInputError(`"clientMessageId" must be 1 to ${MAX_CLIENT_MESSAGE_ID} characters.`, { field: 'clientMessageId' });
      }
      if (input.conversationId != null && !isUuid(input.conversationId)) {
        throw new NotFoundError(`No conversation with id "${input.conversationId}".`);
      }
      // A retry must not be refused for a model or limit that changed since the first attempt.
      if (clientMessageId) {
        const earlier = await existing(ownerId, clientMessageId, knex);
        if (earlier) return earlier;
      }
      const model = (await models.require(input.model ?? defaultModel, ownerId)).id;

      const sent = await knex.transaction(async (trx) => {
        await serializePerUser(trx, ownerId);
        if (clientMessageId) {
          const earlier = await existing(ownerId, clientMessageId, trx);
          if (earlier) return { ...earlier, created: false };
        }
        await checkInFlight(trx, ownerId);
        const now = clock.now();
        let conversationId = input.conversationId ?? null;
        let parentId: string | null = null;
        if (conversationId) {
          const found: Record<string, unknown>[] = (
            await trx.raw(`select active_leaf_id from "chat"."conversation" where id = ? and owner_id = ? for update`, [
              conversationId,
              ownerId,
            ])
          ).rows;
          if (!found[0]) throw new NotFoundError(`No conversation with id "${conversationId}".`);
          parentId = (found[0]['active_leaf_id'] as string | null) ?? null;
        } else {
          conversationId = randomUUID();
          await trx.raw(
            `insert into "chat"."conversation" (id, owner_id, title, created_at, updated_at, title_generated) values (?, ?, ?, ?, ?, false)`,
            [conversationId, ownerId, NEW_CONVERSATION_TITLE, now, now],
          );
        }
        const userMessageId = await insertUserMessage(trx, { conversationId, parentId, content, at: now });
        // One millisecond apart, so history ordered by time shows the question before its answer.
        const assistantMessageId = await queueReply(trx, {
          ownerId,
          conversationId,
          userMessageId,
          model,
          at: new Date(now.getTime() + 1),
        });
        if (clientMessageId) {
          await trx.raw(
            `insert into "chat"."send_request" (owner_id, client_message_id, conversation_id, user_message_id, assistant_message_id, created_at)
             values (?, ?, ?, ?, ?, ?)`,
            [ownerId, clientMessageId, conversationId, userMessageId, assistantMessageId, now],
          );
        }
        return { ...(await load(trx, conversationId, userMessageId, assistantMessageId)), created: true };
      });
      if (sent.created) onQueued();
      return { conversation: sent.conversation, userMessage: sent.userMessage, assistantMessage: sent.assistantMessage };
    },

    /**
     * Asks again: a new reply to the same question, beside the old one (a sibling
     * branch), which becomes the active branch. The old reply stays readable.
     */
    async regenerate(ownerId: string, messageId: string, requestedModel?: string | null): Promise<SentMessage> {
      const model = requestedModel ? (await models.require(requestedModel, ownerId)).id : null;
      const fallbackModel = model ?? (await models.require(defaultModel, ownerId)).id;
      const sent = await knex.transaction(async (trx) => {
        await serializePerUser(trx, ownerId);
        const reply = await ownedMessage(trx, ownerId, messageId);
        if (!reply) throw new NotFoundError(`No message with id "${messageId}".`);
        if (reply.role !== 'ASSISTANT' || !reply.parentId) {
          throw new BadUserInputError('Only an assistant reply can be regenerated; to change a question, edit it.', { field: 'messageId' });
        }
        if (reply.status === 'PENDING' || reply.status === 'STREAMING') {
          throw new ConflictError('This reply is still being generated; cancel it first or wait for it to finish.');
        }
        await checkInFlight(trx, ownerId);
        const assistantMessageId = await queueReply(trx, {
          ownerId,
          conversationId: reply.conversationId,
          userMessageId: reply.parentId,
          model: model ?? reply.model ?? fallbackModel,
          at: clock.now(),
        });
        return load(trx, reply.conversationId, reply.parentId, assistantMessageId);
      });
      onQueued();
      return sent;
    },

    /**
     * Changes a question: the new text is a sibling of the old one (which stays
     * readable), gets its own reply, and becomes the active branch.
     */
    async edit(ownerId: string, messageId: string, content: string, requestedModel?: string | null): Promise<SentMessage> {
      checkContent(content);
      const model = (await models.require(requestedModel ?? defaultModel, ownerId)).id;
      const sent = await knex.transaction(async (trx) => {
        await serializePerUser(trx, ownerId);
        const original = await ownedMessage(trx, ownerId, messageId);
        if (!original) throw new NotFoundError(`No message with id "${messageId}".`);
        if (original.role !== 'USER') {
          throw new BadUserInputError('Only your own messages can be edited; regenerate a reply instead.', { field: 'messageId' });
        }
        await checkInFlight(trx, ownerId);
        const now = clock.now();
        const userMessageId = await insertUserMessage(trx, {
          conversationId: original.conversationId,
          parentId: original.parentId,
          content,
          at: now,
        });
        const assistantMessageId = await queueReply(trx, {
          ownerId,
          conversationId: original.conversationId,
          userMessageId,
          model,
          at: new Date(now.getTime() + 1),
        });
        return load(trx, original.conversationId, userMessageId, assistantMessageId);
      });
      onQueued();
      return sent;
    },

    /** Makes the branch through `messageId` the active one: down to its newest descendant. */
    async selectBranch(ownerId: string, messageId: string): Promise<Conversation> {
      return knex.transaction(async (trx) => {
        const message = await ownedMessage(trx, ownerId, messageId);
        if (!message) throw new NotFoundError(`No message with id "${messageId}".`);
        let leaf = message.id;
        for (;;) {
          const child: { id: string }[] = (
            await trx.raw(`select id from "chat"."message" where parent_id = ? order by created_at desc, id desc limit 1`, [leaf])
          ).rows;
          if (!child[0]) break;
          leaf = child[0].id;
        }
        const rows: Record<string, unknown>[] = (
          await trx.raw(`update "chat"."conversation" set active_leaf_id = ? where id = ? returning *`, [leaf, message.conversationId])
        ).rows;
        return em.map(Conversation, rows[0]!);
      });
    },
  };
}

export type MessageSending = ReturnType<typeof createMessageSending>;
