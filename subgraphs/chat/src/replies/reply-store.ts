import type { Sql } from '@parley/database';
import { IN_FLIGHT_STATUSES, type FinalStatus, type InFlightStatus, type MessageStatus } from '@parley/message-stream';
import type { Clock } from '@parley/runtime';
import type { MessageRole } from '../entities/message';

/** An assistant reply, as its lifecycle (claim, stream, finish, cancel) reads it. */
export interface Reply {
  id: string;
  conversationId: string;
  parentId: string | null;
  status: MessageStatus;
  content: string;
  lastSeq: number | null;
  model: string | null;
  failureCode: string | null;
  failureReason: string | null;
}

/** How a reply ended: what is stored, and what its final and completed events say. */
export interface ReplyOutcome {
  status: FinalStatus;
  content: string;
  model: string | null;
  /** The seq of the reply's final event. */
  lastSeq: number;
  code?: string | null;
  reason?: string | null;
}

const COLUMNS = ['id', 'conversation_id', 'parent_id', 'status', 'content', 'last_seq', 'model', 'failure_code', 'failure_reason'];
const columns = (alias?: string) => COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');

function replyFromRow(row: Record<string, unknown>): Reply {
  return {
    id: row['id'] as string,
    conversationId: row['conversation_id'] as string,
    parentId: row['parent_id'] as string | null,
    status: row['status'] as MessageStatus,
    content: row['content'] as string,
    lastSeq: row['last_seq'] as number | null,
    model: row['model'] as string | null,
    failureCode: row['failure_code'] as string | null,
    failureReason: row['failure_reason'] as string | null,
  };
}

/**
 * Every statement on a reply's row, in one place. A reply's status only ever
 * moves forward, and each write says which statuses it expects to find: when
 * two finishers race (a worker and a cancel, or two workers), the second one's
 * write matches no row, and it learns that it lost.
 */
export function createReplyStore({ sql, clock }: { sql: Sql; clock: Clock }) {
  return {
    async load(id: string): Promise<Reply | null> {
      const rows: Record<string, unknown>[] = (
        await sql.raw(`select ${columns()} from "chat"."message" where id = ? and role = 'ASSISTANT'`, [id])
      ).rows;
      return rows[0] ? replyFromRow(rows[0]) : null;
    },

    /**
     * Marks the reply STREAMING if it is in flight, in one statement that also
     * says which status it had: only a STREAMING reply (a redelivery after a
     * crash) can have a stream to resume. Null when it is final or gone.
     */
    async claim(id: string): Promise<{ reply: Reply; previous: InFlightStatus } | null> {
      const rows: Record<string, unknown>[] = (
        await sql.raw(
          `update "chat"."message" m set status = 'STREAMING', updated_at = ?
           from (select id, status from "chat"."message" where id = ? and role = 'ASSISTANT' for update) previous
           where m.id = previous.id and previous.status = any(?)
           returning ${columns('m')}, previous.status as previous_status`,
          [clock.now(), id, IN_FLIGHT_STATUSES],
        )
      ).rows;
      const row = rows[0];
      return row ? { previous: row['previous_status'] as InFlightStatus, reply: replyFromRow(row) } : null;
    },

    /** Stores how the reply ended if its status is still one of `expected`; false when another finisher came first. */
    async settle(id: string, outcome: ReplyOutcome, expected: readonly InFlightStatus[] = IN_FLIGHT_STATUSES): Promise<boolean> {
      const updated = (
        await sql.raw(
          `update "chat"."message" set content = ?, status = ?, model = ?, last_seq = ?, failure_code = ?, failure_reason = ?, updated_at = ?
           where id = ? and status = any(?) returning id`,
          [
            outcome.content,
            outcome.status,
            outcome.model,
            outcome.lastSeq,
            outcome.code ?? null,
            outcome.reason ?? null,
            clock.now(),
            id,
            expected,
          ],
        )
      ).rows as unknown[];
      return updated.length > 0;
    },

    /**
     * The branch the reply answers, oldest first: its parent chain up to the conversation's first message, each step
     * by primary key (see `activeBranch` in conversation-history.ts for why not a join).
     */
    async branchOf(reply: Pick<Reply, 'parentId'>): Promise<{ role: MessageRole; content: string; status: MessageStatus }[]> {
      if (!reply.parentId) return [];
      return (
        await sql.raw(
          `with recursive branch as (
             select id, parent_id, role, content, status, 0 as depth from "chat"."message" where id = ?
             union all
             select m.id, m.parent_id, m.role, m.content, m.status, b.depth + 1
             from branch b cross join lateral (select * from "chat"."message" p where p.id = b.parent_id limit 1) m
             where b.depth < 10000
           ) select role, content, status from branch order by depth desc`,
          [reply.parentId],
        )
      ).rows;
    },

    /** The ids of the replies in flight in a conversation of `ownerId`. */
    async inFlightIn(conversationId: string, ownerId: string): Promise<string[]> {
      const rows: { id: string }[] = (
        await sql.raw(
          `select m.id from "chat"."message" m join "chat"."conversation" c on c.id = m.conversation_id
           where c.id = ? and c.owner_id = ? and m.status = any(?)`,
          [conversationId, ownerId, IN_FLIGHT_STATUSES],
        )
      ).rows;
      return rows.map((r) => r.id);
    },
  };
}

export type ReplyStore = ReturnType<typeof createReplyStore>;
