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
  /** For an assistant reply: the model that produced it. */
  model!: string | null;
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
    lastSeq: { type: 'integer', nullable: true },
    failureCode: { type: 'text', nullable: true },
    failureReason: { type: 'text', nullable: true },
  },
});
