import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisClient } from '@parley/pubsub';
import type { Clock, Logger } from '@parley/runtime';
import { createSkipAheadClock, startSubgraphUnderTest } from '@parley/testing';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { UsageRecord } from '../../src/entities/usage-record';
import { modelsSubgraph, type ModelsService } from '../../src/server';

export interface ModelsHarness {
  v1Url: string;
  /** What Parley's own callers (the gateway) present on /graphql: the subgraph answers nobody else. */
  internalHeaders: Record<string, string>;
  service: ModelsService;
  /** The official SDK, calling as Parley's chat worker does: internal token, acting for `userId`. */
  client(userId?: string, headers?: Record<string, string>): OpenAI;
  usage(): Promise<UsageRecord[]>;
  /** Drains the service as SIGTERM does; its records stay readable until `stop`. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One models service on port 0, on real PostgreSQL and Redis when they are
 * configured (CI) or a suite gives its own Redis, otherwise on PGlite and
 * in-memory budgets and cache. Its
 * clock runs with real time from noon of a fixed day (no budget day ends
 * mid-suite); a suite that waits out a window passes its own clock and skips it.
 */
export async function startModelsHarness(
  models: object,
  settings: Record<string, string> = {},
  {
    clock = createSkipAheadClock(),
    redisUrl = process.env.DATABASE_URL ? process.env.REDIS_URL : undefined,
    logger,
  }: {
    clock?: Clock;
    /** A Redis of the suite's own (one it stops, say); by default the configured one, on real PostgreSQL. */
    redisUrl?: string;
    logger?: Logger;
  } = {},
): Promise<ModelsHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-models-'));
  const configPath = join(dir, 'models.yaml');
  writeFileSync(configPath, stringify(models));
  const redis = redisUrl ? createRedisClient(redisUrl) : null;
  const internalToken = randomBytes(32).toString('base64');
  const subgraph = await startSubgraphUnderTest(modelsSubgraph, {
    databaseServerUrl: redis ? process.env.DATABASE_URL : undefined,
    redis,
    clock,
    ...(logger ? { logger } : {}),
    poolMax: 4,
    settings: { MODELS_CONFIG: configPath, INTERNAL_SERVICE_TOKEN: internalToken, FAKE_API_KEY: 'sk-fake', ...settings },
  }).catch(async (error: unknown) => {
    await redis?.quit();
    throw error;
  });
  const v1Url = subgraph.url.replace('/graphql', '/v1');
  const defaultUser = randomUUID();
  return {
    v1Url,
    internalHeaders: subgraph.internalHeaders,
    service: subgraph.service,
    client: (userId = defaultUser, headers = {}) =>
      new OpenAI({ baseURL: v1Url, apiKey: internalToken, maxRetries: 0, defaultHeaders: { 'x-parley-user-id': userId, ...headers } }),
    usage: () => subgraph.orm.em.fork().find(UsageRecord, {}, { orderBy: { createdAt: 'asc' }, connectionType: 'write' }),
    drain: () => subgraph.drain(),
    async stop() {
      await subgraph.stop();
      await redis?.quit().catch(() => undefined);
    },
  };
}

/**
 * A deployment entry for the fake upstream. Its timeout is a ceiling a busy
 * machine never reaches; a test of timeouts sets its own, far below what its
 * fake takes.
 */
export function fakeDeployment(id: string, baseUrl: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    model: 'fake/chat',
    displayName: 'Fake chat',
    provider: 'openai',
    baseUrl,
    apiKeyEnv: 'FAKE_API_KEY',
    upstreamModel: 'upstream-model',
    contextWindow: 1_000,
    inputPricePerMTok: 2,
    outputPricePerMTok: 10,
    timeoutMs: 10_000,
    ...overrides,
  };
}

/** Streams a reply as the chat worker asks for one, and answers its text once the stream has ended. */
export async function streamedText(client: OpenAI, content: string, model = 'fake/chat'): Promise<string> {
  const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}
