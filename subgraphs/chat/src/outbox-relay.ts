import type { Sql, SqlRunner } from '@parley/database';
import type { EventBus, EventPayloads, Topic } from '@parley/events';
import type { Logger } from '@parley/runtime';

/** An outbox row as written by the transaction that created it. */
export interface OutboxRow {
  id: string;
  topic: Topic;
  key: string;
  payload: EventPayloads[Topic];
}

export interface OutboxRelay {
  /**
   * Publishes rows whose transaction just committed, at once, in the order
   * given. If that fails (or this process dies first), the sweep publishes them.
   */
  sendCommitted(rows: OutboxRow[]): void;
  stop(): Promise<void>;
}

/** Any constant every replica agrees on: the lock that makes one sweep run at a time. */
const SWEEP_LOCK = 0x6f7574626f78;

/**
 * Gets the outbox's rows to Kafka. The fast path publishes a row right after
 * the transaction that wrote it commits, and marks it sent (one UPDATE for all
 * rows committed together). The sweep is the guarantee: every `pollMs` it
 * publishes rows still unsent `sweepAfterMs` after they were written — a
 * process that crashed between commit and publish, a broker that was down —
 * claiming them `FOR UPDATE SKIP LOCKED` under an advisory lock, so one
 * replica sweeps at a time. A row may thus be published twice (published,
 * then the process died before marking it); consumers are idempotent. It is
 * never lost.
 */
export function startOutboxRelay({
  sql,
  bus,
  logger,
  pollMs,
  sweepAfterMs = 1_000,
  batchSize = 200,
  keepSentMs = 24 * 3_600_000,
}: {
  sql: Sql;
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  sweepAfterMs?: number;
  batchSize?: number;
  keepSentMs?: number;
}): OutboxRelay {
  let stopped = false;
  let wake: (() => void) | null = null;
  let lastPurge = 0;
  let queued: OutboxRow[] = [];
  let sending: Promise<void> = Promise.resolve();

  /** Consecutive rows of one topic go in one produce request; order is kept. */
  async function publish(rows: OutboxRow[]) {
    for (let start = 0; start < rows.length;) {
      let end = start;
      while (end < rows.length && rows[end]!.topic === rows[start]!.topic) end++;
      await bus.publishBatch(
        rows[start]!.topic,
        rows.slice(start, end).map((row) => ({ key: row.key, payload: row.payload })),
      );
      start = end;
    }
  }

  const markSent = (db: SqlRunner, rows: OutboxRow[]) =>
    db.raw(
      `update "chat"."outbox" set sent_at = now() where id in (${rows.map(() => '?').join(', ')}) and sent_at is null`,
      rows.map((r) => r.id),
    );

  function flushQueued() {
    const rows = queued;
    queued = [];
    if (rows.length === 0) return;
    // One chain: rows leave in the order their transactions committed in this process.
    sending = sending.then(async () => {
      try {
        await publish(rows);
        await markSent(sql, rows);
      } catch (error) {
        logger.warn({ err: error, rows: rows.length }, 'outbox rows not published at once; the sweep will');
      }
    });
  }

  async function sweepBatch(): Promise<number> {
    const due = new Date(Date.now() - sweepAfterMs);
    // Nearly always nothing is left behind: one indexed read instead of a transaction every poll.
    const { rows: waiting } = await sql.raw(`select 1 from "chat"."outbox" where sent_at is null and created_at < ? limit 1`, [due]);
    if (waiting.length === 0) return 0;
    return sql.transaction(async (trx) => {
      const locked = (await trx.raw(`select pg_try_advisory_xact_lock(?) as ok`, [SWEEP_LOCK])).rows[0].ok as boolean;
      if (!locked) return 0;
      const rows: OutboxRow[] = (
        await trx.raw(
          `select id, topic, key, payload from "chat"."outbox" where sent_at is null and created_at < ?
           order by id limit ? for update skip locked`,
          [due, batchSize],
        )
      ).rows;
      if (rows.length === 0) return 0;
      await publish(rows);
      await markSent(trx, rows);
      return rows.length;
    });
  }

  async function purge() {
    if (Date.now() - lastPurge < 60_000) return;
    lastPurge = Date.now();
    await sql.raw(`delete from "chat"."outbox" where sent_at < ?`, [new Date(Date.now() - keepSentMs)]);
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let swept = 0;
      try {
        swept = await sweepBatch();
        await purge();
        failures = 0;
      } catch (error) {
        failures++;
        logger.warn({ err: error, failures }, 'outbox sweep could not publish; retrying');
      }
      if (swept === batchSize || stopped) continue;
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
    sendCommitted(rows) {
      if (stopped) return;
      // Rows committed in the same turn of the event loop leave together.
      if (queued.length === 0) setImmediate(flushQueued);
      queued.push(...rows);
    },
    async stop() {
      stopped = true;
      flushQueued();
      wake?.();
      await Promise.all([loop, sending]);
    },
  };
}
