import { resolve } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createRevokedSessions, remoteAccessTokenVerifier } from '@parley/auth';
import { chatSubgraph, startChatWorkerFrom, type ChatService } from '@parley/chat';
import { createOrm, migrate, pingDatabase, startEmbeddedPostgres } from '@parley/database';
import { createInProcessBus, reportConsumerLag } from '@parley/events';
import { createInMemoryMessageStreamLog, type MessageStreamLog } from '@parley/message-stream';
import { modelsSubgraph, type ModelsService } from '@parley/models';
import { createInMemoryPubSub } from '@parley/pubsub';
import {
  loadConfig,
  metricsSettings,
  systemClock,
  type Clock,
  type Logger,
  type ReadinessCheck,
  type SubgraphServer,
} from '@parley/runtime';
import { drainSubgraph, type SubgraphDefinition, type SubgraphService } from '@parley/service-host';
import { createMetrics } from '@parley/telemetry';
import { translationSubgraph } from '@parley/translation';
import { usersSubgraph, type UsersService } from '@parley/users';
import { z } from 'zod';
import { makeDataDirectoryPrivate } from './embedded-data-dir';
import { embeddedSecret } from './embedded-secrets';
import { assembleGateway, createMemoryRateLimiter, gatewayProtectionFrom, gatewayProtectionSettingsSchema } from '@parley/gateway';
import { composeSupergraph, readSupergraphConfig } from '@parley/composition';

export interface EmbeddedPlatformOptions {
  logger: Logger;
  /** Where PostgreSQL keeps its files; omitted, everything lives in memory (tests). */
  dataDir?: string;
  /** Gateway port; subgraphs take the next four. 0 puts every service on an ephemeral port. */
  port?: number;
  host?: string;
  clock?: Clock;
  auth?: { issuer: string; audience: string };
  /** Sees every SQL statement (tests count queries). */
  onQuery?: (sql: string) => void;
  /**
   * Service settings by environment-variable name (e.g. OIDC_PROVIDERS,
   * ADMIN_EMAILS), as services mode reads them; embedded mode reads no
   * environment of its own.
   */
  settings?: Record<string, string>;
  /** The web client's build the gateway serves at / (`npm run build -w web`); the repository's web/dist unless given. */
  webClientDir?: string;
}

export interface EmbeddedPlatform {
  url: string;
  subgraphUrls: Record<string, string>;
  users: UsersService;
  chat: ChatService;
  models: ModelsService;
  /** What Parley's own services present to each other (e.g. to the models API). */
  internalServiceToken: string;
  /** The replies' event streams the chat worker writes and the gateway's subscriptions read. */
  messageStreams: MessageStreamLog;
  stop(): Promise<void>;
}

const repositoryRoot = resolve(import.meta.dirname, '../..');

/**
 * Every Parley service in one process: PGlite for PostgreSQL, an in-process bus
 * for Kafka and pub/sub for Redis. The services are built by the same factories
 * and talk over the same HTTP as in services mode; only the infrastructure
 * behind the interfaces differs.
 */
