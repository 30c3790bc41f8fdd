import { MikroORM, PostgreSqlDriver, type EntitySchema, type MigrationObject } from '@mikro-orm/postgresql';
import type { Dialect } from 'kysely';
import type { Logger } from 'pino';
import { prepareOnSharedSession } from './sql';

export interface DatabaseOptions {
  /** The subgraph's own Postgres schema; its tables and its migrations table live there. */
  schema: string;
  entities: EntitySchema<any, any>[];
  /** Committed migrations, in order. Never schema sync: what runs in production is what is reviewed. */
  migrations: MigrationObject[];
  logger: Logger;
  /** Primary, e.g. postgres://postgres@127.0.0.1:5432/parley. Give this or `session`. */
  url?: string;
  /** Read replicas: reads outside transactions go there; writes and transactions go to the primary. */
  replicaUrls?: string[];
  /**
   * One connection shared by several ORMs. Embedded mode needs it: PGlite is a
   * single session, so every subgraph must queue on one connection.
   */
  session?: Dialect;
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
  const { schema, entities, migrations, logger, url, replicaUrls = [], session, poolMax = 10, onQuery } = options;
  if (!url && !session) throw new Error('createOrm needs a database url or a shared session');
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    entities,
    ...(session ? { driverOptions: session, dbName: 'postgres' } : { clientUrl: url }),
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
    // Every statement, the ORM's and the hand-written ones (sqlOn), on the primary and the replicas.
    ...(onQuery && {
      onQuery: (sql: string) => {
        onQuery(sql);
        return sql;
      },
    }),
  });
  if (session) prepareOnSharedSession(orm.em.getConnection(), session);
  return orm;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
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
