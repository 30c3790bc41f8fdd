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
  },
});
