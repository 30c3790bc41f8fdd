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
  const listening = await service.server.listen(config.PORT, config.HOST);
  // Steps run last-added first: the service's background work (Kafka consumers, the outbox relay) stops while HTTP
  // still answers, and only then does HTTP drain. A consumer's stop takes seconds (its fetch in progress, leaving its
  // group); with HTTP closed first those seconds were an outage of the service's requests (the fault suite's SIGTERM
  // of chat and translation: 8–9 s of refused connections, past the gateway's retry budget).
  shutdown.add('http', () => listening.close());
  if (service.stop) shutdown.add('service', () => service.stop!());
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