export async function startEmbeddedPlatform({
  logger,
  dataDir,
  port = 4000,
  host = '127.0.0.1',
  clock = systemClock,
  auth = { issuer: 'parley', audience: 'parley-api' },
  onQuery,
  settings = {},
  webClientDir,
}: EmbeddedPlatformOptions): Promise<EmbeddedPlatform> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => logger.warn({ err: error }, 'stop step failed'));
  };
  try {
    // Before anything reads or writes there: the database's files and the secrets are this user's alone.
    if (dataDir) makeDataDirectoryPrivate(resolve(dataDir), logger);
    const postgres = await startEmbeddedPostgres(dataDir ? { dataDir: resolve(dataDir, 'postgres') } : {});
    stops.push(() => postgres.stop());
    const bus = createInProcessBus({ logger });
    const pubsub = createInMemoryPubSub();
    const messageStreams = createInMemoryMessageStreamLog();
    stops.push(() => bus.close());

    const portOf = (offset: number) => (port === 0 ? 0 : port + offset);
    const subgraphUrls: Record<string, string> = {};
    // The gateway asks these subgraphs in-process; their ports still serve everything else (JWKS, /v1), and /graphql
    // to Parley's own callers only (INTERNAL_SERVICE_TOKEN, generated below like the other embedded secrets).
    const inProcessSubgraphs: Record<string, SubgraphServer> = {};
    const infrastructure = { bus, pubsub, messageStreams, redis: null, namespace: '' };
    let chatOrm: MikroORM | undefined;
    let jwksUrl = '';
    // One set of ended sessions for every embedded service and the gateway: users adds to it, everyone checks it.
    const revokedSessions = createRevokedSessions({ pubsub, redis: null, namespace: '', logger, now: () => clock.now().getTime() });
    await revokedSessions.start();
    stops.push(() => revokedSessions.close());
    // One verifier for every embedded service: it fetches the users service's keys on first use, by when users listens.
    const verifier = remoteAccessTokenVerifier({ ...auth, jwksUrl: () => jwksUrl, now: () => clock.now(), revokedSessions });

    const environment: Record<string, string> = {
      USERS_KEY_ENCRYPTION_KEY: embeddedSecret(dataDir, 'users-key-encryption'),
      INTERNAL_SERVICE_TOKEN: embeddedSecret(dataDir, 'internal-service-token'),
      ...settings,
    };

    // One set of metrics for every service of this process, served on the gateway's port (and on each subgraph's).
    const telemetry = {
      metrics: createMetrics({ service: 'parley', onError: (error) => logger.warn({ err: error }, 'a metrics refresh failed') }),
      scrapeToken: loadConfig(z.object(metricsSettings), environment).METRICS_TOKEN,
    };

    reportConsumerLag(bus, telemetry.metrics);

    async function start<T extends SubgraphService, S>(definition: SubgraphDefinition<T, S>, offset: number): Promise<T> {
      const serviceLogger = logger.child({ service: definition.name });
      const orm: MikroORM = await createOrm({
        schema: definition.schemaName,
        entities: definition.entities,
        migrations: definition.migrations,
        logger: serviceLogger,
        session: postgres.session,
        ...(onQuery && { onQuery }),
      });
      await migrate(orm);
      if (definition.name === 'chat') chatOrm = orm;
      const readiness: ReadinessCheck[] = [{ name: 'postgres', address: 'embedded', check: () => pingDatabase(orm) }];
      const service = await definition.create(
        {
          orm,
          bus,
          pubsub,
          messageStreams,
          redis: null,
          namespace: '',
          logger: serviceLogger,
          clock,
          auth,
          verifier,
          revokedSessions,
          internalToken: environment.INTERNAL_SERVICE_TOKEN!,
          readiness,
          // Counted in the shared registry, served on the gateway's port only: a scrape of every port would count twice.
          telemetry: { ...telemetry, serve: false },
        },
        loadConfig(definition.settings, environment),
      );
      const listening = await service.server.listen(portOf(offset), host);
      stops.push(() => drainSubgraph(service, listening));
      subgraphUrls[definition.name] = listening.url;
      inProcessSubgraphs[listening.url] = service.server;
      return service;
    }

    const users = await start(usersSubgraph, 1);
    jwksUrl = new URL('/.well-known/jwks.json', subgraphUrls['users']).toString();
    environment.USERS_URL = new URL('/', subgraphUrls['users']).toString();
    // Models first: chat refuses unknown models at sendMessage, and its worker streams from models.
    const models = await start(modelsSubgraph, 3);
    environment.MODELS_URL = new URL('/', subgraphUrls['models']).toString();
    const chat = await start(chatSubgraph, 2);
    const worker = await startChatWorkerFrom(
      {
        ...infrastructure,
        orm: chatOrm!,
        logger: logger.child({ service: 'chat-worker' }),
        clock,
        auth,
        verifier,
        revokedSessions,
        internalToken: environment.INTERNAL_SERVICE_TOKEN!,
        readiness: [],
        telemetry,
      },
      loadConfig(chatSubgraph.settings, environment),
    );
    stops.push(() => worker.stop());
    await start(translationSubgraph, 4);

    const { supergraphSdl } = composeSupergraph(readSupergraphConfig(resolve(repositoryRoot, 'supergraph.yaml')), subgraphUrls);
    const gateway = await assembleGateway({
      supergraphSdl,
      logger: logger.child({ service: 'gateway' }),
      usersUrl: environment.USERS_URL,
      internalToken: environment.INTERNAL_SERVICE_TOKEN!,
      auth,
      clock,
      readiness: [],
      messageStreams,
      revokedSessions,
      modelsUrl: environment.MODELS_URL!,
      protection: gatewayProtectionFrom(loadConfig(gatewayProtectionSettingsSchema, environment)),
      // The platform's clock, as every service has it: rate-limit windows move with it.
      rateLimiter: createMemoryRateLimiter({ now: () => clock.now().getTime() }),
      inProcessSubgraphs,
      telemetry,
      ...(webClientDir !== undefined && { webClientDir }),
    });
    const listening = await gateway.listen(port, host);
    stops.push(() => listening.close());
    return {
      url: listening.url,
      subgraphUrls,
      users,
      chat,
      models,
      internalServiceToken: environment.INTERNAL_SERVICE_TOKEN,
      messageStreams,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
