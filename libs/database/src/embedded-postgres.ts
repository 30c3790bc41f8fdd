import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { knex, PostgreSqlKnexDialect, type Knex } from '@mikro-orm/postgresql';

export interface EmbeddedPostgres {
  /** postgres:// URL of the socket server, for tools that want one. */
  url: string;
  /** The one client every ORM must share (PGlite is a single session). */
  knex: Knex;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the wire protocol so
 * the very same driver and SQL run as against a real server.
 *
 * Exactly one connection: PGlite is one session, and with several connections
 * the protocol messages of two clients interleave (a transaction on one then
 * waits forever for the other). So the socket server accepts one connection and
 * the knex pool holds one, kept open for the process's lifetime.
 */
export async function startEmbeddedPostgres({ dataDir }: { dataDir?: string }): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? 'memory://');
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const port = (server as unknown as { port: number }).port;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = knex({
    // MikroORM's dialect subclass of knex's pg client (its typings predate knex's).
    client: PostgreSqlKnexDialect as never,
    connection: { connectionString: url },
    pool: { min: 1, max: 1, idleTimeoutMillis: 2_147_483_647 },
    acquireConnectionTimeout: 60_000,
  });
  return {
    url,
    knex: client,
    async stop() {
      await client.destroy();
      await server.stop();
      await db.close();
    },
  };
}
