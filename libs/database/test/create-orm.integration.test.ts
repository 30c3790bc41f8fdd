import type { MikroORM } from '@mikro-orm/postgresql';
import { captureLogs, createTestDatabase, servicesEnv, type TestDatabase } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, migrate } from '../src';
import { Note, NoteSchema, noteMigrations } from './support/notes';

const migrations = noteMigrations;
const logger = captureLogs('silent').logger;

describe('createOrm on real PostgreSQL', () => {
  const { databaseUrl } = servicesEnv();
  let primary: TestDatabase;
  let replica: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    primary = await createTestDatabase(databaseUrl);
    // A stand-in replica: a second database with the same schema but its own rows,
    // so a test can tell which one answered.
    replica = await createTestDatabase(databaseUrl);
    const replicaOrm = await createOrm({ schema: 'notes', entities: [NoteSchema], migrations, logger, url: replica.url });
    await migrate(replicaOrm);
    await replicaOrm.em.fork().getConnection().execute(`insert into "notes"."note" values (1, 'from the replica')`);
    await replicaOrm.close();
    orm = await createOrm({ schema: 'notes', entities: [NoteSchema], migrations, logger, url: primary.url, replicaUrls: [replica.url] });
  });

  afterAll(async () => {
    await orm?.close();
    await primary?.drop();
    await replica?.drop();
  });

  it('applies committed migrations once, recording them in the subgraph schema', async () => {
    expect(await migrate(orm)).toEqual(['20261127-create-notes']);
    expect(await migrate(orm)).toEqual([]);
    const rows: { name: string }[] = await orm.em.fork().getConnection('write').execute(`select name from "notes"."mikro_orm_migrations"`);
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['20261127-create-notes']);
  });

  it('sends writes to the primary and plain reads to the replica', async () => {
    const em = orm.em.fork();
    em.create(Note, { id: 1, text: 'from the primary' });
    await em.flush();
    const read = await orm.em.fork().findOne(Note, { id: 1 });
    expect(read?.text).toBe('from the replica');
  });

  it('reads its own writes from the primary when asked, and inside transactions', async () => {
    const explicit = await orm.em.fork().findOne(Note, { id: 1 }, { connectionType: 'write' });
    expect(explicit?.text).toBe('from the primary');
    const inTransaction = await orm.em.fork().transactional((tx) => tx.findOne(Note, { id: 1 }));
    expect(inTransaction?.text).toBe('from the primary');
  });

  it('reports every statement to onQuery', async () => {
    const seen: string[] = [];
    const counted = await createOrm({
      schema: 'notes',
      entities: [NoteSchema],
      migrations,
      logger,
      url: primary.url,
      onQuery: (sql) => seen.push(sql),
    });
    try {
      await counted.em.fork().find(Note, {});
      expect(seen.some((sql) => sql.includes('"notes"."note"'))).toBe(true);
    } finally {
      await counted.close();
    }
  });
});
