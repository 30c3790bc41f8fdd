/**
 * npm start's process (scripts/start-embedded.ts starts tracing first): every Parley service in one process on
 * embedded PostgreSQL, with no environment to set. Data is kept in ./.parley-data (or PARLEY_DATA_DIR).
 */
import type { Tracing } from '@parley/telemetry/tracing';
import { resolve } from 'node:path';
import { startEmbeddedPlatform } from '@parley/platform';
import { createLogger, createShutdown, env, loadConfig, metricsSettings } from '@parley/runtime';
import { z } from 'zod';

export async function startEmbedded(tracing: Tracing): Promise<void> {
  // Whatever this process creates from here is its user's alone: the data directory's database files and secrets
  // above all (startEmbeddedPlatform also tightens what PGlite writes with modes of its own).
  process.umask(0o077);
  const config = loadConfig(
    z.object({
      PORT: env.port(4000),
      HOST: z.string().min(1).default('127.0.0.1'),
      LOG_LEVEL: env.logLevel(),
      PARLEY_DATA_DIR: z.string().min(1).default('.parley-data'),
      /** The web client's build the gateway serves at /; the repository's web/dist unless given. */
      PARLEY_WEB_DIR: z.string().min(1).optional(),
      /** "production": the gateway's production defaults (introspection and field suggestions off), as in services mode. */
      NODE_ENV: z.string().min(1).optional(),
      ...metricsSettings,
    }),
    process.env,
  );
  const logger = createLogger({ service: 'parley', level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger });
  shutdown.installSignalHandlers();
  // Added first, so run last: the spans of the drain itself are sent too.
  shutdown.add('tracing', () => tracing.shutdown());

  const started = Date.now();
  const dataDir = resolve(process.cwd(), config.PARLEY_DATA_DIR);
  const platform = await startEmbeddedPlatform({
    logger,
    dataDir,
    port: config.PORT,
    host: config.HOST,
    // The few settings embedded mode takes from its environment: who may scrape /metrics, when the port is not
    // private, and NODE_ENV, so that production means the same in both modes.
    settings: {
      ...(config.METRICS_TOKEN && { METRICS_TOKEN: config.METRICS_TOKEN }),
      ...(config.NODE_ENV && { NODE_ENV: config.NODE_ENV }),
    },
    ...(config.PARLEY_WEB_DIR && { webClientDir: resolve(process.cwd(), config.PARLEY_WEB_DIR) }),
  });
  shutdown.add('platform', () => platform.stop());
  logger.info({ url: platform.url, dataDir, startupMs: Date.now() - started }, 'Parley is running');
  console.log(
    `\n  Parley is running (embedded mode, data in ${dataDir}).\n  GraphQL over HTTP and WebSocket: ${platform.url}\n  Web client: ${platform.url.replace('/graphql', '/')}\n  Health: ${platform.url.replace('/graphql', '/healthz')}  Readiness: ${platform.url.replace('/graphql', '/readyz')}\n`,
  );
}
