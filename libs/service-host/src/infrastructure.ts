import type { MikroORM, EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import { createOrm, databaseAddress, migrate, pingDatabase } from '@parley/database';
import { createKafkaBus, type EventBus } from '@parley/events';
import { createRedisMessageStreamLog, type MessageStreamLog } from '@parley/message-stream';
import { createRedisClient, createRedisPubSub, type PubSub } from '@parley/pubsub';
import type Redis from 'ioredis';
import { assertReachable, namespaceFrom, type Logger, type ReadinessCheck } from '@parley/runtime';
import type { ServicesConfig } from './services-config';
import { hostAndPort, tcpProbe } from './tcp-probe';

export interface Infrastructure {
  orm: MikroORM;
  bus: EventBus;
  pubsub: PubSub;
  messageStreams: MessageStreamLog;
  redis: Redis;
  namespace: string;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

/**
 * Connects one service process to PostgreSQL, Redis and Kafka. Each is probed
 * first, so an unreachable one fails start with its name and address instead
 * of a driver's retry loop.
 */
export async function connectInfrastructure({
  config,
  logger,
  clientId,
  database,
}: {
  config: ServicesConfig;
  logger: Logger;
  clientId: string;
  database: { schemaName: string; entities: EntitySchema<any, any>[]; migrations: MigrationObject[] };
}): Promise<Infrastructure> {
  const pg = hostAndPort(config.DATABASE_URL, 5432);
  const redis = hostAndPort(config.REDIS_URL, 6379);
  await assertReachable([
    { name: 'postgres', address: databaseAddress(config.DATABASE_URL), check: () => tcpProbe(pg.host, pg.port) },
    ...config.DATABASE_REPLICA_URLS.map((url, i) => {
      const replica = hostAndPort(url, 5432);
      return { name: `postgres-replica-${i + 1}`, address: databaseAddress(url), check: () => tcpProbe(replica.host, replica.port) };
    }),
    { name: 'redis', address: `${redis.host}:${redis.port}`, check: () => tcpProbe(redis.host, redis.port) },
    ...config.KAFKA_BROKERS.map((broker) => {
      const b = hostAndPort(broker, 9092);
      return { name: `kafka ${broker}`, address: broker, check: () => tcpProbe(b.host, b.port) };
    }),
  ]);

  const orm = await createOrm({
    schema: database.schemaName,
    entities: database.entities,
    migrations: database.migrations,
    logger,
    url: config.DATABASE_URL,
    replicaUrls: config.DATABASE_REPLICA_URLS,
    poolMax: config.DATABASE_POOL_MAX,
  });
  if (config.MIGRATE_ON_START === 'true') {
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  const namespace = namespaceFrom(config);
  const bus = await createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId, logger, topicPrefix: namespace });
  const pubsub = await createRedisPubSub({
    url: config.REDIS_URL,
    prefix: namespace,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });

  // Commands issued in the same tick leave in one write (budgets, limits and caches issue many small ones).
  const client = createRedisClient(config.REDIS_URL, {
    enableAutoPipelining: true,
    onError: (error) => logger.warn({ err: error }, 'redis connection error'),
  });

  return {
    orm,
    bus,
    pubsub,
    messageStreams: createRedisMessageStreamLog({ redis: client, pubsub, namespace }),
    redis: client,
    namespace,
    readiness: [
      { name: 'postgres', address: databaseAddress(config.DATABASE_URL), check: () => pingDatabase(orm) },
      // Not required: every replica shares this Redis, and each use of it degrades on purpose while it is away
      // (docs/ARCHITECTURE.md, "When Redis is unreachable"); unready here would take every replica out at once.
      { name: 'redis', address: `${redis.host}:${redis.port}`, check: () => pubsub.ping(), required: false },
      { name: 'kafka', address: config.KAFKA_BROKERS.join(','), check: () => bus.ping() },
    ],
    async close() {
      await Promise.allSettled([bus.close(), pubsub.close(), client.quit()]);
      await orm.close();
    },
  };
}
