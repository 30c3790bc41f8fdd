import { dateOf } from '@parley/database';
import { EntitySchema } from '@mikro-orm/postgresql';

export class Conversation {
  id!: string;
  /** The users service's User id; chat never reads users' tables. */
  ownerId!: string;
  title!: string;
  createdAt!: Date;
  updatedAt!: Date;
  /** The newest message of the branch clients see by default. */
  activeLeafId!: string | null;
  /** True once the title was generated from the first exchange (a user's rename is never overwritten). */
  titleGenerated!: boolean;
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
    activeLeafId: { type: 'uuid', nullable: true },
    titleGenerated: { type: 'boolean', default: false },
  },
});

/** A conversation as read for an answer, straight from its row (`select c.*`); see `messageFromRow`. */
export function conversationFromRow(row: Record<string, unknown>): Conversation {
  return {
    id: row['id'] as string,
    ownerId: row['owner_id'] as string,
    title: row['title'] as string,
    createdAt: dateOf(row['created_at']),
    updatedAt: dateOf(row['updated_at']),
    activeLeafId: (row['active_leaf_id'] as string | null) ?? null,
    titleGenerated: row['title_generated'] as boolean,
  };
}
