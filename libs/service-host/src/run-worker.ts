import { createHttpService } from '@parley/runtime';
import type { Tracing } from '@parley/telemetry/tracing';
import { startService } from './service-start';
import type { SubgraphDefinition, SubgraphDependencies } from './subgraph-definition';

/**
 * A background process of a subgraph (e.g. the chat worker) in services mode:
 * the subgraph's database schema and settings, no GraphQL; /healthz and
 * /readyz on PORT for the orchestrator, /metrics for Prometheus; drains on SIGTERM. It never runs
 * migrations: the subgraph's own process does, and two migrators would race.
 */
export async function runWorker<TSettings>(
  definition: SubgraphDefinition<any, TSettings>,
  {
    name,
    defaultPort,
    start,
    tracing,
  }: {
    name: string;
    defaultPort: number;
    start: (dependencies: SubgraphDependencies, settings: TSettings) => Promise<{ stop(): Promise<void> }>;
    tracing?: Tracing;
  },
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { config, settings, logger, shutdown, infrastructure, dependencies } = await startService(
    definition,
    { name, defaultPort, migrate: false, tracing },
    processEnv,
  );
  const worker = await start(dependencies, settings);
  shutdown.add('worker', () => worker.stop());
  const http = createHttpService({
    logger,
    readiness: infrastructure.readiness,
    routes: {},
    telemetry: { ...dependencies.telemetry, service: name },
  });
  const address = await http.listen(config.PORT, config.HOST);
  shutdown.add('http', () => http.close());
  logger.info({ port: address.port }, `${name} ready`);
}
