import type { EventPayloads, Topic } from '@parley/events';
import type { Knex } from '@mikro-orm/postgresql';

/**
 * Writes an event into the outbox inside the caller's transaction: it is
 * published (by the outbox relay) if and only if that transaction commits.
 */
export async function addToOutbox<T extends Topic>(
  trx: Knex.Transaction,
  { topic, key, payload, at }: { topic: T; key: string; payload: EventPayloads[T]; at: Date },
): Promise<void> {
  await trx.raw(`insert into "chat"."outbox" ("topic", "key", "payload", "created_at") values (?, ?, ?::jsonb, ?)`, [
    topic,
    key,
    JSON.stringify(payload),
    at,
  ]);
}
