import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { chatSubgraph, type ChatService } from '@parley/chat';
import { createOrm } from '@parley/database';
import { createRedisMessageStreamLog, type MessageStreamLog } from '@parley/message-stream';
import { createRedisClient, createRedisPubSub } from '@parley/pubsub';
import { INTERNAL_CREDENTIAL_HEADER, loadConfig, systemClock, type Logger, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition } from '@parley/service-host';
import {
  captureLogs,
  createTestDatabase,
  freePort,
  inMemoryDependencies,
  startServiceProcess,
  uniqueName,
  waitUntilReady,
  type ServiceProcess,
  type TestDatabase,
} from '@parley/testing';
import { usersSubgraph, type UsersService } from '@parley/users';
import { startEmbeddedPlatform } from '../embedded-platform';

export interface PlatformUnderTest {
  mode: 'services' | 'embedded';
  /** The first gateway's /graphql URL. */
  url: string;
  /** Every gateway's /graphql URL (services mode can start several sharing Redis). */
  gatewayUrls: string[];
  subgraphUrls: Record<string, string>;
  /** In-process handles on the same database, for fixtures. */
  users: UsersService;
  chat: ChatService;
  /** Each process's /metrics by process name: every service and worker in services mode, the one process embedded. */
  metricsUrls: Record<string, string>;
  /** The service processes (services mode), to stop or kill one. */
  processes: Record<string, ServiceProcess>;
  /**
   * Services mode: starts a (killed) process again, as it was first started (with `settings` on top: a benchmark
   * comparing two configurations of the same processes), and waits until it is ready.
   */
  restart(name: string, settings?: Record<string, string>): Promise<void>;
  /** Services mode: the Kafka topic and Redis prefix of this run ('' in embedded mode). */
  namespace: string;
  /** Services mode: the run's own PostgreSQL database, or the one `databaseUrl` gave (null in embedded mode). */
  databaseUrl: string | null;
  /** Everything every service logged so far. */
  logs(): string;
  /** What Parley's services present to each other (e.g. the chat worker to the models API). */
  internalServiceToken: string;
  /** That token as a subgraph's /graphql wants it (`x-parley-internal`), as the gateway sends it: spread into a request's headers. */
  internalHeaders: Record<string, string>;
  /** The replies' event streams, as workers write them and gateways read them. */
  messageStreams: MessageStreamLog;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** Service settings by variable name, e.g. { LOGIN_ATTEMPTS_PER_ACCOUNT: '5' }. */
  settings?: Record<string, string>;
  gateways?: number;
  /** Services mode: how many chat worker processes (default 1). */
  workers?: number;
  /**
   * Services mode: chat processes (default 1). The gateway routes to the first, named "chat"; the others
   * ("chat-2", …) share its database and run their own outbox relays, as replicas behind a balancer would.
   */
  chatReplicas?: number;
  /** Services mode: translation processes (default 1); the others ("translation-2", …) share its database and Redis, and are reached directly through `subgraphUrls`. */
  translationReplicas?: number;
  /** The services' log level (logs() returns what they wrote). */
  logLevel?: string;
  /** Embedded mode only: sees every SQL statement. */
  onQuery?: (sql: string) => void;
  /**
   * Services mode on these servers instead of DATABASE_URL, REDIS_URL and KAFKA_BROKERS: a fault-injection
   * suite's own instances, which it may stop and kill without touching anyone else's.
   */
  services?: RealServices;
  /** 'product': the admission bounds a deployment has (for measuring overload); by default a suite's requests wait for a slot. */
  admission?: 'suite' | 'product';
  /**
   * Services mode: run on this existing database (e.g. one a backup was restored into) instead of creating a fresh
   * one; the services migrate it as they would in production, and `stop()` leaves it in place (its owner drops it).
   */
  databaseUrl?: string;
}

const SUBGRAPHS = ['users', 'chat', 'models', 'translation'] as const;

/**
 * Suites poll and send from one address far faster than any person would; the
 * gateway's rate limits are raised for them unless a suite sets its own (the
 * rate-limit suites build their own gateway, with its windows on a clock they hold).
 */
const SUITE_RATE_LIMITS = { RATE_LIMIT_PER_USER: '1000000', RATE_LIMIT_PER_ADDRESS: '1000000' };

/**
 * Bounds on waiting for another part of the platform that is alive in every
 * suite, raised so a busy machine cannot pass them: a cancelled reply's worker
 * stopping it (past 1.5 s chat closes the reply itself, racing the worker's
 * last delta), and the provider moderation check of a new question (3 s).
 */
const SUITE_PATIENCE = { CANCEL_WORKER_GRACE_MS: '20000', MODERATION_TIMEOUT_MS: '20000' };

