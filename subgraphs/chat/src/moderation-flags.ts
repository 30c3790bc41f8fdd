import type { Metrics } from '@parley/telemetry';
import { randomUUID } from 'node:crypto';
import type { Sql } from '@parley/database';
import type { Clock } from '@parley/runtime';
import { decodeCursor, pageSize, toPage, type Page } from './pagination';

export interface ModerationFlag {
  id: string;
  userId: string;
  conversationId: string | null;
  messageId: string | null;
  direction: 'INPUT' | 'OUTPUT';
  category: string;
  action: 'redact' | 'block';
  createdAt: Date;
}

export type NewModerationFlag = Omit<ModerationFlag, 'id' | 'createdAt'>;

export interface ModerationFlags {
  record(flags: NewModerationFlag[]): Promise<void>;
  /** Newest first, for admins. */
  list(first: number | null | undefined, after: string | null | undefined): Promise<Page<ModerationFlag>>;
}

/** The review queue of what moderation redacted or blocked. It stores categories, never the text that was flagged. */
export function createModerationFlags({ sql, clock, metrics }: { sql: Sql; clock: Clock; metrics: Metrics }): ModerationFlags {
  return {
    async record(flags) {
      if (flags.length === 0) return;
      // Every block is recorded here, a user's message (INPUT) or a model's reply (OUTPUT): one place to count them.
      for (const flag of flags) if (flag.action === 'block') metrics.edge.contentBlocked.inc({ stage: flag.direction.toLowerCase() });
      const at = clock.now();
      await sql.insert(
        'chat.moderation_flag',
        flags.map((f) => ({
          id: randomUUID(),
          owner_id: f.userId,
          conversation_id: f.conversationId,
          message_id: f.messageId,
          direction: f.direction,
          category: f.category,
          action: f.action,
          created_at: at,
        })),
      );
    },
    async list(first, after) {
      const size = pageSize(first, 50);
      const position = after ? decodeCursor(after) : null;
      const rows: Record<string, unknown>[] = (
        await sql.raw(
          `select * from "chat"."moderation_flag"
           ${position ? 'where (created_at, id) < (?, ?)' : ''}
           order by created_at desc, id desc limit ?`,
          position ? [position.at, position.id, size + 1] : [size + 1],
        )
      ).rows;
      const flags: ModerationFlag[] = rows.map((r) => ({
        id: r['id'] as string,
        userId: r['owner_id'] as string,
        conversationId: (r['conversation_id'] as string | null) ?? null,
        messageId: (r['message_id'] as string | null) ?? null,
        direction: r['direction'] as ModerationFlag['direction'],
        category: r['category'] as string,
        action: r['action'] as ModerationFlag['action'],
        // The services' pg driver hands timestamps over as text, PGlite as Date.
        createdAt: new Date(r['created_at'] as string | Date),
      }));
      return toPage(flags, size, (f) => ({ at: f.createdAt, id: f.id }));
    },
  };
}
