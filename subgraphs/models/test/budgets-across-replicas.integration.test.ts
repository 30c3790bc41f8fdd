import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaBus, Topics, type EventBus, type UsageRecorded } from '@parley/events';
import {
  captureLogs,
  createTestDatabase,
  freePort,
  servicesEnv,
  startServiceProcess,
  uniqueName,
  waitUntilReady,
  type ServiceProcess,
  type TestDatabase,
} from '@parley/testing';
import OpenAI, { type APIError } from 'openai';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '@parley/testing';
import { fakeDeployment } from './support/models-harness';

describe('budgets hold across two models replicas sharing Redis', () => {
  const real = servicesEnv();
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let database: TestDatabase;
  let bus: EventBus;
  const replicas: ServiceProcess[] = [];
  const urls: string[] = [];
  const events: UsageRecorded[] = [];
  const internalToken = randomBytes(32).toString('base64');
  const prefix = `${uniqueName('t')}.`;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['A', ' priced', ' reply'] });
    database = await createTestDatabase(real.databaseUrl);
    const dir = mkdtempSync(join(tmpdir(), 'parley-models-'));
    writeFileSync(join(dir, 'models.yaml'), stringify({ deployments: [fakeDeployment('only', upstream.baseUrl)] }));
    bus = await createKafkaBus({
      brokers: real.kafkaBrokers.split(','),
      clientId: 'test',
      logger: captureLogs('silent').logger,
      topicPrefix: prefix,
    });
    await bus.subscribe({
      topic: Topics.usageRecorded,
      group: 'reconciliation-test',
      handle: async (event) => void events.push(event.payload),
    });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const replica = startServiceProcess(`models-${i + 1}`, 'subgraphs/models/src/index.ts', {
        DATABASE_URL: database.url,
        REDIS_URL: real.redisUrl,
        KAFKA_BROKERS: real.kafkaBrokers,
        KAFKA_TOPIC_PREFIX: prefix,
        PORT: String(port),
        MODELS_CONFIG: join(dir, 'models.yaml'),
        FAKE_API_KEY: 'sk-fake',
        INTERNAL_SERVICE_TOKEN: internalToken,
        DEFAULT_DAILY_BUDGET_USD: '0.0002',
      });
      replicas.push(replica);
      await waitUntilReady(`http://127.0.0.1:${port}/readyz`, replica);
      urls.push(`http://127.0.0.1:${port}/v1`);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await bus?.close();
    await database?.drop();
    await upstream?.close();
  });

  it('lets a user spend up to the limit in total, whichever replica serves each request, and announces each usage', async () => {
    const user = randomUUID();
    const client = (i: number) =>
      new OpenAI({ baseURL: urls[i % 2], apiKey: internalToken, maxRetries: 0, defaultHeaders: { 'x-parley-user-id': user } });
    const request = { model: 'fake/chat', messages: [{ role: 'user' as const, content: 'Budget?' }], max_tokens: 5 };
    for (let i = 0; i < 3; i++) await client(i).chat.completions.create(request);
    for (let i = 3; i < 5; i++) {
      const refused = (await client(i)
        .chat.completions.create(request)
        .catch((e: unknown) => e)) as APIError;
      expect(refused.status, `request ${i + 1} on replica ${(i % 2) + 1}`).toBe(429);
      expect(refused.code).toBe('budget_exceeded');
    }
    expect(upstream.requests).toHaveLength(3);
    await expect.poll(() => events.filter((e) => e.userId === user).length, { timeout: 15_000 }).toBe(3);
    for (const event of events) {
      expect(event).toMatchObject({ model: 'fake/chat', deployment: 'only', promptTokens: 11, completionTokens: 3 });
      expect(event.costUsd).toBeCloseTo(0.000052, 12);
    }
  }, 60_000);
});
