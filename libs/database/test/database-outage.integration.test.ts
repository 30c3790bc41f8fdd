import type { MikroORM } from '@mikro-orm/postgresql';
import { unavailableDependency } from '@parley/errors';
import { captureLogs, startOwnPostgres, type OwnService } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, migrate, sqlOn } from '../src';
import { NoteSchema, noteMigrations } from './support/notes';

/**
 * What a query fails with while PostgreSQL restarts, as a client would hear
 * it: the retriable UPSTREAM_UNAVAILABLE naming the database, never an
 * internal error. On this suite's own cluster, stopped under an open pool.
 */
describe('a query while PostgreSQL is away (own cluster)', () => {
  let own: OwnService;
  let orm: MikroORM;

  beforeAll(async () => {
    own = await startOwnPostgres();
    orm = await createOrm({
      schema: 'notes',
      entities: [NoteSchema],
      migrations: noteMigrations,
      logger: captureLogs('silent').logger,
      url: own.url,
    });
    await migrate(orm);
  }, 120_000);
  afterAll(async () => {
    await orm?.close().catch(() => undefined);
    await own?.remove();
  });

  const failureOf = async () => {
    const error = await sqlOn(orm.em.getConnection('write'))
      .raw('select count(*) from "notes"."note"')
      .then(
        () => null,
        (e: unknown) => e,
      );
    return unavailableDependency(error);
  };

  it('is UPSTREAM_UNAVAILABLE, retriable, naming the database, whether the server is stopping or already down', async () => {
    // Open connections first, so the stop cuts them (SQLSTATE 57P01) and later ones are refused.
    await sqlOn(orm.em.getConnection('write')).raw('select 1');
    await own.stop();
    for (let i = 0; i < 3; i++) {
      const failure = await failureOf();
      expect(failure).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retriable: true });
      expect(failure!.message).toMatch(/PostgreSQL|could not be reached/);
    }
    await own.start();
    await expect.poll(async () => (await failureOf()) === null, { timeout: 30_000 }).toBe(true);
  });
});
