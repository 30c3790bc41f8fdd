import type { MikroORM, EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import type { AccessTokenSettings, AccessTokenVerifier } from '@parley/auth';
import type { EventBus } from '@parley/events';
import type { MessageStreamLog } from '@parley/message-stream';
import type { PubSub } from '@parley/pubsub';
import type { Clock, Logger, ReadinessCheck, SubgraphServer } from '@parley/runtime';
import type Redis from 'ioredis';
import type { z } from 'zod';

/** Everything a subgraph is built from. The same in embedded and services mode. */
export interface SubgraphDependencies {
  orm: MikroORM;
  bus: EventBus;
  pubsub: PubSub;
  /** Assistant replies' event streams: replay log plus live channel (Redis, or memory in embedded mode). */
  messageStreams: MessageStreamLog;
  /** A Redis client for counters and caches; null in embedded mode, where in-memory equivalents serve. */
  redis: Redis | null;
  /** Prefix for Redis keys and channels, so deployments and test runs can share one Redis. */
  namespace: string;
  logger: Logger;
  clock: Clock;
  /** What the users service signs into access tokens (and every verifier checks). */
  auth: AccessTokenSettings;
  /**
   * The process's one access-token verifier, against those keys, built by the
   * host (services mode, the embedded platform, the test platform). The users
   * service, which holds the keys, verifies with them directly instead.
   */
  verifier: AccessTokenVerifier;
  /** The process's dependencies (PostgreSQL, Redis, Kafka), for /readyz. */
  readiness: ReadinessCheck[];
}

/** How a host (one process per service, or the embedded platform) builds a subgraph. */
export interface SubgraphDefinition<TService extends { server: SubgraphServer; stop?: () => Promise<void> }, TSettings = unknown> {
  name: string;
  /** Used when PORT is not set in services mode. */
  defaultPort: number;
  /** The Postgres schema that holds this subgraph's tables. */
  schemaName: string;
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  /** The environment variables this subgraph reads besides the common ones; each key is a variable's name. */
  settings: z.ZodType<TSettings, any>;
  create(dependencies: SubgraphDependencies, settings: TSettings): Promise<TService>;
}
