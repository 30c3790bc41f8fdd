import type { AbstractSqlConnection, QueryResult, Transaction } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';
import type { Pool } from 'pg';

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows a write touched, or rows a read returned. */
  rowCount: number;
}

/** Runs hand-written statements, alone or inside one transaction. */
export interface SqlRunner {
  /**
   * One statement. `?` stands for a value, `??` for an identifier and `\?`
   * for a literal question mark, as in every query of the ORM. An array is one
   * Postgres array (`= any(?)`, `unnest(?::text[])`), never a list.
   */
  raw<Row = any>(statement: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** One multi-row insert into `schema.table`; the columns are the first row's keys. */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
}

export interface Sql extends SqlRunner {
  /** Commits when `work` resolves, rolls back when it throws. */
  transaction<T>(work: (trx: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * The SQL a subgraph writes by hand (CTEs, row locks, keyset pages), run
 * through the ORM's own connection: one pool, one statement log, the same
 * type parsing and `onQuery` for both, and no second query builder.
 *
 * A statement outside a transaction on a real server runs as a named prepared
 * statement on the ORM's own `pg` pool: the ORM inlines every value into the
 * text, so PostgreSQL parsed and planned each read again (planning the
 * recursive branch query was most of a conversations page's database time,
 * issue 15). On embedded PostgreSQL's shared session they are prepared with
 * SQL instead (PREPARE once, then EXECUTE with the values inlined, over the
 * simple protocol): PGlite's socket server drops its one connection on any
 * error in the extended protocol (a division by zero in a prepared statement
 * would end the session every service shares). Inside a transaction,
 * statements go through the ORM and its transaction's connection.
 */
export function sqlOn(connection: AbstractSqlConnection): Sql {
  return { ...runnerOn(connection), transaction: (work) => connection.transactional((trx) => work(runnerOn(connection, trx))) };
}

/** A statement through the ORM, its values inlined (and its `onQuery` told). */
async function viaOrm<Row>(
  connection: AbstractSqlConnection,
  statement: string,
  params: readonly unknown[],
  trx?: Transaction,
): Promise<SqlResult<Row>> {
  const result = await connection.execute<QueryResult>(statement, params.map(arrayAsLiteral), 'run', trx);
  return { rows: (result.rows ?? []) as Row[], rowCount: result.affectedRows };
}

function runnerOn(connection: AbstractSqlConnection, trx?: Transaction): SqlRunner {
  const run = async <Row>(statement: string, params: readonly unknown[], prepare: boolean): Promise<SqlResult<Row>> => {
    if (trx || !prepare) return viaOrm<Row>(connection, statement, params, trx);
    const statements = await preparedStatementsOf(connection);
    return statements ? statements.run<Row>(statement, params) : viaOrm<Row>(connection, statement, params);
  };
  return {
    raw: (statement, params = []) => run(statement, params, true),
    async insert(table, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      // Not prepared: its text changes with the number of rows, and each would stay prepared on every connection.
      await run(
        `insert into ${table.split('.').map(quoteIdentifier).join('.')} (${columns.map(quoteIdentifier).join(', ')}) values ${rows.map(() => tuple).join(', ')}`,
        rows.flatMap((row) => columns.map((c) => row[c] ?? null)),
        false,
      );
    },
  };
}

/** At most this many statement texts are kept prepared per pool or session; any beyond run through the ORM. */
const MAX_PREPARED = 256;

interface PreparedStatements {
  run<Row>(statement: string, params: readonly unknown[]): Promise<SqlResult<Row>>;
}

interface Prepared {
  name: string;
  /** The statement with `$1`, `$2`… for its `?`. */
  text: string;
  /** Whether it has run once: from then on an error is the statement's own, never its parameters' types. */
  ready: boolean;
}

/** How a prepared statement runs: by name on a pg pool, or by PREPARE / EXECUTE on a shared session. */
type Execute = (prepared: Prepared, params: readonly unknown[]) => Promise<SqlResult<Record<string, unknown>>>;

// Names belong to where statements are prepared, the pool or the shared session: every client of a pool, every ORM
// on a session, must know a name as the same text. Runners are per ORM connection, which lives as long as its ORM.
const namesByPlace = new WeakMap<object, Map<string, Prepared | 'inline'>>();
const preparedByConnection = new WeakMap<AbstractSqlConnection, Promise<PreparedStatements | null>>();
/** Connections on a session several ORMs share (embedded PostgreSQL), with the session: createOrm says so. */
const sharedSessions = new WeakMap<AbstractSqlConnection, object>();

/** Tells `sqlOn` that `connection` is on `session`, one database session shared by several ORMs. */
export function prepareOnSharedSession(connection: AbstractSqlConnection, session: object): void {
  sharedSessions.set(connection, session);
}

function preparedStatementsOf(connection: AbstractSqlConnection): Promise<PreparedStatements | null> {
  let statements = preparedByConnection.get(connection);
  if (!statements) {
    const session = sharedSessions.get(connection);
    statements = session
      ? Promise.resolve(preparedStatements(connection, session, executeOnSession(connection)))
      : nativePoolOf(connection).then((pool) => pool && preparedStatements(connection, pool, executeOnPool(pool)));
    preparedByConnection.set(connection, statements);
  }
  return statements;
}

async function nativePoolOf(connection: AbstractSqlConnection): Promise<Pool | null> {
  const native = (connection as { getNativeClient?: () => Promise<unknown> }).getNativeClient;
  if (!native) return null;
  try {
    const pool = await native.call(connection);
    return typeof (pool as Partial<Pool> | null)?.query === 'function' ? (pool as Pool) : null;
  } catch {
    return null; // a dialect handed in owns its client
  }
}

/** PostgreSQL's SQLSTATE of an error, or ''. */
const sqlStateOf = (error: unknown): string => (error as { code?: string }).code ?? '';

/**
 * Errors PostgreSQL raises while analysing a statement, before it runs anything, when a parameter's type cannot be
 * told from where it stands (`? is null`), which an inlined literal never hits: such a statement runs through the
 * ORM from then on.
 */
const UNTYPED_PARAMETER = new Set(['42P18', '42725', '42883', '42P08']);

/** Each statement text prepared once where `names` are kept, run by `execute`; `onQuery` sees it as written. */
function preparedStatements(connection: AbstractSqlConnection, place: object, execute: Execute): PreparedStatements {
  const onQuery = connection.getPlatform().getConfig().get('onQuery');
  let names = namesByPlace.get(place);
  if (!names) namesByPlace.set(place, (names = new Map()));
  const known = names;
  return {
    async run<Row>(statement: string, params: readonly unknown[]) {
      let prepared = known.get(statement);
      if (prepared === 'inline' || (!prepared && known.size >= MAX_PREPARED)) return viaOrm<Row>(connection, statement, params);
      if (!prepared) {
        prepared = { name: `parley_${known.size + 1}`, text: numberedPlaceholders(statement), ready: false };
        known.set(statement, prepared);
      }
      let result;
      try {
        result = await execute(prepared, params);
      } catch (error) {
        if (!prepared.ready && UNTYPED_PARAMETER.has(sqlStateOf(error))) {
          known.set(statement, 'inline');
          return viaOrm<Row>(connection, statement, params); // which reports it to onQuery
        }
        onQuery(statement, params as unknown[]);
        throw error;
      }
      prepared.ready = true;
      onQuery(statement, params as unknown[]);
      return result as SqlResult<Row>;
    },
  };
}

/** By name on the ORM's pg pool: pg prepares it on each pooled client the first time that client runs it. */
function executeOnPool(pool: Pool): Execute {
  return async ({ name, text }, params) => {
    const result = await pool.query({ name, text, values: params.map(asParameter) });
    return { rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? result.rows.length };
  };
}

/** Errors of EXECUTE that say the session no longer has the statement (it was opened anew), and of a second PREPARE. */
const NOT_PREPARED = '26000';
const ALREADY_PREPARED = '42P05';

/**
 * PREPARE / EXECUTE in SQL on a shared single session, past the ORM's `onQuery` (the runner reports the statement as
 * written). The values are inlined into EXECUTE as the ORM inlines them into any statement.
 */
function executeOnSession(connection: AbstractSqlConnection): Execute {
  const direct = (sql: string, params: readonly unknown[] = []) =>
    connection
      .getClient()
      .executeQuery<Record<string, unknown>>(CompiledQuery.raw(connection.getPlatform().formatQuery(sql, params.map(arrayAsLiteral))));
  const prepare = async ({ name, text }: Prepared) => {
    try {
      await direct(`prepare ${name} as ${text}`);
    } catch (error) {
      if (sqlStateOf(error) !== ALREADY_PREPARED) throw error; // another ORM on the session prepared it first
    }
  };
  // Whether PREPARE has run on the session, by name: it has to again if the session was opened anew.
  const onSession = new Set<string>();
  return async (prepared, params) => {
    const execute = `execute ${prepared.name}${params.length > 0 ? `(${params.map(() => '?').join(', ')})` : ''}`;
    if (!onSession.has(prepared.name)) {
      await prepare(prepared);
      onSession.add(prepared.name);
    }
    let result;
    try {
      result = await direct(execute, params);
    } catch (error) {
      if (sqlStateOf(error) !== NOT_PREPARED) throw error;
      await prepare(prepared);
      result = await direct(execute, params);
    }
    return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? result.rows.length) };
  };
}

/** `?` → `$1`, `$2`…, `\?` → `?`, as the ORM reads them; identifiers (`??`) are never bound, so they are refused. */
function numberedPlaceholders(statement: string): string {
  let n = 0;
  return statement.replace(/\\\?|\?\??/g, (match) => {
    if (match === '\\?') return '?';
    if (match === '??') throw new Error('sql: `??` (an identifier) cannot be a parameter of a prepared statement; write the name');
    return `$${++n}`;
  });
}

/** What `pg` sends for a value: the same text the ORM would have inlined. */
function asParameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return arrayAsLiteral(value);
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The ORM spreads an array into a list; the statements here mean one array value, which a literal keeps. */
function arrayAsLiteral(value: unknown): unknown {
  return Array.isArray(value) ? arrayLiteral(value) : value;
}

function arrayLiteral(values: readonly unknown[]): string {
  const element = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    const text = v instanceof Date ? v.toISOString() : String(v);
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  };
  return `{${values.map(element).join(',')}}`;
}

/**
 * A timestamp column's value as a Date. The ORM's connection hands timestamps over as text (it parses them itself
 * when it hydrates an entity), so rows read without hydration go through this.
 */
export function dateOf(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

/** `dateOf` for a nullable column. */
export function nullableDateOf(value: unknown): Date | null {
  return value === null || value === undefined ? null : dateOf(value);
}
