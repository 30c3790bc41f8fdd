import { EntitySchema } from '@mikro-orm/postgresql';

export const USAGE_OUTCOMES = ['ok', 'error', 'cancelled', 'cached'] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/** One model request: who, which model and deployment, how many tokens, what it cost, how it went. */
export class UsageRecord {
  id!: string;
  userId!: string;
  apiKeyId: string | null = null;
  /** The chat message this reply belongs to, when chat asked. */
  messageId: string | null = null;
  model!: string;
  deployment!: string;
  promptTokens!: number;
  completionTokens!: number;
  costUsd!: number;
  latencyMs!: number;
  timeToFirstTokenMs: number | null = null;
  outcome!: UsageOutcome;
  /**
   * The later attempt at the same message that replaced this one (a reply resumed after its worker died): this
   * record's tokens and cost are kept, but no longer charged to the user nor shown in their usage.
   */
  supersededBy: string | null = null;
  createdAt!: Date;
}

export const UsageRecordSchema = new EntitySchema<UsageRecord>({
  class: UsageRecord,
  tableName: 'usage_record',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid' },
    apiKeyId: { type: 'uuid', nullable: true },
    messageId: { type: 'uuid', nullable: true },
    model: { type: 'string' },
    deployment: { type: 'string' },
    promptTokens: { type: 'integer' },
    completionTokens: { type: 'integer' },
    costUsd: { type: 'double' },
    latencyMs: { type: 'integer' },
    timeToFirstTokenMs: { type: 'integer', nullable: true },
    outcome: { type: 'string' },
    supersededBy: { type: 'uuid', nullable: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
