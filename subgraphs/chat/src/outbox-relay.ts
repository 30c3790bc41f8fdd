import { randomUUID } from 'node:crypto';
import type { Sql } from '@parley/database';
import type { EventBus, EventPayloads, Topic } from '@parley/events';
import type { Logger } from '@parley/runtime';
import { withTraceparent } from '@parley/telemetry';

/** An outbox row as written by the transaction that created it. */
export interface OutboxRow {
  id: string;
  topic: Topic;
  key: string;
  payload: EventPayloads[Topic];
  /** The trace of the request that wrote it (null: not traced), continued around its publish. */
  traceparent: string | null;
}

export interface OutboxRelay {
  /**
   * Publishes rows whose transaction just committed, at once, in the order
   * given. If that fails (or this process dies first), the sweep publishes them.
   */
  sendCommitted(rows: OutboxRow[]): void;
  stop(): Promise<void>;
}

/** The one lease every replica competes for: its holder is the one relay that sweeps. */
const SWEEP_LEASE = 'sweep';
/** The longest pause between sweeps while publishing fails, so what waited leaves soon after Kafka is back. */
const MAX_RETRY_DELAY_MS = 500;
/** Rows the fast path keeps in memory at most while Kafka is away; later ones are left to the sweep. */
const MAX_IN_HAND = 10_000;

/**
 * How far behind the outbox is: rows not yet published, and how long the oldest has waited (0 when none), on the
 * service's clock. For the metrics (`parley_outbox_backlog`, `parley_outbox_oldest_age_seconds`), read per scrape:
 * every replica sees the same table, whichever of them relays.
 */
export async function outboxBacklog(sql: Sql, now: Date): Promise<{ rows: number; oldestAgeSeconds: number }> {
  const { rows } = await sql.raw<{ rows: number; oldest: Date | string | null }>(
    `select count(*)::int as rows, min(created_at) as oldest from "chat"."outbox" where sent_at is null`,
  );
  const oldest = rows[0]?.oldest;
  return {
    rows: rows[0]?.rows ?? 0,
    oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000) : 0,
  };
}

/**
 * Gets the outbox's rows to Kafka without ever holding a transaction open
 * while Kafka answers (a broker that is down can take its producer's whole
 * retry budget to answer). Each row is marked sent, with the time its broker
 * acknowledged it, in a statement of its own after the publish.
 *
 * The fast path publishes rows right after the transaction that wrote them
 * commits; rows committed while a publish is out leave together in the next.
 * The sweep is the guarantee: every `pollMs` it publishes rows still unsent
 * `sweepAfterMs` after they were written (a process that crashed between
 * commit and publish, a publish that failed), in id order, leaving alone the
 * rows this process's fast path has in hand. One replica sweeps at a time: the
 * holder of a lease row (`chat.outbox_lease`), taken and renewed in single
 * statements, which lapses `leaseMs` after its holder stopped renewing it (a
 * crash), and is given up once nothing is left to sweep.
 *
 * A row may be published twice: published, then the process died (or lost its
 * lease) before marking it. Consumers are idempotent — the chat worker claims a
 * reply only while it is in flight, and a second delivery of a finished one
 * only re-sends its final event. A row is never lost.
 */
