import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remoteAccessTokenVerifier } from '@parley/auth';
import { createOrm, migrate, startEmbeddedPostgres } from '@parley/database';
import { createInProcessBus } from '@parley/events';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { createInMemoryPubSub } from '@parley/pubsub';
import { loadConfig, type Clock, type ListeningServer } from '@parley/runtime';
import { captureLogs, createSkipAheadClock, createTestDatabase, uniqueName } from '@parley/testing';
import Redis from 'ioredis';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { UsageRecord } from '../../src/entities/usage-record';
import { modelsSubgraph, type ModelsService } from '../../src/server';

export interface ModelsHarness {
  v1Url: string;
  service: ModelsService;
  /** The official SDK, calling as Parley's chat worker does: internal token, acting for `userId`. */
  client(userId?: string, headers?: Record<string, string>): OpenAI;
  usage(): Promise<UsageRecord[]>;
  stop(): Promise<void>;
}

/**
 * One models service on port 0, on real PostgreSQL and Redis when they are
 * configured (CI), otherwise on PGlite and in-memory budgets and cache. Its
 * clock runs with real time from noon of a fixed day (no budget day ends
 * mid-suite); a suite that waits out a window passes its own clock and skips it.
 */
export async function startModelsHarness(
  models: object,
  settings: Record<string, string> = {},
  { clock = createSkipAheadClock() }: { clock?: Clock } = {},
): Promise<ModelsHarness> {
  const logger = captureLogs('silent').logger;
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'parley-models-'));
    const configPath = join(dir, 'models.yaml');
    writeFileSync(configPath, stringify(models));
    let url: string | undefined;
    let session;
    let redis: Redis | null = null;
    const { DATABASE_URL, REDIS_URL } = process.env;
    if (DATABASE_URL && REDIS_URL) {
      const database = await createTestDatabase(DATABASE_URL);
      stops.push(() => database.drop());
      url = database.url;
      redis = new Redis(REDIS_URL);
      stops.push(() => redis!.quit());
    } else {
      const postgres = await startEmbeddedPostgres({});
      stops.push(() => postgres.stop());
      session = postgres.session;
    }
    const orm = await createOrm({
      schema: 'models',
      entities: modelsSubgraph.entities,
      migrations: modelsSubgraph.migrations,
      logger,
      url,
      session,
      poolMax: 4,
    });
    if (url) stops.push(() => orm.close());
    await migrate(orm);
    const internalToken = randomBytes(32).toString('base64');
    // No users service: nothing here is signed by one (the suites call /v1 with the internal token).
    const auth = { issuer: 'parley', audience: 'parley-api', jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' };
    const service = await modelsSubgraph.create(
      {
        orm,
        bus: createInProcessBus({ logger }),
        pubsub: createInMemoryPubSub(),
        messageStreams: createInMemoryMessageStreamLog(),
        redis,
        namespace: `${uniqueName('t')}:`,
        logger,
        clock,
        auth,
        verifier: remoteAccessTokenVerifier({ ...auth, now: () => clock.now() }),
        readiness: [],
      },
      loadConfig(modelsSubgraph.settings, {
        MODELS_CONFIG: configPath,
        INTERNAL_SERVICE_TOKEN: internalToken,
        FAKE_API_KEY: 'sk-fake',
        ...settings,
      }),
    );
    stops.push(() => service.stop());
    const listening: ListeningServer = await service.server.listen(0);
    stops.push(() => listening.close());
    const v1Url = listening.url.replace('/graphql', '/v1');
    const defaultUser = randomUUID();
    return {
      v1Url,
      service,
      client: (userId = defaultUser, headers = {}) =>
        new OpenAI({ baseURL: v1Url, apiKey: internalToken, maxRetries: 0, defaultHeaders: { 'x-parley-user-id': userId, ...headers } }),
      usage: () => orm.em.fork().find(UsageRecord, {}, { orderBy: { createdAt: 'asc' }, connectionType: 'write' }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
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
