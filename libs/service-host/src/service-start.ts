import { createRevokedSessions, remoteAccessTokenVerifier } from '@parley/auth';
import { createLogger, createShutdown, env, loadConfig, retryingFetch, systemClock, type Logger } from '@parley/runtime';
import { reportConsumerLag } from '@parley/events';
import { createMetrics } from '@parley/telemetry';
import type { Tracing } from '@parley/telemetry/tracing';
import { connectInfrastructure, type Infrastructure } from './infrastructure';
import { servicesConfigSchema, type ServicesConfig } from './services-config';
import type { SubgraphDefinition, SubgraphDependencies } from './subgraph-definition';

/**
 * What every services-mode process of a subgraph does first: read the
 * environment once, log, install the SIGTERM drain, connect to PostgreSQL,
 * Redis and Kafka, and assemble the dependencies its factories take.
 */
export async function startService<TSettings>(
  definition: SubgraphDefinition<any, TSettings>,
  { name, defaultPort, migrate, tracing }: { name: string; defaultPort: number; migrate: boolean; tracing?: Tracing | undefined },
  processEnv: NodeJS.ProcessEnv,
): Promise<{
  config: ServicesConfig & { PORT: number };
  settings: TSettings;
  logger: Logger;
  shutdown: ReturnType<typeof createShutdown>;
  infrastructure: Infrastructure;
  dependencies: SubgraphDependencies;
}> {
  const config = loadConfig(servicesConfigSchema.extend({ PORT: env.port(defaultPort) }), processEnv);
  const settings = loadConfig(definition.settings, processEnv);
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.installSignalHandlers();
  // Added first, so run last: the spans of the drain itself are sent too.
  if (tracing) shutdown.add('tracing', () => tracing.shutdown());
  const infrastructure = await connectInfrastructure({
    config: migrate ? config : { ...config, MIGRATE_ON_START: 'false' },
    logger,
    clientId: `parley-${name}`,
    database: definition,
  });
  shutdown.add('infrastructure', () => infrastructure.close());
  const revokedSessions = createRevokedSessions({
    pubsub: infrastructure.pubsub,
    redis: infrastructure.redis,
    namespace: infrastructure.namespace,
    logger,
  });
  await revokedSessions.start();
  shutdown.add('revoked sessions', () => revokedSessions.close());
  const auth = {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    jwksUrl: new URL('/.well-known/jwks.json', config.USERS_URL).toString(),
  };
  const dependencies: SubgraphDependencies = {
    ...infrastructure,
    logger,
    clock: systemClock,
    auth,
    // A users service restarting is waited for within the key fetch's own 3 s bound, not reported at once.
    verifier: remoteAccessTokenVerifier({
      ...auth,
      now: () => systemClock.now(),
      jwksFetch: retryingFetch({ budgetMs: 3_000 }),
      revokedSessions,
    }),
    revokedSessions,
    internalToken: config.INTERNAL_SERVICE_TOKEN,
    telemetry: {
      metrics: createMetrics({ service: name, onError: (error) => logger.warn({ err: error }, 'a metrics refresh failed') }),
      scrapeToken: config.METRICS_TOKEN,
    },
  };
  reportConsumerLag(infrastructure.bus, dependencies.telemetry.metrics);
  return { config, settings, logger, shutdown, infrastructure, dependencies };
}
