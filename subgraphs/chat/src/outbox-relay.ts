import type { Knex } from '@mikro-orm/postgresql';
import type { EventBus, EventPayloads, Topic } from '@parley/events';
import type { Logger } from '@parley/runtime';

export interface OutboxRelay {
  /** Something was just written: publish now rather than at the next poll. */
  nudge(): void;
  stop(): Promise<void>;
}

/** Any constant both replicas agree on: the lock that makes one relay publish at a time. */
const RELAY_LOCK = 0x6f7574626f78;

/**
 * Publishes the outbox's unsent rows to Kafka, oldest first, and marks them
 * sent. One transaction per batch: rows are claimed `FOR UPDATE SKIP LOCKED`
 * under a transaction-scoped advisory lock, so with several chat replicas one
 * publishes at a time (and a conversation's requests stay in order) while the
 * others stand by. A crash between publish and commit leaves the rows unsent:
 * they are published again, which consumers tolerate (they are idempotent);
 * nothing is ever lost.
 */
export function startOutboxRelay({
  knex,
  bus,
  logger,
  pollMs,
  batchSize = 200,
  keepSentMs = 24 * 3_600_000,
}: {
  knex: Knex;
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  batchSize?: number;
  keepSentMs?: number;
}): OutboxRelay {
  let stopped = false;
  let wake: (() => void) | null = null;
  let nudged = false;
  let lastPurge = 0;

  async function relayBatch(): Promise<number> {
    return knex.transaction(async (trx) => {
      const locked = (await trx.raw(`select pg_try_advisory_xact_lock(?) as ok`, [RELAY_LOCK])).rows[0].ok as boolean;
      if (!locked) return 0;
      const rows: { id: string; topic: Topic; key: string; payload: EventPayloads[Topic] }[] = (
        await trx.raw(
          `select id, topic, key, payload from "chat"."outbox" where sent_at is null order by id limit ? for update skip locked`,
          [batchSize],
        )
      ).rows;
      if (rows.length === 0) return 0;
      // Consecutive rows of one topic go in one produce request; topic order is kept.
      for (let start = 0; start < rows.length;) {
        let end = start;
        while (end < rows.length && rows[end]!.topic === rows[start]!.topic) end++;
        await bus.publishBatch(
          rows[start]!.topic,
          rows.slice(start, end).map((row) => ({ key: row.key, payload: row.payload })),
        );
        start = end;
      }
      await trx.raw(
        `update "chat"."outbox" set sent_at = now() where id in (${rows.map(() => '?').join(', ')})`,
        rows.map((r) => r.id),
      );
      return rows.length;
    });
  }

  async function purge() {
    if (Date.now() - lastPurge < 60_000) return;
    lastPurge = Date.now();
    await knex.raw(`delete from "chat"."outbox" where sent_at < ?`, [new Date(Date.now() - keepSentMs)]);
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let published = 0;
      try {
        published = await relayBatch();
        await purge();
        failures = 0;
      } catch (error) {
        failures++;
        logger.warn({ err: error, failures }, 'outbox relay could not publish; retrying');
      }
      if (published === batchSize || stopped) continue;
      if (nudged) {
        nudged = false;
        continue;
      }
      const delay = failures > 0 ? Math.min(5_000, pollMs * 2 ** failures) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    nudge() {
      nudged = true;
      wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
