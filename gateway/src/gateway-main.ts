import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRevokedSessions } from '@parley/auth';
import { createRedisMessageStreamLog } from '@parley/message-stream';
import { createRedisClient, createRedisPubSub } from '@parley/pubsub';
import { assertReachable, createLogger, createShutdown, loadConfig, namespaceFrom } from '@parley/runtime';
import { hostAndPort, tcpProbe } from '@parley/service-host';
import { gatewayConfigSchema } from './config/gateway-config';
import { assembleGateway } from './gateway';
import { gatewayProtectionFrom } from './config/protection-settings';
import { createRedisRateLimiter } from './http/rate-limiter';
import { createRedisKeyValueCache } from './operations/redis-key-value-cache';
import { routingUrlsOf } from '@parley/composition';
import { createMetrics } from '@parley/telemetry';
import type { Tracing } from '@parley/telemetry/tracing';

/** The gateway's process in services mode; `index.ts` starts tracing first and then this. */
export async function main(tracing: Tracing): Promise<void> {
  const config = loadConfig(gatewayConfigSchema, process.env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.installSignalHandlers();
  // Added first, so run last: the spans of the drain itself are sent too.
  shutdown.add('tracing', () => tracing.shutdown());

  const namespace = namespaceFrom(config);
  const supergraphPath = resolve(process.cwd(), config.SUPERGRAPH_PATH);
  let supergraphSdl: string;
  try {
    supergraphSdl = readFileSync(supergraphPath, 'utf8');
  } catch {
    throw new Error(`SUPERGRAPH_PATH: cannot read ${supergraphPath}; run \`npm run compose\` first`);
  }
  const redis = hostAndPort(config.REDIS_URL, 6379);
  await assertReachable([{ name: 'redis', address: `${redis.host}:${redis.port}`, check: () => tcpProbe(redis.host, redis.port) }]);
  const pubsub = await createRedisPubSub({
    url: config.REDIS_URL,
    prefix: namespace,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });
  shutdown.add('redis', () => pubsub.close());
  // Replays read the replies' Redis streams (XRANGE), which a pub/sub connection cannot; live events come through `pubsub`.
  // Commands issued in the same tick leave in one write: every request's rate-limit check is one, and at a thousand
  // requests a second one write each was the gateway's largest single cost after Apollo (bench/profile).
  const streamsClient = createRedisClient(config.REDIS_URL, {
    enableAutoPipelining: true,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });
  shutdown.add('redis streams', async () => {
    await streamsClient.quit();
  });
  const messageStreams = createRedisMessageStreamLog({ redis: streamsClient, pubsub, namespace });
  // Heard and read before the gateway listens: from its first request it refuses every session ended on any replica.
  const revokedSessions = createRevokedSessions({ pubsub, redis: streamsClient, namespace, logger });
  await revokedSessions.start();
  shutdown.add('revoked sessions', () => revokedSessions.close());

  const subgraphUrls = { ...routingUrlsOf(supergraphSdl), ...config.SUBGRAPH_URLS };
  const gateway = await assembleGateway({
    supergraphSdl,
    subgraphUrls,
    logger,
    usersUrl: config.USERS_URL,
    internalToken: config.INTERNAL_SERVICE_TOKEN,
    auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
    // Subscriptions need Redis, but every gateway shares it: while it is away queries still work, so the gateway
    // reports it as degraded rather than leaving the load balancer with no gateway at all. The subgraphs' readiness
    // the gateway probes itself.
    readiness: [{ name: 'redis', address: `${redis.host}:${redis.port}`, check: () => pubsub.ping(), required: false }],
    messageStreams,
    revokedSessions,
    modelsUrl: config.MODELS_URL,
    protection: gatewayProtectionFrom(config),
    rateLimiter: createRedisRateLimiter({ redis: streamsClient, namespace, logger }),
    ...(config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { tls: { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) } }
      : {}),
    webClientDir: resolve(process.cwd(), config.PARLEY_WEB_DIR),
    telemetry: {
      metrics: createMetrics({ service: 'gateway', onError: (error) => logger.warn({ err: error }, 'a metrics refresh failed') }),
      scrapeToken: config.METRICS_TOKEN,
    },
    persistedQueryCache: createRedisKeyValueCache({
      redis: streamsClient,
      namespace,
      defaultTtlSeconds: 7 * 24 * 3600,
      logger,
    }),
  });
  const listening = await gateway.listen(config.PORT, config.HOST);
  shutdown.add('http', () => listening.close());
  logger.info({ url: listening.url }, 'gateway ready');
}
