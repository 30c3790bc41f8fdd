import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid, sqlOn } from '@parley/database';
import { BadUserInputError, NotFoundError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { searchConversations } from './conversation-search';
import { Conversation, conversationFromRow } from './entities/conversation';
import { Message, messageFromRow, type MessageRole, type MessageStatus } from './entities/message';
import { decodeCursor, toPage, type Page } from './pagination';

const MAX_TITLE = 200;

/**
 * Reading and writing one user's conversations. Ownership is part of every
 * query: a conversation that is not the owner's is indistinguishable from one
 * that does not exist.
 */
export function createConversationHistory({ em, clock }: { em: EntityManager; clock: Clock }) {
  // Reads by hand-written SQL, each of constant text (ids as one array) so that it is prepared once per connection.
  const sql = sqlOn(em.getConnection());
  const read = async (statement: string, params: readonly unknown[]) => (await sql.raw<Record<string, unknown>>(statement, params)).rows;
  return {
    async listForOwner(
      ownerId: string,
      { size, after, search }: { size: number; after?: string | null; search?: string | null },
    ): Promise<Page<Conversation>> {
      const term = search?.trim();
      if (term) return searchConversations({ sql, em }, ownerId, { term, size, after: after ?? null });
      const cursor = after ? decodeCursor(after) : null;
      const rows = await read(
        `select c.* from "chat"."conversation" c where c.owner_id = ?${cursor ? ' and (c.updated_at, c.id) < (?, ?)' : ''}
         order by c.updated_at desc, c.id desc limit ?`,
        cursor ? [ownerId, cursor.at, cursor.id, size + 1] : [ownerId, size + 1],
      );
      return toPage(rows.map(conversationFromRow), size, (c) => ({ at: c.updatedAt, id: c.id }));
    },

    /** Conversations by id that belong to `ownerId`, in one query. */
    async findOwned(ids: readonly string[], ownerId: string): Promise<Conversation[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      const rows = await read(`select c.* from "chat"."conversation" c where c.id = any(?::uuid[]) and c.owner_id = ?`, [valid, ownerId]);
      return rows.map(conversationFromRow);
    },

    /** Messages by id whose conversation belongs to `ownerId`, in one query. */
    async findOwnedMessages(ids: readonly string[], ownerId: string): Promise<Message[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      const rows = await read(
        `select m.* from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
         where m.id = any(?::uuid[]) and c.owner_id = ?`,
        [valid, ownerId],
      );
      return rows.map(messageFromRow);
    },

    /** For each message id (of `ownerId`'s), its alternatives at that point of the tree, oldest first, in one query. */
    async siblingsOf(ids: readonly string[], ownerId: string): Promise<Map<string, Message[]>> {
      const valid = ids.filter(isUuid);
      const result = new Map<string, Message[]>();
      if (valid.length === 0) return result;
      const rows = await read(
        `select s.*, m.id as "of_message" from "chat"."message" m
         join "chat"."conversation" c on c.id = m.conversation_id
         join "chat"."message" s on s.conversation_id = m.conversation_id and s.role = m.role and s.parent_id is not distinct from m.parent_id
         where m.id = any(?::uuid[]) and c.owner_id = ? order by s.created_at, s.id`,
        [valid, ownerId],
      );
      for (const row of rows) {
        const of = row['of_message'] as string;
        result.set(of, [...(result.get(of) ?? []), messageFromRow(row)]);
      }
      return result;
    },

    /**
     * The first `size + 1` messages of each conversation's active branch (the
     * path from its first message to its active leaf), oldest first, in one query.
     */
    async firstMessages(conversationIds: readonly string[], size: number): Promise<Map<string, Message[]>> {
      if (conversationIds.length === 0) return new Map();
      const rows = await read(
        `with recursive ${activeBranch}
         select * from (
           select b.*, row_number() over (partition by b.conversation_id order by b.created_at, b.id) as "position" from branch b
         ) ranked where "position" <= ? order by "conversation_id", "position"`,
        [conversationIds, size + 1],
      );
      const byConversation = new Map<string, Message[]>(conversationIds.map((id) => [id, []]));
      for (const row of rows) {
        const message = messageFromRow(row);
        byConversation.get(message.conversationId)?.push(message);
      }
      return byConversation;
    },

    async messagesAfter(conversationId: string, { size, after }: { size: number; after: string }): Promise<Page<Message>> {
      const { at, id } = decodeCursor(after);
      // Along a branch every message is newer than its parent, so (created_at, id) orders the branch.
      const raw = await read(
        `with recursive ${activeBranch}
         select * from branch b where (b.created_at, b.id) > (?, ?) order by b.created_at, b.id limit ?`,
        [[conversationId], at, id, size + 1],
      );
      const rows = raw.map(messageFromRow);
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
      await em.persist(conversation).flush();
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
      message.model = message.requestedModel = message.lastSeq = message.failureCode = message.failureReason = null;
      conversation.activeLeafId = message.id;
      await em.persist([message, conversation]).flush();
      return message;
    },
  };
}

export type ConversationHistory = ReturnType<typeof createConversationHistory>;

/** The active branch of the conversations in the array bound to its `?`: from each active leaf up its parents. */
// Each step looks the parent up by primary key (a lateral LIMIT 1). Written as a join, the planner, which guesses
// 100 rows for the work table, hashed it against a sequential scan of the whole message table on every step: a
// page cost PostgreSQL 3.4 ms with 3,000 messages stored, and more with every message anyone sent (issue 15).
const activeBranch = `branch as (
    select m.* from "chat"."message" m join "chat"."conversation" c on c.active_leaf_id = m.id where c.id = any(?::uuid[])
    union all
    select m.* from branch b cross join lateral (select * from "chat"."message" p where p.id = b.parent_id limit 1) m
  )`;
