import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_KEY_TOKEN_PATH, createAccessTokenVerifier, remoteKeySet } from '@parley/auth';
import { createRedisMessageStreamLog } from '@parley/message-stream';
import { createRedisPubSub } from '@parley/pubsub';
import { assertReachable, createLogger, createShutdown, loadConfig } from '@parley/runtime';
import { exitOnStartFailure, hostAndPort, tcpProbe } from '@parley/service-host';
import Redis from 'ioredis';
import { gatewayConfigSchema } from './gateway-config';
import { createGateway } from './gateway-server';
import { gatewayProtectionFrom } from './gateway-protection-settings';
import { createRedisRateLimiter } from './rate-limiter';
import { createRedisKeyValueCache } from './redis-key-value-cache';
import { createAuthenticator } from './request-authentication';
import { subgraphReadiness } from './subgraph-readiness';
import { routingUrlsOf } from './supergraph';

async function main() {
  const config = loadConfig(gatewayConfigSchema, process.env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const shutdown = createShutdown({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  shutdown.installSignalHandlers();

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
    prefix: config.KAFKA_TOPIC_PREFIX,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });
  shutdown.add('redis', () => pubsub.close());
  // Replays read the replies' Redis streams (XRANGE), which a pub/sub connection cannot; live events come through `pubsub`.
  const streamsClient = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  streamsClient.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  shutdown.add('redis streams', async () => {
    await streamsClient.quit();
  });
  const messageStreams = createRedisMessageStreamLog({ redis: streamsClient, pubsub, namespace: config.KAFKA_TOPIC_PREFIX });

  const subgraphUrls = { ...routingUrlsOf(supergraphSdl), ...config.SUBGRAPH_URLS };
  const gateway = await createGateway({
    supergraphSdl,
    subgraphUrls,
    logger,
    authenticate: createAuthenticator({
      verifier: createAccessTokenVerifier({
        keys: remoteKeySet(new URL('/.well-known/jwks.json', config.USERS_URL).toString()),
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      }),
      apiKeyTokenUrl: new URL(API_KEY_TOKEN_PATH, config.USERS_URL).toString(),
    }),
    readiness: [{ name: 'redis', address: `${redis.host}:${redis.port}`, check: () => pubsub.ping() }, ...subgraphReadiness(subgraphUrls)],
    messageStreams,
    modelsUrl: config.MODELS_URL,
    protection: gatewayProtectionFrom(config),
    rateLimiter: createRedisRateLimiter({ redis: streamsClient, namespace: config.KAFKA_TOPIC_PREFIX }),
    ...(config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { tls: { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) } }
      : {}),
    persistedQueryCache: createRedisKeyValueCache({
      redis: streamsClient,
      namespace: config.KAFKA_TOPIC_PREFIX,
      defaultTtlSeconds: 7 * 24 * 3600,
    }),
  });
  const listening = await gateway.listen(config.PORT, config.HOST);
  shutdown.add('http', () => listening.close());
  logger.info({ url: listening.url }, 'gateway ready');
}

main().catch(exitOnStartFailure('gateway'));
