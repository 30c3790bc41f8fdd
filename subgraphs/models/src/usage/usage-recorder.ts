import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Topics, type EventBus } from '@parley/events';
import type { Logger } from '@parley/runtime';
import { UsageRecord, type UsageOutcome } from '../entities/usage-record';

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

/** Stores one usage record per request and announces it on `usage.recorded` for reconciliation. */
export function createUsageRecorder({ orm, bus, logger, now }: { orm: MikroORM; bus: EventBus; logger: Logger; now: () => Date }) {
  return {
    async record(entry: UsageEntry): Promise<UsageRecord> {
      const record = Object.assign(new UsageRecord(), entry, { id: randomUUID(), createdAt: now() });
      await orm.em.fork().persistAndFlush(record);
      try {
        await bus.publish(Topics.usageRecorded, entry.userId, {
          userId: entry.userId,
          apiKeyId: entry.apiKeyId,
          messageId: entry.messageId,
          model: entry.model,
          deployment: entry.deployment,
          promptTokens: entry.promptTokens,
          completionTokens: entry.completionTokens,
          costUsd: entry.costUsd,
          recordedAt: record.createdAt.toISOString(),
        });
      } catch (error) {
        // The record is stored; the event is for reconciliation and may be replayed from the table.
        logger.warn({ err: error, usageRecordId: record.id }, 'usage.recorded could not be published');
      }
      return record;
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;
