import type { MikroORM } from '@mikro-orm/postgresql';
import { captureLogs, createTestDatabase, type TestDatabase } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, migrate, sqlOn, startEmbeddedPostgres, type EmbeddedPostgres, type Sql } from '../src';
import { Note, NoteSchema, noteMigrations } from './support/notes';

const migrations = noteMigrations;
const logger = captureLogs('silent').logger;
const at = new Date('2026-12-02T10:00:00.000Z');

/** The same statements on embedded PostgreSQL and, where DATABASE_URL is set, on a real server: both modes read rows alike. */
const targets: { name: string; open: () => Promise<{ orm: MikroORM; close: () => Promise<void> }> }[] = [
  {
    name: 'embedded PostgreSQL (PGlite)',
    async open() {
      const postgres = await startEmbeddedPostgres({});
      const orm = await createOrm({ schema: 'notes', entities: [NoteSchema], migrations, logger, session: postgres.session });
      return { orm, close: () => postgres.stop() };
    },
  },
];
if (process.env.DATABASE_URL) {
  const url = process.env.DATABASE_URL;
  targets.push({
    name: 'PostgreSQL at DATABASE_URL',
    async open() {
      const database: TestDatabase = await createTestDatabase(url);
      const orm = await createOrm({ schema: 'notes', entities: [NoteSchema], migrations, logger, url: database.url });
      return {
        orm,
        close: async () => {
          await orm.close();
          await database.drop();
        },
      };
    },
  });
}

describe.each(targets)('hand-written SQL on $name', ({ open }) => {
  let orm: MikroORM;
  let sql: Sql;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ orm, close } = await open());
    await migrate(orm);
    sql = sqlOn(orm.em.getConnection());
  });
  afterAll(() => close?.());

  it('binds ? in order, quoting values, and counts the rows a write touched', async () => {
    await sql.insert('notes.note', [
      { id: 1, text: "it's one", written_at: at },
      { id: 2, text: 'a ? in text, and \\ a backslash', written_at: at },
    ]);
    const updated = await sql.raw(`update "notes"."note" set text = text || ? where id >= ?`, ['!', 1]);
    expect(updated.rowCount).toBe(2);
    const { rows } = await sql.raw<{ id: number; text: string }>(`select id, text from "notes"."note" where text like ? order by id`, [
      '%!',
    ]);
    expect(rows).toEqual([
      { id: 1, text: "it's one!" },
      { id: 2, text: 'a ? in text, and \\ a backslash!' },
    ]);
  });

  it('binds an array as one Postgres array, with quotes and nulls intact', async () => {
    const { rows } = await sql.raw<{ id: number }>(`select id from "notes"."note" where text = any(?) order by id`, [
      ["it's one!", 'a ? in text, and \\ a backslash!', 'absent "quoted"'],
    ]);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    const unnested = await sql.raw<{ v: string | null }>(`select v from unnest(?::text[]) as v`, [['a,b', null, '{c}']]);
    expect(unnested.rows.map((r) => r.v)).toEqual(['a,b', null, '{c}']);
  });

  it('reads timestamps as the ORM does, and the ORM hydrates them as dates', async () => {
    const { rows } = await sql.raw<{ written_at: unknown }>(`select written_at from "notes"."note" where id = ?`, [1]);
    expect(new Date(rows[0]!.written_at as string).toISOString()).toBe(at.toISOString());
    const note = await orm.em.fork().findOneOrFail(Note, { id: 1 });
    expect(note.writtenAt).toEqual(at);
  });

  it('reads one statement again and again with other values, dates and nulls bound as the values they are', async () => {
    const statement = `select id from "notes"."note" where written_at <= ? and (text = ? or ? is not distinct from null) order by id`;
    const texts = [
      [at, "it's one!", "it's one!"],
      [at, 'nothing', null],
      [new Date(at.getTime() - 1), 'a ? in text, and \\ a backslash!', 'x'],
    ];
    const ids = [];
    for (const [when, text, orNull] of texts)
      ids.push((await sql.raw<{ id: number }>(statement, [when, text, orNull])).rows.map((r) => r.id));
    expect(ids).toEqual([[1], [1, 2], []]);
  });

  it('commits a transaction whose work resolves and rolls back one whose work throws, leaving nothing half-written', async () => {
    await sql.transaction(async (trx) => {
      await trx.insert('notes.note', [{ id: 3, text: 'kept', written_at: at }]);
    });
    await expect(
      sql.transaction(async (trx) => {
        await trx.insert('notes.note', [{ id: 4, text: 'rolled back', written_at: at }]);
        await trx.raw(`update "notes"."note" set text = 'changed' where id = ?`, [3]);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    const { rows } = await sql.raw<{ id: number; text: string }>(`select id, text from "notes"."note" where id >= 3 order by id`);
    expect(rows).toEqual([{ id: 3, text: 'kept' }]);
  });
});

describe('the embedded session', () => {
  let postgres: EmbeddedPostgres;
  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({});
  });
  afterAll(() => postgres?.stop());

  /** Two ORMs on the one session, the schema migrated; `seen` is every statement the second one's onQuery saw. */
  async function twoOrmsOnTheSession() {
    const seen: string[] = [];
    const first = await createOrm({ schema: 'notes', entities: [NoteSchema], migrations, logger, session: postgres.session });
    const second = await createOrm({
      schema: 'notes',
      entities: [NoteSchema],
      migrations,
      logger,
      session: postgres.session,
      onQuery: (statement) => seen.push(statement),
    });
    await migrate(first);
    return { first, second, seen };
  }

  it('prepares the reads of every ORM on its one session once, and an error in one ends nothing', async () => {
    const { first, second, seen } = await twoOrmsOnTheSession();
    const read = (orm: MikroORM, statement: string, params: unknown[]) =>
      sqlOn(orm.em.getConnection()).raw<{ n: number }>(statement, params);
    const above = `select count(*)::int as n from "notes"."note" where id > ?`;
    const ratio = `select (count(*) / ?::int)::int as n from "notes"."note"`;
    // Texts prepared by one ORM and then the other's: a name given twice to two texts would fail on the one session.
    expect((await read(first, above, [0])).rows).toEqual([{ n: 0 }]);
    expect((await read(second, ratio, [1])).rows).toEqual([{ n: 0 }]);
    expect((await read(second, above, [0])).rows).toEqual([{ n: 0 }]);
    expect(seen).toEqual([ratio, above]); // onQuery sees the statement as written, not its EXECUTE
    const { rows } = await sqlOn(first.em.getConnection()).raw<{ statement: string }>(`select statement from pg_prepared_statements`);
    expect(rows.map((r) => r.statement)).toEqual(expect.arrayContaining([expect.stringContaining('where id > $1')]));
    // A division by zero fails that read alone; the session every ORM shares goes on.
    await expect(read(first, ratio, [0])).rejects.toThrow(/division by zero/);
    expect((await read(second, above, [-1])).rows).toEqual([{ n: 0 }]);
    // A parameter PostgreSQL cannot type is bound by the ORM instead, every time.
    const untyped = `select count(*)::int as n from "notes"."note" where ? is null`;
    expect((await read(first, untyped, [null])).rows).toEqual([{ n: 0 }]);
    expect((await read(first, untyped, [1])).rows).toEqual([{ n: 0 }]);
    await first.close();
    await second.close();
  });

  it('serves several ORMs on its one connection, and closing one leaves the others working', async () => {
    const { first, second, seen } = await twoOrmsOnTheSession();
    // Concurrent transactions queue for the one session instead of interleaving on it.
    await Promise.all(
      [10, 11, 12].map((id) =>
        sqlOn((id % 2 ? first : second).em.getConnection()).transaction((trx) =>
          trx.insert('notes.note', [{ id, text: `note ${id}`, written_at: at }]),
        ),
      ),
    );
    await first.close();
    const { rows } = await sqlOn(second.em.getConnection()).raw<{ n: string }>(`select count(*) as n from "notes"."note"`);
    expect(Number(rows[0]!.n)).toBe(3);
    expect(seen.some((s) => s.includes('count(*)'))).toBe(true);
  });
});

