import type { SubgraphServer } from '@parley/runtime';
import { startService } from './service-start';
import type { SubgraphDefinition } from './subgraph-definition';

/**
 * The whole of a subgraph's `src/index.ts` in services mode: read the
 * environment once, connect, build the service, listen, and drain on SIGTERM.
 */
export async function runSubgraph<TService extends { server: SubgraphServer; stop?: () => Promise<void> }, TSettings>(
  definition: SubgraphDefinition<TService, TSettings>,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { config, settings, logger, shutdown, dependencies } = await startService(
    definition,
    { name: definition.name, defaultPort: definition.defaultPort, migrate: true },
    processEnv,
  );
  const service = await definition.create(dependencies, settings);
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
