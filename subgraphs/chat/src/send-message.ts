import { randomUUID } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError, RateLimitedError } from '@parley/errors';
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

  return {
    async send(ownerId: string, input: SendMessageInput): Promise<SentMessage> {
      const content = input.content;
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
        await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`chat.send:${ownerId}`]);
        if (clientMessageId) {
          const earlier = await existing(ownerId, clientMessageId, trx);
          if (earlier) return { ...earlier, created: false };
        }
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
        const userMessageId = randomUUID();
        const assistantMessageId = randomUUID();
        // One millisecond apart, so history ordered by time shows the question before its answer.
        const answeredAt = new Date(now.getTime() + 1);
        await trx.raw(
          `insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id)
           values (?, ?, 'USER', ?, 'COMPLETED', ?, ?, ?), (?, ?, 'ASSISTANT', '', 'PENDING', ?, ?, ?)`,
          [
            userMessageId,
            conversationId,
            content,
            now,
            now,
            parentId,
            assistantMessageId,
            conversationId,
            answeredAt,
            answeredAt,
            userMessageId,
          ],
        );
        await trx.raw(`update "chat"."conversation" set active_leaf_id = ?, updated_at = ? where id = ?`, [
          assistantMessageId,
          answeredAt,
          conversationId,
        ]);
        if (clientMessageId) {
          await trx.raw(
            `insert into "chat"."send_request" (owner_id, client_message_id, conversation_id, user_message_id, assistant_message_id, created_at)
             values (?, ?, ?, ?, ?, ?)`,
            [ownerId, clientMessageId, conversationId, userMessageId, assistantMessageId, now],
          );
        }
        await addToOutbox(trx, {
          topic: Topics.chatMessageRequested,
          key: conversationId,
          payload: {
            conversationId,
            userId: ownerId,
            userMessageId,
            assistantMessageId,
            model,
            requestedAt: now.toISOString(),
          },
          at: now,
        });
        return { ...(await load(trx, conversationId, userMessageId, assistantMessageId)), created: true };
      });
      if (sent.created) onQueued();
      return { conversation: sent.conversation, userMessage: sent.userMessage, assistantMessage: sent.assistantMessage };
    },
  };
}

export type MessageSending = ReturnType<typeof createMessageSending>;