/**
 * Suites send bursts (twenty messages at once) on a machine running two of
 * them side by side: a request may wait for its admission slot as long as it
 * needs rather than be refused OVERLOADED after the product's 100 ms. The
 * bounds on requests in progress stay the product's, so admission still runs;
 * the admission suites and bench/overload (`admission: 'product'`) use its
 * real bounds.
 */
const SUITE_ADMISSION = { MAX_QUEUED_REQUESTS: '100000', MAX_QUEUE_WAIT_MS: '60000' };

export interface RealServices {
  /** A server's database URL; the run creates (and drops) a database of its own on that server. */
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
}

export function realServices(): RealServices | null {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
  return DATABASE_URL && REDIS_URL && KAFKA_BROKERS
    ? { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, kafkaBrokers: KAFKA_BROKERS }
    : null;
}

/**
 * The whole platform for an end-to-end suite: in services mode (each service
 * its own process on real PostgreSQL, Redis and Kafka) when those are
 * configured, as in CI; otherwise the embedded platform, so the suite runs
 * anywhere.
 */
export async function startPlatformUnderTest(options: PlatformOptions = {}): Promise<PlatformUnderTest> {
  const real = options.services ?? realServices();
  const capture = captureLogs(options.logLevel ?? 'silent');
  if (!real) {
    if (options.databaseUrl) throw new Error('PlatformOptions.databaseUrl needs services mode (DATABASE_URL, REDIS_URL and KAFKA_BROKERS)');
    const platform = await startEmbeddedPlatform({
      logger: capture.logger,
      port: 0,
      settings: {
        ...SUITE_RATE_LIMITS,
        ...SUITE_PATIENCE,
        ...(options.admission === 'product' ? {} : SUITE_ADMISSION),
        ...options.settings,
      },
      ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    });
    return {
      mode: 'embedded',
      url: platform.url,
      gatewayUrls: [platform.url],
      subgraphUrls: platform.subgraphUrls,
      metricsUrls: { parley: new URL('/metrics', platform.url).toString() },
      users: platform.users,
      chat: platform.chat,
      processes: {},
      restart: async () => {
        throw new Error('Only services mode has processes to restart');
      },
      namespace: '',
      databaseUrl: null,
      logs: () => capture.text(),
      internalServiceToken: platform.internalServiceToken,
      internalHeaders: { [INTERNAL_CREDENTIAL_HEADER]: platform.internalServiceToken },
      messageStreams: platform.messageStreams,
      stop: () => platform.stop(),
    };
  }
  return startServices(real, options, captureLogs('silent').logger);
}

