import type { AbstractSqlConnection, QueryResult, Transaction } from '@mikro-orm/postgresql';

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
 */
export function sqlOn(connection: AbstractSqlConnection): Sql {
  return { ...runnerOn(connection), transaction: (work) => connection.transactional((trx) => work(runnerOn(connection, trx))) };
}

function runnerOn(connection: AbstractSqlConnection, trx?: Transaction): SqlRunner {
  const raw = async <Row>(statement: string, params: readonly unknown[] = []): Promise<SqlResult<Row>> => {
    const result = await connection.execute<QueryResult>(statement, params.map(arrayAsLiteral), 'run', trx);
    return { rows: (result.rows ?? []) as Row[], rowCount: result.affectedRows };
  };
  return {
    raw,
    async insert(table, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      await raw(
        `insert into ${table.split('.').map(quoteIdentifier).join('.')} (${columns.map(quoteIdentifier).join(', ')}) values ${rows.map(() => tuple).join(', ')}`,
        rows.flatMap((row) => columns.map((c) => row[c] ?? null)),
      );
    },
  };
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
