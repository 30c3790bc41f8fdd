import { createLogger, createShutdown, env, loadConfig, systemClock, type SubgraphServer } from '@parley/runtime';
import { connectInfrastructure } from './infrastructure';
import { servicesConfigSchema } from './services-config';
import type { SubgraphDefinition } from './subgraph-definition';

/**
 * The whole of a subgraph's `src/index.ts` in services mode: read the
 * environment once, connect, build the service, listen, and drain on SIGTERM.
 */
export async function runSubgraph<TService extends { server: SubgraphServer; stop?: () => Promise<void> }, TSettings>(
  definition: SubgraphDefinition<TService, TSettings>,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const config = loadConfig(servicesConfigSchema.extend({ PORT: env.port(definition.defaultPort) }), processEnv);
  const settings = loadConfig(definition.settings, processEnv);
  const logger = createLogger({ service: definition.name, level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.installSignalHandlers();
  const infrastructure = await connectInfrastructure({
    config,
    logger,
    clientId: `parley-${definition.name}`,
    database: definition,
  });
  shutdown.add('infrastructure', () => infrastructure.close());
  const service = await definition.create(
    {
      ...infrastructure,
      logger,
      clock: systemClock,
      auth: {
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        jwksUrl: new URL('/.well-known/jwks.json', config.USERS_URL).toString(),
      },
    },
    settings,
  );
  if (service.stop) shutdown.add('service', () => service.stop!());
  const listening = await service.server.listen(config.PORT, config.HOST);
  shutdown.add('http', () => listening.close());
  logger.info({ url: listening.url }, `${definition.name} subgraph ready`);
}

/** Exits with a readable message (not a stack) when start fails for a known reason. */
export function exitOnStartFailure(name: string) {
  return (error: unknown) => {
    const known = error instanceof Error && ['ConfigError', 'DependencyUnreachableError'].includes(error.name);
    console.error(`${name} failed to start: ${known ? (error as Error).message : ''}`);
    if (!known) console.error(error);
    process.exit(1);
  };
}
