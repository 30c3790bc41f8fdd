import type { MikroORM, EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import type { AccessTokenSettings, AccessTokenVerifier, RevokedSessions } from '@parley/auth';
import type { EventBus } from '@parley/events';
import type { MessageStreamLog } from '@parley/message-stream';
import type { PubSub } from '@parley/pubsub';
import type { Clock, ListeningServer, Logger, ReadinessCheck, ServiceTelemetry, SubgraphServer } from '@parley/runtime';
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
  /**
   * The process's set of ended sessions, which `verifier` checks: the users service adds to it when a session ends,
   * and every process hears of it at once (Redis pub/sub, or memory in embedded mode). Started by the host.
   */
  revokedSessions: RevokedSessions;
  /**
   * INTERNAL_SERVICE_TOKEN, the credential Parley's own callers present: the subgraph's /graphql refuses any request
   * without it (`createSubgraphServer`), and its own calls to other services carry it.
   */
  internalToken: string;
  /** The process's dependencies (PostgreSQL, Redis, Kafka), for /readyz. */
  readiness: ReadinessCheck[];
  /** The process's one set of metrics (shared by every service of an embedded process) and who may scrape it. */
  telemetry: ServiceTelemetry;
}

/**
 * What a subgraph's factory builds. Every host stops one the same way, `drainSubgraph`: its background work, then
 * its HTTP, then what its requests left behind.
 */
export interface SubgraphService {
  server: SubgraphServer;
  /**
   * Stops the service's own background work (Kafka consumers, the outbox relay, health checks) while HTTP still
   * answers: a consumer's stop takes seconds (its fetch in progress, leaving its group), and with HTTP closed first
   * those seconds were an outage of the service's requests.
   */
  stop?(): Promise<void>;
  /**
   * Writes what requests left behind (buffered usage records), once HTTP has drained and no request can add more.
   * Run before HTTP closed, a reply still streaming would record its usage after the flush, into a closed database.
   */
  flush?(): Promise<void>;
}

/** Stops a listening subgraph in the order `SubgraphService` gives; `onStep` hears how long each step took. */
export async function drainSubgraph(
  service: SubgraphService,
  listening: ListeningServer,
  onStep: (step: 'background' | 'http' | 'flush', ms: number) => void = () => {},
): Promise<void> {
  const timed = async (step: 'background' | 'http' | 'flush', run: () => Promise<void>) => {
    const started = performance.now();
    await run();
    onStep(step, Math.round(performance.now() - started));
  };
  await timed('background', async () => service.stop?.());
  await timed('http', () => listening.close());
  await timed('flush', async () => service.flush?.());
}

/** How a host (one process per service, or the embedded platform) builds a subgraph. */
export interface SubgraphDefinition<TService extends SubgraphService, TSettings = unknown> {
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
