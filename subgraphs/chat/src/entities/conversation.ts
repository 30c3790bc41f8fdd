import { EntitySchema } from '@mikro-orm/postgresql';

export class Conversation {
  id!: string;
  /** The users service's User id; chat never reads users' tables. */
  ownerId!: string;
  title!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ConversationSchema = new EntitySchema<Conversation>({
  class: Conversation,
  tableName: 'conversation',
  properties: {
    id: { type: 'uuid', primary: true },
    ownerId: { type: 'uuid' },
    title: { type: 'string' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
