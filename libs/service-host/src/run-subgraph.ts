import type { Tracing } from '@parley/telemetry/tracing';
import { startService } from './service-start';
import { drainSubgraph, type SubgraphDefinition, type SubgraphService } from './subgraph-definition';

/**
 * The whole of a subgraph's `src/index.ts` in services mode: read the
 * environment once, connect, build the service, listen, and drain on SIGTERM.
 */
export async function runSubgraph<TService extends SubgraphService, TSettings>(
  definition: SubgraphDefinition<TService, TSettings>,
  processEnv: NodeJS.ProcessEnv = process.env,
  tracing?: Tracing,
): Promise<void> {
  const { config, settings, logger, shutdown, dependencies } = await startService(
    definition,
    { name: definition.name, defaultPort: definition.defaultPort, migrate: true, tracing },
    processEnv,
  );
  const service = await definition.create(dependencies, settings);
  const listening = await service.server.listen(config.PORT, config.HOST);
  // Added last, so run first: the service drains before its connections (PostgreSQL, Redis, Kafka) close.
  shutdown.add(definition.name, () =>
    drainSubgraph(service, listening, (step, ms) => logger.info({ step: `${definition.name} ${step}`, ms }, 'shutdown step done')),
  );
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
