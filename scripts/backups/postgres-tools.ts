import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BackupError } from './backup-error';

/**
 * Parley's PostgreSQL schemas: one per subgraph (its definition's `schemaName`,
 * which npm run migrate uses; backups.test.ts checks this list against them, so
 * the scripts start without loading every subgraph). Each holds its subgraph's
 * tables and its MikroORM migrations table (`<schema>.mikro_orm_migrations`), so
 * a dump of these schemas is everything Parley keeps in PostgreSQL.
 */
export const PARLEY_SCHEMAS: readonly string[] = ['users', 'chat', 'models', 'translation'];

/**
 * How a PostgreSQL client program reaches the database of a URL: the URL
 * without its password as `--dbname`, the password in PGPASSWORD, so it never
 * shows in the process list.
 */
export function connectionFor(databaseUrl: string): { dbname: string; env: Record<string, string> } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/** host:port/database of a database URL, with no credentials (what the scripts print). */
export function printableDatabase(url: string | undefined): string {
  try {
    const u = new URL(url ?? '');
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export interface ToolRun {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when the program exits 0; rejects with a BackupError that carries what it printed otherwise. */
  done: Promise<void>;
}

/**
 * Starts pg_dump or pg_restore (from PG_BIN_DIR when set, else PATH). stdout is
 * the caller's to read; stderr is collected for the error message.
 */
export function runPostgresTool(
  program: 'pg_dump' | 'pg_restore',
  args: string[],
  { binDir, env = {}, stdout = 'pipe' }: { binDir?: string | undefined; env?: Record<string, string>; stdout?: 'pipe' | 'ignore' } = {},
): ToolRun {
  const command = binDir ? join(binDir, program) : program;
  const child = spawn(command, args, {
    stdio: ['ignore', stdout === 'pipe' ? 'pipe' : 'ignore', 'pipe'],
    env: { ...process.env, PGAPPNAME: `parley-${program}`, ...env },
  }) as ChildProcessByStdio<null, Readable, Readable>;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 64_000) stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new BackupError(
              `${command} was not found: install the PostgreSQL client programs (the same major version as the server, or newer; Debian: postgresql-client-15) or set PG_BIN_DIR to the directory that has ${program}`,
            )
          : new BackupError(`${command} could not start: ${error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = stderr.trim();
      const hint = /server version mismatch|aborting because of server version/i.test(said)
        ? ` (${program} must be the server's major version or newer: install a newer postgresql-client or set PG_BIN_DIR)`
        : '';
      reject(
        new BackupError(
          `${program} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${hint}${said ? `:\n${indent(said)}` : ''}`,
        ),
      );
    });
  });
  return { child, done };
}

/** Runs a program to the end and answers what it printed on stdout. */
export async function outputOf(
  program: 'pg_dump' | 'pg_restore',
  args: string[],
  options: { binDir?: string | undefined } = {},
): Promise<string> {
  const run = runPostgresTool(program, args, options);
  let out = '';
  run.child.stdout.setEncoding('utf8');
  run.child.stdout.on('data', (chunk: string) => (out += chunk));
  await run.done;
  return out;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
