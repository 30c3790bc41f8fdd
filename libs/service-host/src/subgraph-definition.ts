import type { MikroORM, EntitySchema, MigrationObject } from '@mikro-orm/postgresql';
import type { AccessTokenSettings } from '@parley/auth';
import type { EventBus } from '@parley/events';
import type { PubSub } from '@parley/pubsub';
import type { Clock, Logger, ReadinessCheck, SubgraphServer } from '@parley/runtime';

/** Everything a subgraph is built from. The same in embedded and services mode. */
export interface SubgraphDependencies {
  orm: MikroORM;
  bus: EventBus;
  pubsub: PubSub;
  logger: Logger;
  clock: Clock;
  auth: AccessTokenSettings & {
    /** Where the users service publishes its public keys. */
    jwksUrl: string;
  };
  /** The process's dependencies (PostgreSQL, Redis, Kafka), for /readyz. */
  readiness: ReadinessCheck[];
}

/** How a host (one process per service, or the embedded platform) builds a subgraph. */
export interface SubgraphDefinition<TService extends { server: SubgraphServer; stop?: () => Promise<void> }> {
  name: string;
  /** Used when PORT is not set in services mode. */
  defaultPort: number;
  /** The Postgres schema that holds this subgraph's tables. */
  schemaName: string;
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  create(dependencies: SubgraphDependencies): Promise<TService>;
}
