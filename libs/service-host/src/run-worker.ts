import { createHttpService, createLogger, createShutdown, env, loadConfig, systemClock } from '@parley/runtime';
import { connectInfrastructure } from './infrastructure';
import { servicesConfigSchema } from './services-config';
import type { SubgraphDefinition, SubgraphDependencies } from './subgraph-definition';

/**
 * A background process of a subgraph (e.g. the chat worker) in services mode:
 * the subgraph's database schema and settings, no GraphQL; /healthz and
 * /readyz on PORT for the orchestrator; drains on SIGTERM. It never runs
 * migrations: the subgraph's own process does, and two migrators would race.
 */
export async function runWorker<TSettings>(
  definition: SubgraphDefinition<any, TSettings>,
  {
    name,
    defaultPort,
    start,
  }: {
    name: string;
    defaultPort: number;
    start: (dependencies: SubgraphDependencies, settings: TSettings) => Promise<{ stop(): Promise<void> }>;
  },
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const config = loadConfig(servicesConfigSchema.extend({ PORT: env.port(defaultPort) }), processEnv);
  const settings = loadConfig(definition.settings, processEnv);
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.installSignalHandlers();
  const infrastructure = await connectInfrastructure({
    config: { ...config, MIGRATE_ON_START: 'false' },
    logger,
    clientId: `parley-${name}`,
    database: definition,
  });
  shutdown.add('infrastructure', () => infrastructure.close());
  const worker = await start(
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
  shutdown.add('worker', () => worker.stop());
  const http = createHttpService({ logger, readiness: infrastructure.readiness, routes: {} });
  const address = await http.listen(config.PORT, config.HOST);
  shutdown.add('http', () => http.close());
  logger.info({ port: address.port }, `${name} ready`);
}
