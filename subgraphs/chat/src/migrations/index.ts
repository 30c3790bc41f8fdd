import type { MigrationObject } from '@mikro-orm/postgresql';
import { ComparedReplies } from './compared-replies';
import { InitialChatSchema } from './initial-schema';
import { MessagePipeline } from './message-pipeline';
import { ModerationFlags } from './moderation-flags';
import { OutboxLease } from './outbox-lease';
import { OutboxTraceContext } from './outbox-trace-context';

/** Every migration of the chat schema, oldest first. Names are stored in chat.mikro_orm_migrations: never rename one. */
export const migrations: MigrationObject[] = [
  { name: '20261127-initial-schema', class: InitialChatSchema },
  { name: '20261127-message-pipeline', class: MessagePipeline },
  { name: '20261127-moderation-flags', class: ModerationFlags },
  { name: '20261202-outbox-lease', class: OutboxLease },
  { name: '20261203-outbox-trace-context', class: OutboxTraceContext },
  { name: '20261203-compared-replies', class: ComparedReplies },
];