async function startServices(
  real: RealServices,
  {
    settings = {},
    gateways = 1,
    workers = 1,
    chatReplicas = 1,
    translationReplicas = 1,
    logLevel = 'warn',
    admission = 'suite',
    databaseUrl,
  }: PlatformOptions,
  logger: Logger,
): Promise<PlatformUnderTest> {
  const database: TestDatabase = databaseUrl ? { url: databaseUrl, drop: async () => {} } : await createTestDatabase(real.databaseUrl);
  const processes: Record<string, ServiceProcess> = {};
  // What a process printed before it was killed or stopped and started again: a fault's story is in its last words.
  const replaced: string[] = [];
  const orms: MikroORM[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    // A profiled run lets each process exit cleanly, which is when V8 writes its profile.
    await Promise.all(Object.values(processes).map((p) => p.stop(process.env.PARLEY_PROFILE_DIR ? 'SIGTERM' : 'SIGKILL')));
    await Promise.all(closers.map((close) => close()));
    await Promise.all(orms.map((orm) => orm.close()));
    await database.drop();
  };
  try {
    const serviceSettings = {
      USERS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      INTERNAL_SERVICE_TOKEN: randomBytes(32).toString('base64'),
      ...SUITE_RATE_LIMITS,
      ...SUITE_PATIENCE,
      ...(admission === 'suite' ? SUITE_ADMISSION : {}),
      ...settings,
    };
    const ports: Record<string, number> = {};
    for (const name of SUBGRAPHS) ports[name] = await freePort();
    const usersUrl = `http://127.0.0.1:${ports['users']}`;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: real.redisUrl,
      KAFKA_BROKERS: real.kafkaBrokers,
      PARLEY_NAMESPACE: `${uniqueName('t')}.`,
      USERS_URL: usersUrl,
      MODELS_URL: `http://127.0.0.1:${ports['models']}`,
      LOG_LEVEL: logLevel === 'silent' ? 'warn' : logLevel,
      ...serviceSettings,
    };
    const launchers: Record<string, (settings?: Record<string, string>) => Promise<void>> = {};
    const metricsUrls: Record<string, string> = {};
    /** Starts a service process and remembers how, so a test can start it again after killing it. */
    const launch = async (name: string, entry: string, processEnv: Record<string, string>, port: number) => {
      metricsUrls[name] = `http://127.0.0.1:${port}/metrics`;
      launchers[name] = async (settings = {}) => {
        if (processes[name]) replaced.push(processes[name].output());
        processes[name] = startServiceProcess(name, entry, { ...processEnv, ...settings, PORT: String(port) });
        await waitUntilReady(`http://127.0.0.1:${port}/readyz`, processes[name]!);
      };
      await launchers[name]();
    };
    const start = (name: (typeof SUBGRAPHS)[number]) => launch(name, `subgraphs/${name}/src/index.ts`, env, ports[name]!);
    // users first: it creates the signing key the others verify with.
    await start('users');
    await Promise.all(SUBGRAPHS.filter((n) => n !== 'users').map(start));
    for (let i = 2; i <= chatReplicas; i++) await launch(`chat-${i}`, 'subgraphs/chat/src/index.ts', env, await freePort());
    const replicaUrls: Record<string, string> = {};
    for (let i = 2; i <= translationReplicas; i++) {
      const port = await freePort();
      await launch(`translation-${i}`, 'subgraphs/translation/src/index.ts', env, port);
      replicaUrls[`translation-${i}`] = `http://127.0.0.1:${port}/graphql`;
    }
    await Promise.all(
      Array.from({ length: workers }, async (_, i) => {
        const port = await freePort();
        const name = `chat-worker-${i + 1}`;
        await launch(name, 'subgraphs/chat/src/worker.ts', env, port);
      }),
    );
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((n) => [n, `http://127.0.0.1:${ports[n]}/graphql`]));
    const gatewayUrls: string[] = [];
    await Promise.all(
      Array.from({ length: gateways }, async (_, i) => {
        const port = await freePort();
        const name = `gateway-${i + 1}`;
        await launch(
          name,
          'gateway/src/index.ts',
          {
            ...env,
            SUPERGRAPH_PATH: 'supergraph.graphql',
            SUBGRAPH_URLS: Object.entries(subgraphUrls)
              .map(([n, u]) => `${n}=${u}`)
              .join(','),
          },
          port,
        );
        gatewayUrls[i] = `http://127.0.0.1:${port}/graphql`;
      }),
    );

    /** A subgraph built in this process on the same database, for fixtures only (it never listens). */
    const inProcess = async <T extends { server: SubgraphServer }, S>(definition: SubgraphDefinition<T, S>): Promise<T> => {
      const orm = await createOrm({
        schema: definition.schemaName,
        entities: definition.entities,
        migrations: [],
        logger,
        url: database.url,
        poolMax: 2,
      });
      orms.push(orm);
      return definition.create(
        inMemoryDependencies({
          orm,
          logger,
          clock: systemClock,
          jwksUrl: `${usersUrl}/.well-known/jwks.json`,
          internalToken: serviceSettings.INTERNAL_SERVICE_TOKEN,
        }),
        // Fixtures only: the chat process under test relays the outbox, not this handle.
        loadConfig(definition.settings, { ...serviceSettings, MODELS_URL: env.MODELS_URL, OUTBOX_RELAY: 'off' }),
      );
    };
    return {
      mode: 'services',
      url: gatewayUrls[0]!,
      gatewayUrls,
      subgraphUrls: { ...subgraphUrls, ...replicaUrls },
      metricsUrls,
      users: await inProcess(usersSubgraph),
      chat: await inProcess(chatSubgraph),
      processes,
      restart: async (name, settings) => {
        if (!launchers[name]) throw new Error(`No process named ${name}`);
        await launchers[name](settings);
      },
      namespace: env.PARLEY_NAMESPACE,
      databaseUrl: database.url,
      internalServiceToken: serviceSettings.INTERNAL_SERVICE_TOKEN,
      internalHeaders: { [INTERNAL_CREDENTIAL_HEADER]: serviceSettings.INTERNAL_SERVICE_TOKEN },
      messageStreams: await redisMessageStreams(real.redisUrl, env.PARLEY_NAMESPACE, closers),
      logs: () => [...replaced, ...Object.values(processes).map((p) => p.output())].join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The services' message stream log, read and written from the test process (its own Redis connections). */
async function redisMessageStreams(url: string, namespace: string, closers: (() => Promise<unknown>)[]): Promise<MessageStreamLog> {
  // A suite may take Redis away (the fault suite does): these reconnect quietly, as the services' connections do.
  const redis = createRedisClient(url);
  const pubsub = await createRedisPubSub({ url, prefix: namespace });
  closers.push(
    () => redis.quit(),
    () => pubsub.close(),
  );
  return createRedisMessageStreamLog({ redis, pubsub, namespace });
}
