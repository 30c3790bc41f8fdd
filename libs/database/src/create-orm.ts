import { MikroORM, PostgreSqlDriver, type EntitySchema, type Knex, type MigrationObject } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';

export interface DatabaseOptions {
  /** The subgraph's own Postgres schema; its tables and its migrations table live there. */
  schema: string;
  entities: EntitySchema<any, any>[];
  /** Committed migrations, in order. Never schema sync: what runs in production is what is reviewed. */
  migrations: MigrationObject[];
  logger: Logger;
  /** Primary, e.g. postgres://postgres@127.0.0.1:5432/parley. Give this or `sharedKnex`. */
  url?: string;
  /** Read replicas: reads outside transactions go there; writes and transactions go to the primary. */
  replicaUrls?: string[];
  /**
   * One knex client shared by several ORMs. Embedded mode needs it: PGlite is a
   * single session, so every subgraph must queue on one connection.
   */
  sharedKnex?: Knex;
  poolMax?: number;
  /** Sees every SQL statement (tests count queries with it). */
  onQuery?: (sql: string) => void;
}

export type Database = MikroORM;

/**
 * Builds the ORM of one subgraph. The caller owns its lifetime; every request
 * works on `orm.em.fork()` so identity maps never leak between requests.
 */
export async function createOrm(options: DatabaseOptions): Promise<MikroORM> {
  const { schema, entities, migrations, logger, url, replicaUrls = [], sharedKnex, poolMax = 10 } = options;
  if (!url && !sharedKnex) throw new Error('createOrm needs a database url or a shared knex client');
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    entities,
    ...(sharedKnex ? { driverOptions: sharedKnex, dbName: 'postgres' } : { clientUrl: url }),
    schema,
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    replicas: replicaUrls.map((clientUrl, i) => ({ name: `replica-${i + 1}`, clientUrl })),
    preferReadReplicas: true,
    discovery: { warnWhenNoEntities: false },
    // Fail loudly instead of lazily loading across a request boundary.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ensureDatabase: false,
    migrations: {
      tableName: `${schema}.mikro_orm_migrations`,
      migrationsList: migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    extensions: [(await import('@mikro-orm/migrations')).Migrator],
    logger: (message) => logger.debug({ orm: message }, 'orm'),
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    for (const type of ['write', 'read'] as const) {
      orm.em
        .getConnection(type)
        .getKnex()
        .on('query', (data: { sql: string }) => onQuery(data.sql));
    }
  }
  return orm;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** For /readyz and start-up checks. */
export async function pingDatabase(orm: MikroORM): Promise<void> {
  await orm.em.getConnection('write').execute('select 1');
}

/** A printable address of a database URL, with no credentials. */
export function databaseAddress(url: string | undefined): string {
  if (!url) return 'embedded';
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
