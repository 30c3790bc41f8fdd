import { mkdirSync } from 'node:fs';
import { makeTreePrivate } from './private-files';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPostgreSqlTypeParsers } from '@mikro-orm/postgresql';
import { PostgresDialect, type Dialect } from 'kysely';
import pg from 'pg';

export interface EmbeddedPostgres {
  /** postgres:// URL of the socket server, for tools that want one. */
  url: string;
  /** The one session every ORM must share (PGlite is a single session): createOrm's `session`. */
  session: Dialect;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the wire protocol so
 * the very same driver and SQL run as against a real server.
 *
 * Exactly one connection: PGlite is one session, and with several connections
 * the protocol messages of two clients interleave (a transaction on one then
 * waits forever for the other). So the socket server accepts one connection and
 * one pool of one, kept open for the process's lifetime, serves every ORM.
 */
export async function startEmbeddedPostgres({ dataDir }: { dataDir?: string }): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dataDir ?? 'memory://');
  // PGlite writes its initial cluster (and pg_internal.init at each start) 0666/0644 whatever the umask; PostgreSQL's
  // own later files (WAL segments, relations) are 0600. Its files hold the data in clear: only its user reads them.
  if (dataDir) makeTreePrivate(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const port = (server as unknown as { port: number }).port;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    // Never close the idle session, and let a burst queue for it as long as a slow machine needs.
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: 60_000,
    types: ormTypeParsers(),
  });
  // The ORMs borrow the pool; ending it is stop()'s alone, so closing one ORM cannot cut off the others.
  const borrowed = { options: pool.options, connect: () => pool.connect(), end: async () => {} };
  return {
    url,
    session: new PostgresDialect({ pool: borrowed }),
    async stop() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}

/** The parsers MikroORM gives its own pools (dates and intervals stay strings), so both modes read rows alike. */
function ormTypeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  const textArray = pg.types.getTypeParser(1009 as never); // text[]: an array of strings, as the ORM's parser gives
  for (const [oid, parse] of Object.entries(createPostgreSqlTypeParsers((s) => textArray(s)))) {
    types.setTypeParser(Number(oid), parse as (value: string) => unknown);
  }
  return types;
}
