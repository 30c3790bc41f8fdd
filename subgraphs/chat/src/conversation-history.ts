import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { Conversation } from './entities/conversation';
import { Message, type MessageRole, type MessageStatus } from './entities/message';
import { decodeCursor, isUuid, toPage, type Page } from './pagination';

const MAX_TITLE = 200;

/**
 * Reading and writing one user's conversations. Ownership is part of every
 * query: a conversation that is not the owner's is indistinguishable from one
 * that does not exist.
 */
export function createConversationHistory({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    async listForOwner(
      ownerId: string,
      { size, after, search }: { size: number; after?: string | null; search?: string | null },
    ): Promise<Page<Conversation>> {
      const qb = em.createQueryBuilder(Conversation, 'c').where({ ownerId });
      if (after) {
        const { at, id } = decodeCursor(after);
        qb.andWhere('(c.updated_at, c.id) < (?, ?)', [at, id]);
      }
      const term = search?.trim();
      if (term) {
        if (term.length > 200) throw new BadUserInputError('"search" must be at most 200 characters.', { field: 'search' });
        qb.andWhere({ title: { $ilike: `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } });
      }
      const rows = await qb
        .orderBy({ updatedAt: 'desc', id: 'desc' })
        .limit(size + 1)
        .getResultList();
      return toPage(rows, size, (c) => ({ at: c.updatedAt, id: c.id }));
    },

    /** Conversations by id that belong to `ownerId`, in one query. */
    async findOwned(ids: readonly string[], ownerId: string): Promise<Conversation[]> {
      const valid = ids.filter(isUuid);
      return valid.length === 0 ? [] : em.find(Conversation, { id: { $in: valid }, ownerId });
    },

    /** Messages by id whose conversation belongs to `ownerId`, in one query. */
    async findOwnedMessages(ids: readonly string[], ownerId: string): Promise<Message[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      const rows: Record<string, unknown>[] = await em.getConnection().execute(
        `select m.* from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
         where m.id in (${placeholders(valid)}) and c.owner_id = ?`,
        [...valid, ownerId],
      );
      return rows.map((row) => em.map(Message, row));
    },

    /** The first `size + 1` messages of each conversation, oldest first, in one query. */
    async firstMessages(conversationIds: readonly string[], size: number): Promise<Map<string, Message[]>> {
      if (conversationIds.length === 0) return new Map();
      const rows: Record<string, unknown>[] = await em.getConnection().execute(
        `select * from (
           select m.*, row_number() over (partition by m.conversation_id order by m.created_at, m.id) as "position"
           from "chat"."message" m where m.conversation_id in (${placeholders(conversationIds)})
         ) ranked where "position" <= ? order by "conversation_id", "position"`,
        [...conversationIds, size + 1],
      );
      const byConversation = new Map<string, Message[]>(conversationIds.map((id) => [id, []]));
      for (const row of rows) {
        const message = em.map(Message, row);
        byConversation.get(message.conversationId)?.push(message);
      }
      return byConversation;
    },

    async messagesAfter(conversationId: string, { size, after }: { size: number; after: string }): Promise<Page<Message>> {
      const { at, id } = decodeCursor(after);
      const rows = await em
        .createQueryBuilder(Message, 'm')
        .where({ conversationId })
        .andWhere('(m.created_at, m.id) > (?, ?)', [at, id])
        .orderBy({ createdAt: 'asc', id: 'asc' })
        .limit(size + 1)
        .getResultList();
      return toPage(rows, size, (m) => ({ at: m.createdAt, id: m.id }));
    },

    async createConversation({ ownerId, title }: { ownerId: string; title: string }): Promise<Conversation> {
      const trimmed = title.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_TITLE) {
        throw new BadUserInputError(`A title must be 1 to ${MAX_TITLE} characters.`, { field: 'title' });
      }
      const conversation = new Conversation();
      conversation.id = randomUUID();
      conversation.ownerId = ownerId;
      conversation.title = trimmed;
      conversation.createdAt = conversation.updatedAt = clock.now();
      conversation.activeLeafId = null;
      conversation.titleGenerated = false;
      await em.persistAndFlush(conversation);
      return conversation;
    },

    /** A user's own title: kept from then on (never replaced by a generated one). */
    async rename(ownerId: string, id: string, title: string): Promise<Conversation> {
      const trimmed = title.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_TITLE) {
        throw new BadUserInputError(`A title must be 1 to ${MAX_TITLE} characters.`, { field: 'title' });
      }
      const conversation = isUuid(id) ? await em.findOne(Conversation, { id, ownerId }) : null;
      if (!conversation) throw new NotFoundError(`No conversation with id "${id}".`);
      conversation.title = trimmed;
      conversation.titleGenerated = true;
      await em.flush();
      return conversation;
    },

    async appendMessage(
      conversation: Conversation,
      { role, content, status = 'COMPLETED' }: { role: MessageRole; content: string; status?: MessageStatus },
    ): Promise<Message> {
      const message = new Message();
      message.id = randomUUID();
      message.conversationId = conversation.id;
      message.role = role;
      message.content = content;
      message.status = status;
      message.createdAt = message.updatedAt = conversation.updatedAt = clock.now();
      message.parentId = conversation.activeLeafId;
      message.model = message.lastSeq = message.failureCode = message.failureReason = null;
      conversation.activeLeafId = message.id;
      await em.persistAndFlush([message, conversation]);
      return message;
    },
  };
}

export type ConversationHistory = ReturnType<typeof createConversationHistory>;

/** One knex placeholder per value (knex binds arrays as lists, not as Postgres arrays). */
function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}
