import { EntitySchema } from '@mikro-orm/postgresql';

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];
export const MESSAGE_STATUSES = ['PENDING', 'STREAMING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

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
