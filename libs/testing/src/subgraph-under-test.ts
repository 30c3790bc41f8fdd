import { randomBytes } from 'node:crypto';
import { createRevokedSessions, remoteAccessTokenVerifier } from '@parley/auth';
import { createOrm, migrate, startEmbeddedPostgres, type Database } from '@parley/database';
import { createInProcessBus } from '@parley/events';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { createInMemoryPubSub } from '@parley/pubsub';
import { INTERNAL_CREDENTIAL_HEADER, loadConfig, type Clock, type Logger } from '@parley/runtime';
import { createMetrics } from '@parley/telemetry';
import { drainSubgraph, type SubgraphDefinition, type SubgraphDependencies, type SubgraphService } from '@parley/service-host';
import { captureLogs } from './log-capture';
import { uniqueName } from './services-env';
import { createTestDatabase } from './test-database';

export interface SubgraphUnderTest<T> {
  /** The first instance, and its GraphQL endpoint. */
  service: T;
  url: string;
  /** The internal credential its /graphql wants (`x-parley-internal`), as the gateway sends it: spread into a request's headers. */
  internalHeaders: Record<string, string>;
  /** Its ORM, on the subgraph's schema, migrated: for reading what the service stored. */
  orm: Database;
  /**
   * One more instance on the same database, Redis and clock, as another replica (or the same service restarted)
   * would be: with the first instance's settings and `settings` over them.
   */
  replica(settings?: Record<string, string>): Promise<{ service: T; url: string; internalHeaders: Record<string, string> }>;
  /** Drains the first instance as its host does on SIGTERM (`drainSubgraph`), leaving the database up to read. */
  drain(): Promise<void>;
  /** Stops every instance, then drops the database. */
  stop(): Promise<void>;
}

/**
 * A subgraph built by its definition's factory, as its host builds it, listening on port 0: its schema migrated in
 * a database of its own (a fresh one on `databaseServerUrl`, otherwise embedded PGlite), events, pub/sub and message
 * streams in memory, Redis when given, and the test's clock. Access tokens are checked against the subgraph's own
 * settings; the users service's JWKS is nowhere (a port nothing listens on), so only the users subgraph can verify
 * tokens here.
 */
export async function startSubgraphUnderTest<TService extends SubgraphService, TSettings>(
  definition: SubgraphDefinition<TService, TSettings>,
  {
    databaseServerUrl,
    settings = {},
    clock,
    redis = null,
    logger = captureLogs('silent').logger,
    poolMax,
  }: {
    /** A PostgreSQL server (DATABASE_URL); without one, PGlite in memory. */
    databaseServerUrl?: string;
    /** The subgraph's own variables, read through its settings schema as at start. */
    settings?: Record<string, string>;
    clock: Clock;
    redis?: SubgraphDependencies['redis'];
    logger?: Logger;
    poolMax?: number;
  },
): Promise<SubgraphUnderTest<TService>> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    let url: string | undefined;
    let session;
    if (databaseServerUrl) {
      const database = await createTestDatabase(databaseServerUrl);
      stops.push(() => database.drop());
      url = database.url;
    } else {
      const postgres = await startEmbeddedPostgres({});
      stops.push(() => postgres.stop());
      session = postgres.session;
    }
    const orm = await createOrm({
      schema: definition.schemaName,
      entities: definition.entities,
      migrations: definition.migrations,
      logger,
      url,
      session,
      poolMax,
    });
    // On PGlite the ORM borrows the one session, which stopping PGlite ends.
    if (url) stops.push(() => orm.close());
    await migrate(orm);
    // No users service: nothing here is signed by one (a suite calls with an internal token).
    const internalToken = settings['INTERNAL_SERVICE_TOKEN'] ?? randomBytes(32).toString('base64');
    const dependencies = inMemoryDependencies({
      internalToken,
      orm,
      logger,
      clock,
      redis,
      namespace: `${uniqueName('t')}:`,
      jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
    });
    const internalHeaders = { [INTERNAL_CREDENTIAL_HEADER]: internalToken };
    const instance = async (overrides: Record<string, string>) => {
      const service = await definition.create(dependencies, loadConfig(definition.settings, { ...settings, ...overrides }));
      const listening = await service.server.listen(0);
      let drained: Promise<void> | undefined;
      const drain = () => (drained ??= drainSubgraph(service, listening));
      stops.push(drain);
      return { service, url: listening.url, drain };
    };
    const { drain, ...first } = await instance({});
    const replica = async (overrides: Record<string, string> = {}) => {
      const { service, url } = await instance(overrides);
      return { service, url, internalHeaders };
    };
    return { ...first, internalHeaders, orm, replica, drain, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What a subgraph built inside a test process is given: its ORM, and in place of
 * Kafka and Redis pub/sub their in-memory forms; a verifier against `jwksUrl`.
 */
export function inMemoryDependencies({
  orm,
  logger,
  clock,
  jwksUrl,
  redis = null,
  namespace = '',
  internalToken = randomBytes(32).toString('base64'),
}: {
  orm: SubgraphDependencies['orm'];
  logger: Logger;
  clock: Clock;
  /** The users service's key set. */
  jwksUrl: string;
  redis?: SubgraphDependencies['redis'];
  namespace?: string;
  /** INTERNAL_SERVICE_TOKEN; a fresh one unless given. */
  internalToken?: string;
}): SubgraphDependencies {
  const auth = { issuer: 'parley', audience: 'parley-api' };
  const pubsub = createInMemoryPubSub();
  // Without Redis it needs no start: the sessions this process ends it refuses itself, at once.
  const revokedSessions = createRevokedSessions({ pubsub, redis: null, namespace, logger, now: () => clock.now().getTime() });
  return {
    orm,
    bus: createInProcessBus({ logger }),
    pubsub,
    messageStreams: createInMemoryMessageStreamLog(),
    redis,
    namespace,
    telemetry: { metrics: createMetrics({ service: 'test', runtime: false }) },
    logger,
    clock,
    auth,
    verifier: remoteAccessTokenVerifier({ ...auth, jwksUrl, now: () => clock.now(), revokedSessions }),
    revokedSessions,
    internalToken,
    readiness: [],
  };
}
