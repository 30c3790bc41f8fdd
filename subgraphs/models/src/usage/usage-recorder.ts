import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Topics, type EventBus } from '@parley/events';
import type { Logger } from '@parley/runtime';
import type { UsageOutcome } from '../entities/usage-record';

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
  'created_at',
];

/**
 * One usage record per request in PostgreSQL and one `usage.recorded` event
 * per request on Kafka, written in small batches: one INSERT and one produce
 * request for everything that finished within `flushMs`, instead of one of
 * each per reply (per-reply writes cost more CPU than routing the reply).
 * Each caller still waits for its own record to be stored; budgets are already
 * settled in Redis by then.
 */
export function createUsageRecorder({
  orm,
  bus,
  logger,
  now,
  flushMs = 20,
  maxBatch = 500,
}: {
  orm: MikroORM;
  bus: EventBus;
  logger: Logger;
  now: () => Date;
  flushMs?: number;
  maxBatch?: number;
}): UsageRecorder {
  let pending: { entry: UsageEntry; id: string; at: Date; done: () => void; failed: (error: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function write(batch: typeof pending) {
    try {
      const values = batch.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
      const params = batch.flatMap(({ entry: e, id, at }) => [
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
        at,
      ]);
      await orm.em
        .getConnection('write')
        .execute(`insert into "models"."usage_record" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${values}`, params, 'run');
    } catch (error) {
      for (const item of batch) item.failed(error);
      return;
    }
    try {
      await bus.publishBatch(
        Topics.usageRecorded,
        batch.map(({ entry: e, at }) => ({
          key: e.userId,
          payload: {
            userId: e.userId,
            apiKeyId: e.apiKeyId,
            messageId: e.messageId,
            model: e.model,
            deployment: e.deployment,
            promptTokens: e.promptTokens,
            completionTokens: e.completionTokens,
            costUsd: e.costUsd,
            recordedAt: at.toISOString(),
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
        pending.push({ entry, id: randomUUID(), at: now(), done, failed });
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
