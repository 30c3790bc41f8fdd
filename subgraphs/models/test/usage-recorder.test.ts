import { randomUUID } from 'node:crypto';
import { createOrm, migrate, startEmbeddedPostgres, type Database, type EmbeddedPostgres } from '@parley/database';
import { createInProcessBus, Topics, type UsageRecorded } from '@parley/events';
import { captureLogs } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecord } from '../src/entities/usage-record';
import { modelsSubgraph } from '../src/server';
import { createMemoryBudgets, type Budgets } from '../src/usage/budgets';
import { createUsageRecorder, type UsageEntry, type UsageRecorder } from '../src/usage/usage-recorder';

/** The usage recorder on PGlite, with the budgets as completions settles them before each record. */
describe('usage records of several attempts at one message', () => {
  const { logger } = captureLogs('silent');
  const now = () => new Date('2026-12-02T12:00:00Z');
  let postgres: EmbeddedPostgres;
  let orm: Database;
  let budgets: Budgets;
  let recorder: UsageRecorder;
  const events: UsageRecorded[] = [];

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({});
    const { schemaName: schema, entities, migrations } = modelsSubgraph;
    orm = await createOrm({ schema, entities, migrations, logger, session: postgres.session });
    await migrate(orm);
    const bus = createInProcessBus({ logger });
    await bus.subscribe({ topic: Topics.usageRecorded, group: 'test', handle: async (event) => void events.push(event.payload) });
    budgets = createMemoryBudgets({ limits: { dailyUsd: 10, monthlyUsd: 100 }, now });
    recorder = createUsageRecorder({ orm, bus, budgets, logger, now });
  });
  afterAll(async () => {
    await recorder?.stop();
    await postgres?.stop();
  });

  /** What completions does at the end of an attempt: settle its cost, then record it. */
  async function attempt(userId: string, messageId: string | null, costUsd: number, outcome: UsageEntry['outcome']) {
    await budgets.settle(await budgets.reserve(userId, costUsd), costUsd);
    return recorder.record({
      userId,
      apiKeyId: null,
      messageId,
      model: 'fake/chat',
      deployment: 'only',
      promptTokens: 10,
      completionTokens: 5,
      costUsd,
      latencyMs: 100,
      timeToFirstTokenMs: 10,
      outcome,
    });
  }
  const records = (messageId: string) => orm.em.fork().find(UsageRecord, { messageId }, { connectionType: 'write' });

  it('supersedes an attempt recorded in the same batch as the one that replaces it', async () => {
    const [user, message] = [randomUUID(), randomUUID()];
    // Both within one flush window: one INSERT.
    await Promise.all([attempt(user, message, 0.25, 'cancelled'), attempt(user, message, 1, 'ok')]);
    // The test's clock stands still, so the two share a time: they are told apart by how they ended.
    const stored = await records(message);
    const first = stored.find((r) => r.outcome === 'cancelled')!;
    const last = stored.find((r) => r.outcome === 'ok')!;
    expect([first.supersededBy, last.supersededBy]).toEqual([last.id, null]);
    expect((await budgets.spent(user)).dayUsd).toBe(1);
    expect(events.filter((e) => e.messageId === message).map((e) => [e.recordId, e.supersedes])).toEqual([
      [first.id, []],
      [last.id, [first.id]],
    ]);
  });

  it('leaves requests that name no message, and other users, alone', async () => {
    const [user, someoneElse, message] = [randomUUID(), randomUUID(), randomUUID()];
    await attempt(user, null, 0.5, 'ok');
    await attempt(user, null, 0.5, 'ok');
    await attempt(someoneElse, message, 0.5, 'cancelled');
    await attempt(user, message, 1, 'ok');
    expect((await records(message)).map((r) => r.supersededBy)).toEqual([null, null]);
    expect((await budgets.spent(user)).dayUsd).toBe(2);
    expect((await budgets.spent(someoneElse)).dayUsd).toBe(0.5);
  });
});
