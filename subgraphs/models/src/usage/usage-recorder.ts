import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sqlOn } from '@parley/database';
import { Topics, type EventBus } from '@parley/events';
import type { Logger } from '@parley/runtime';
import type { UsageOutcome } from '../entities/usage-record';
import type { Budgets } from './budgets';

export interface UsageEntry {
  userId: string;
  apiKeyId: string | null;
  messageId: string | null;
  model: string;
  deployment: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  outcome: UsageOutcome;
}

export interface UsageRecorder {
  /** Resolves once the record is stored (and its event published). */
  record(entry: UsageEntry): Promise<void>;
  /** Writes whatever is waiting; called on shutdown. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const COLUMNS = [
  'id',
  'user_id',
  'api_key_id',
  'message_id',
  'model',
  'deployment',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'latency_ms',
  'time_to_first_token_ms',
  'outcome',
  'superseded_by',
  'created_at',
];

interface Pending {
  entry: UsageEntry;
  id: string;
  at: Date;
  /** Set when a later record of the same batch, for the same message, replaces this one. */
  supersededBy: string | null;
  done: () => void;
  failed: (error: unknown) => void;
}

/** A record a later attempt at its message replaced: its charge goes back to the user's budget. */
interface Superseded {
  id: string;
  userId: string;
  costUsd: number;
  startedAt: Date;
  by: string;
}

/**
 * One usage record per request in PostgreSQL and one `usage.recorded` event
 * per request on Kafka, written in small batches: one INSERT and one produce
 * request for everything that finished within `flushMs`, instead of one of
 * each per reply (per-reply writes cost more CPU than routing the reply).
 * Each caller still waits for its own record to be stored; budgets are already
 * settled in Redis by then.
 *
 * A chat message is charged once, however many attempts it took: the record of
 * the latest attempt at a message (the one recorded last) supersedes every
 * earlier record of it — a reply resumed after its worker died or drained asks
 * the model again for the whole text, of which the user is shown the part they
 * had not seen. A superseded record keeps its tokens and cost (the provider
 * billed them) and names its successor; its cost is released from the user's
 * budget, and usage reports leave it out. Records of one message are written
 * one batch at a time across replicas (an advisory lock per message id), so
 * two attempts ending together cannot both stay charged.
 */
export function createUsageRecorder({
  orm,
  bus,
  budgets,
  logger,
  now,
  flushMs = 20,
  maxBatch = 500,
}: {
  orm: MikroORM;
  bus: EventBus;
  budgets: Pick<Budgets, 'release'>;
  logger: Logger;
  now: () => Date;
  flushMs?: number;
  maxBatch?: number;
}): UsageRecorder {
  const sql = sqlOn(orm.em.getConnection('write'));
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Inserts the batch and marks the earlier records of its messages superseded; returns those. */
  async function insert(batch: Pending[]): Promise<Superseded[]> {
    const latest = new Map<string, Pending>();
    for (const item of batch) {
      const { messageId, userId } = item.entry;
      if (messageId === null) continue;
      const earlier = latest.get(`${userId}:${messageId}`);
      if (earlier) earlier.supersededBy = item.id;
      latest.set(`${userId}:${messageId}`, item);
    }
    const values = batch.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
    const params = batch.flatMap(({ entry: e, id, at, supersededBy }) => [
      id,
      e.userId,
      e.apiKeyId,
      e.messageId,
      e.model,
      e.deployment,
      e.promptTokens,
      e.completionTokens,
      e.costUsd,
      Math.round(e.latencyMs),
      e.timeToFirstTokenMs === null ? null : Math.round(e.timeToFirstTokenMs),
      e.outcome,
      supersededBy,
      at,
    ]);
    const insertion = `insert into "models"."usage_record" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${values}`;
    const inBatch = batch
      .filter((item) => item.supersededBy !== null)
      .map(({ id, entry, at, supersededBy }) => ({
        id,
        userId: entry.userId,
        costUsd: entry.costUsd,
        startedAt: new Date(at.getTime() - entry.latencyMs),
        by: supersededBy!,
      }));
    if (latest.size === 0) {
      await sql.raw(insertion, params);
      return [];
    }
    const stored = await sql.transaction(async (trx) => {
      // Ordered, so two batches sharing messages take their locks in the same order.
      await trx.raw(
        `select pg_advisory_xact_lock(k) from (select distinct hashtextextended('models.usage:' || m, 0) as k from unnest(?::text[]) m order by k) keys`,
        [[...latest.values()].map((item) => item.entry.messageId!)],
      );
      const { rows } = await trx.raw<{
        id: string;
        userId: string;
        costUsd: number;
        createdAt: string;
        latencyMs: number;
        supersededBy: string;
      }>(
        `with inserted as (${insertion} returning id, user_id, message_id, superseded_by),
         superseded as (
           update "models"."usage_record" earlier set superseded_by = latest.id
           from inserted latest
           where latest.message_id is not null and latest.superseded_by is null
             and earlier.message_id = latest.message_id and earlier.user_id = latest.user_id and earlier.superseded_by is null
           returning earlier.id, earlier.user_id, earlier.cost_usd, earlier.created_at, earlier.latency_ms, earlier.superseded_by
         )
         select id, user_id as "userId", cost_usd as "costUsd", created_at as "createdAt", latency_ms as "latencyMs", superseded_by as "supersededBy"
         from superseded`,
        params,
      );
      return rows.map((r) => ({
        id: r.id,
        userId: r.userId,
        costUsd: r.costUsd,
        startedAt: new Date(new Date(r.createdAt).getTime() - r.latencyMs),
        by: r.supersededBy,
      }));
    });
    return [...inBatch, ...stored];
  }

  async function write(batch: Pending[]) {
    let superseded: Superseded[];
    try {
      superseded = await insert(batch);
    } catch (error) {
      for (const item of batch) item.failed(error);
      return;
    }
    for (const record of superseded) {
      if (record.costUsd <= 0) continue;
      await budgets.release(record.userId, record.costUsd, record.startedAt).catch((error: unknown) =>
        // The user stays charged for both attempts until the period ends; the records say what the charge should be.
        logger.error(
          { err: error, userId: record.userId, recordId: record.id },
          'a superseded attempt could not be released from the budget',
        ),
      );
    }
    try {
      await bus.publishBatch(
        Topics.usageRecorded,
        batch.map(({ entry: e, id, at }) => ({
          key: e.userId,
          payload: {
            recordId: id,
            userId: e.userId,
            apiKeyId: e.apiKeyId,
            messageId: e.messageId,
            model: e.model,
            deployment: e.deployment,
            promptTokens: e.promptTokens,
            completionTokens: e.completionTokens,
            costUsd: e.costUsd,
            recordedAt: at.toISOString(),
            supersedes: superseded.filter((s) => s.by === id).map((s) => s.id),
          },
        })),
      );
    } catch (error) {
      // The records are stored; the events are for reconciliation and can be rebuilt from the table.
      logger.warn({ err: error, records: batch.length }, 'usage.recorded could not be published');
    }
    for (const item of batch) item.done();
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return writing;
    const batch = pending;
    pending = [];
    // One batch at a time keeps the INSERTs and the Kafka sends in completion order.
    writing = writing.then(() => write(batch));
    return writing;
  }

  return {
    record(entry) {
      return new Promise<void>((done, failed) => {
        pending.push({ entry, id: randomUUID(), at: now(), supersededBy: null, done, failed });
        if (pending.length >= maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), flushMs);
      });
    },
    flush,
    async stop() {
      await flush();
    },
  };
}