export function startOutboxRelay({
  sql,
  bus,
  logger,
  pollMs,
  sweepAfterMs = 1_000,
  batchSize = 200,
  keepSentMs = 24 * 3_600_000,
  leaseMs = 5_000,
}: {
  sql: Sql;
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  sweepAfterMs?: number;
  batchSize?: number;
  keepSentMs?: number;
  leaseMs?: number;
}): OutboxRelay {
  const holder = randomUUID();
  let stopped = false;
  let wake: (() => void) | null = null;
  let lastPurge = 0;
  let holdingLease = false;
  /** The ids of the rows the fast path has queued or is publishing: the sweep leaves them alone. */
  const inHand = new Set<string>();
  let queued: OutboxRow[] = [];
  let draining: Promise<void> | null = null;

  /**
   * Consecutive rows of one topic (and one trace) go in one produce request, in order; each request's rows are
   * stamped with its acknowledgement. The send runs in the rows' trace, so Kafka's headers carry it on: untraced rows
   * (tracing off, or not sampled) still leave in batches.
   */
  async function publish(rows: OutboxRow[]) {
    for (let start = 0; start < rows.length;) {
      let end = start;
      const { topic, traceparent } = rows[start]!;
      while (end < rows.length && rows[end]!.topic === topic && rows[end]!.traceparent === traceparent) end++;
      const run = rows.slice(start, end);
      await withTraceparent(traceparent, () =>
        bus.publishBatch(
          topic,
          run.map((row) => ({ key: row.key, payload: row.payload })),
        ),
      );
      await markSent(run, new Date());
      start = end;
    }
  }

  const markSent = (rows: OutboxRow[], ackedAt: Date) =>
    sql.raw(`update "chat"."outbox" set sent_at = ? where id = any(?::bigint[]) and sent_at is null`, [ackedAt, rows.map((r) => r.id)]);

  /** Publishes what is queued, one publish at a time, until nothing is; a failure leaves its rows to the sweep. */
  async function drain() {
    // Rows committed in the same turn of the event loop leave together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queued.length > 0) {
      const rows = queued;
      queued = [];
      try {
        await publish(rows);
      } catch (error) {
        logger.warn({ err: error, rows: rows.length }, 'outbox rows not published at once; the sweep will');
      } finally {
        for (const row of rows) inHand.delete(row.id);
      }
    }
    draining = null;
  }

  /** Takes the sweep's lease, or renews it; false while another relay holds it. One statement, on the database's clock. */
  async function takeLease(): Promise<boolean> {
    const { rows } = await sql.raw(
      `insert into "chat"."outbox_lease" (name, holder, expires_at) values (?, ?, clock_timestamp() + make_interval(secs => ?))
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where "outbox_lease".holder = excluded.holder or "outbox_lease".expires_at < clock_timestamp()
       returning holder`,
      [SWEEP_LEASE, holder, leaseMs / 1_000],
    );
    holdingLease = rows.length > 0;
    return holdingLease;
  }

  async function releaseLease() {
    if (!holdingLease) return;
    holdingLease = false;
    await sql.raw(`delete from "chat"."outbox_lease" where name = ? and holder = ?`, [SWEEP_LEASE, holder]);
  }

  async function sweepBatch(): Promise<number> {
    const due = new Date(Date.now() - sweepAfterMs);
    const others = [...inHand];
    // Nearly always nothing is left behind: one indexed read every poll, and the lease only when there is work.
    const { rows: waiting } = await sql.raw(
      `select 1 from "chat"."outbox" where sent_at is null and created_at < ? and id <> all(?::bigint[]) limit 1`,
      [due, others],
    );
    if (waiting.length === 0) {
      await releaseLease();
      return 0;
    }
    if (!(await takeLease())) return 0;
    const rows: OutboxRow[] = (
      await sql.raw(
        `select id, topic, key, payload, traceparent from "chat"."outbox" where sent_at is null and created_at < ? and id <> all(?::bigint[])
         order by id limit ?`,
        [due, others, batchSize],
      )
    ).rows;
    if (rows.length === 0) return 0;
    // Renewed while Kafka takes its time; were it lost anyway, another relay would publish these rows again, a duplicate only.
    const heartbeat = setInterval(() => void takeLease().catch(() => undefined), leaseMs / 3);
    try {
      await publish(rows);
    } finally {
      clearInterval(heartbeat);
    }
    return rows.length;
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
      const delay = failures > 0 ? Math.min(MAX_RETRY_DELAY_MS, pollMs * 2 ** failures) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    // Given up at once rather than left to lapse, so another replica can sweep straight away.
    await releaseLease().catch((error: unknown) => logger.warn({ err: error }, 'outbox lease not released; it lapses on its own'));
  })();

  return {
    sendCommitted(rows) {
      if (stopped || inHand.size + rows.length > MAX_IN_HAND) return;
      queued.push(...rows);
      for (const row of rows) inHand.add(row.id);
      draining ??= drain();
    },
    async stop() {
      stopped = true;
      wake?.();
      await Promise.all([loop, draining]);
    },
  };
}
