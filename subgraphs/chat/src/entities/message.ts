import { dateOf } from '@parley/database';
import { EntitySchema } from '@mikro-orm/postgresql';
import type { MessageStatus } from '@parley/message-stream';

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];
// Defined with the stream, whose final event follows from them; the gateway reads them there too.
export { MESSAGE_STATUSES, type MessageStatus } from '@parley/message-stream';

export class Message {
  id!: string;
  conversationId!: string;
  role!: MessageRole;
  content!: string;
  status!: MessageStatus;
  createdAt!: Date;
  updatedAt!: Date;
  parentId!: string | null;
  /** For an assistant reply: the model that produced it (stored when it ends). */
  model!: string | null;
  /** For an assistant reply: the model it was asked of, stored with it (null on replies older than the column). */
  requestedModel!: string | null;
  /** For an assistant reply: the seq of its stream's last event. */
  lastSeq!: number | null;
  failureCode!: string | null;
  failureReason!: string | null;
}

export const MessageSchema = new EntitySchema<Message>({
  class: Message,
  tableName: 'message',
  properties: {
    id: { type: 'uuid', primary: true },
    conversationId: { type: 'uuid' },
    role: { type: 'string' },
    content: { type: 'text' },
    status: { type: 'string' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
    parentId: { type: 'uuid', nullable: true },
    model: { type: 'text', nullable: true },
    requestedModel: { type: 'text', nullable: true },
    lastSeq: { type: 'integer', nullable: true },
    failureCode: { type: 'text', nullable: true },
    failureReason: { type: 'text', nullable: true },
  },
});

/**
 * A message as read for an answer, straight from its row (`select m.*`): the read paths (pages, lookups, siblings)
 * only serialize messages, and hydrating each into the ORM's identity map cost a quarter of the chat service's CPU
 * for a conversations page (bench/profile, issue 15). A plain object, not an instance: the ORM's property setters on
 * the entity's prototype cost as much again. Writes load through the EntityManager or update by id.
 */
export function messageFromRow(row: Record<string, unknown>): Message {
  return {
    id: row['id'] as string,
    conversationId: row['conversation_id'] as string,
    role: row['role'] as MessageRole,
    content: row['content'] as string,
    status: row['status'] as MessageStatus,
    createdAt: dateOf(row['created_at']),
    updatedAt: dateOf(row['updated_at']),
    parentId: (row['parent_id'] as string | null) ?? null,
    model: (row['model'] as string | null) ?? null,
    requestedModel: (row['requested_model'] as string | null) ?? null,
    lastSeq: (row['last_seq'] as number | null) ?? null,
    failureCode: (row['failure_code'] as string | null) ?? null,
    failureReason: (row['failure_reason'] as string | null) ?? null,
  };
}