describe.runIf(process.env.DATABASE_URL)('reads on a real server', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  const seen: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(process.env.DATABASE_URL!);
    orm = await createOrm({
      schema: 'notes',
      entities: [NoteSchema],
      migrations,
      logger,
      url: database.url,
      poolMax: 1,
      onQuery: (statement) => seen.push(statement),
    });
    await migrate(orm);
  });
  afterAll(async () => {
    await orm?.close();
    await database?.drop();
  });

  it('prepares a statement read outside a transaction once, and onQuery still sees every run', async () => {
    const sql = sqlOn(orm.em.getConnection());
    const statement = `select count(*)::int as n from "notes"."note" where id > ?`;
    for (const after of [0, 1, 2]) await sql.raw(statement, [after]);
    expect(seen.filter((s) => s === statement)).toHaveLength(3);
    // One pooled connection: the statements prepared on it are the ones this ORM's reads prepared.
    const { rows } = await sql.raw<{ statement: string }>(`select statement from pg_prepared_statements`);
    expect(rows.map((r) => r.statement)).toContain(`select count(*)::int as n from "notes"."note" where id > $1`);
    // A transaction's statements are its own: nothing of it is prepared.
    await sql.transaction((trx) => trx.raw(`select 1 as one where ? = 1`, [1]));
    const after = await sql.raw<{ statement: string }>(`select statement from pg_prepared_statements`);
    expect(after.rows.map((r) => r.statement).some((s) => s.includes('one where'))).toBe(false);
  });
});
