/**
 * npm run restore -- <file | S3 key | --latest> [--force] [--verify] [--no-checksum]:
 * checks a backup's SHA-256, decrypts it when it is encrypted, and restores it
 * into DATABASE_URL in one transaction (pg_restore --single-transaction), then
 * prints what it restored. The database must be empty, or --force replaces
 * Parley's schemas in it. --verify checks the backup (checksum, decryption,
 * that pg_restore reads it and it has every Parley schema) and restores nothing.
 * docs/BACKUPS.md has the procedure.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '@parley/runtime';
import pg from 'pg';
import { BackupError, runScript } from './backups/backup-error';
import { backupsInDirectory, formatBytes, sha256OfFile } from './backups/backup-files';
import { CHECKSUM_SUFFIX, backupsAmong, parseBackupName, parseChecksumFile, timestampOf } from './backups/backup-names';
import { encryptionKeyOf, restoreSettingsSchema, s3TargetOf, type RestoreSettings } from './backups/backup-settings';
import { decryptFile, isEncryptedFile } from './backups/encryption';
import { PARLEY_SCHEMAS, connectionFor, outputOf, printableDatabase, runPostgresTool } from './backups/postgres-tools';
import { S3Client } from './backups/s3';

const USAGE = 'usage: npm run restore -- <backup file | S3 key | --latest> [--force] [--verify] [--no-checksum]';

await runScript('restore', async () => {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        latest: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        'no-checksum': { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new BackupError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1 || (positionals.length === 1) === values.latest) {
    throw new BackupError(`name one backup (a file or an S3 key), or --latest\n${USAGE}`);
  }
  const settings = loadConfig(restoreSettingsSchema, process.env);
  if (!values.verify && settings.DATABASE_URL === undefined) {
    throw new BackupError('DATABASE_URL is not set: it is the database to restore into (--verify checks a backup without one)');
  }

  const scratch = await mkdtemp(join(tmpdir(), 'parley-restore-'));
  try {
    const fetched = await fetchBackup(values.latest ? null : positionals[0]!, settings, scratch);
    const checksum = checkChecksum(fetched, values['no-checksum']);
    const { archive, encrypted } = await decrypted(fetched, settings, scratch);
    const contents = await inspectArchive(archive, settings);
    const about = [
      fetched.takenAt ? `taken ${fetched.takenAt.toISOString().replace('.000Z', 'Z')}` : null,
      formatBytes(fetched.bytes),
      checksum,
      encrypted ? 'decrypted' : 'not encrypted',
    ]
      .filter(Boolean)
      .join(', ');
    if (values.verify) {
      console.log(`restore: ${fetched.description} is a sound backup (${about})`);
      console.log(`restore: ${contents.summary}`);
      return;
    }
    await restoreInto(settings.DATABASE_URL!, archive, settings, values.force);
    const restored = await describeDatabase(settings.DATABASE_URL!);
    console.log(`restore: restored ${fetched.description} (${about}) into ${printableDatabase(settings.DATABASE_URL)}`);
    console.log(`restore: ${restored}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

interface FetchedBackup {
  description: string;
  name: string;
  takenAt: Date | null;
  /** The stored bytes, as a local file. */
  path: string;
  bytes: number;
  sha256: string;
  /** The SHA-256 stored beside it (checksum file or object metadata), or null when there is none. */
  recorded: string | null;
  /** Where the recorded checksum was looked for, for messages. */
  checksumSource: string;
}

/** The backup named (a local file, else an S3 key), or the newest one (BACKUP_DIR first, else BACKUP_S3_URL), as a local file. */
async function fetchBackup(requested: string | null, settings: RestoreSettings, scratch: string): Promise<FetchedBackup> {
  const target = s3TargetOf(settings);
  const s3 = target ? new S3Client(target) : null;
  let localPath: string | null = null;
  let s3Key: string | null = null;
  if (requested === null) {
    if (settings.BACKUP_DIR) {
      const [newest] = await backupsInDirectory(settings.BACKUP_DIR).catch((error: Error) => {
        throw new BackupError(`BACKUP_DIR ${settings.BACKUP_DIR} cannot be read: ${error.message}`);
      });
      if (!newest) throw new BackupError(`there is no backup (parley-<timestamp>.dump[.enc]) in BACKUP_DIR ${settings.BACKUP_DIR}`);
      localPath = join(settings.BACKUP_DIR, newest.name);
    } else if (s3) {
      const names = (await s3.list('parley-')).map((o) => s3.nameOf(o.key)).filter((n): n is string => n !== null);
      const [newest] = backupsAmong(names);
      if (!newest) throw new BackupError(`there is no backup (parley-<timestamp>.dump[.enc]) in ${s3.location}`);
      s3Key = s3.keyOf(newest.name);
    } else {
      throw new BackupError('--latest looks in BACKUP_DIR or BACKUP_S3_URL: set one of them');
    }
  } else if (await isFile(requested)) {
    localPath = requested;
  } else if (settings.BACKUP_DIR !== undefined && (await isFile(join(settings.BACKUP_DIR, requested)))) {
    localPath = join(settings.BACKUP_DIR!, requested);
  } else if (s3) {
    s3Key = requested.includes('/') ? requested : s3.keyOf(requested);
  } else {
    throw new BackupError(
      `${requested} is not a file${settings.BACKUP_DIR ? ` here or in BACKUP_DIR ${settings.BACKUP_DIR}` : ''}, and BACKUP_S3_URL is not set to look for it there`,
    );
  }

  if (localPath !== null) {
    const name = basename(localPath);
    const checksumPath = join(dirname(localPath), name + CHECKSUM_SUFFIX);
    const recorded = await readFile(checksumPath, 'utf8').then(
      (text) => {
        const sha256 = parseChecksumFile(text, name);
        if (!sha256) throw new BackupError(`${checksumPath} has no SHA-256 line for ${name}`);
        return sha256;
      },
      () => null,
    );
    return {
      description: localPath,
      name,
      takenAt: parseBackupName(name)?.takenAt ?? null,
      path: localPath,
      bytes: (await stat(localPath)).size,
      sha256: await sha256OfFile(localPath),
      recorded,
      checksumSource: checksumPath,
    };
  }
  const name = s3Key!.split('/').pop()!;
  const path = join(scratch, name);
  const { sha256, recorded } = await s3!.getFile(s3Key!, path);
  return {
    description: `${target!.endpoint}/${target!.bucket}/${s3Key}`,
    name,
    takenAt: parseBackupName(name)?.takenAt ?? null,
    path,
    bytes: (await stat(path)).size,
    sha256,
    recorded,
    checksumSource: 'its x-amz-meta-sha256 metadata',
  };
}

function checkChecksum(backup: FetchedBackup, skip: boolean): string {
  if (backup.recorded === null) {
    if (skip) return 'checksum not checked (--no-checksum)';
    throw new BackupError(
      `${backup.description} has no checksum (looked in ${backup.checksumSource}): copy its ${backup.name}${CHECKSUM_SUFFIX} along with it, or pass --no-checksum to restore it unchecked`,
    );
  }
  if (backup.recorded !== backup.sha256) {
    throw new BackupError(
      `${backup.description} does not match its checksum (SHA-256 ${backup.sha256}, ${backup.checksumSource} says ${backup.recorded}): the backup is damaged or was altered; nothing was restored. Take another backup (--latest is the newest)`,
    );
  }
  return 'sha256 ok';
}

/** The pg_dump archive of a backup: the file itself, or its decryption in the scratch directory. */
async function decrypted(
  backup: FetchedBackup,
  settings: RestoreSettings,
  scratch: string,
): Promise<{ archive: string; encrypted: boolean }> {
  const encrypted = await isEncryptedFile(backup.path);
  if (!encrypted) {
    if (backup.name.endsWith('.enc'))
      throw new BackupError(`${backup.description} is named .enc but is not an encrypted Parley backup (no PARLEYBK header)`);
    return { archive: backup.path, encrypted: false };
  }
  const key = encryptionKeyOf(settings);
  if (!key) throw new BackupError(`${backup.description} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with`);
  const archive = join(scratch, 'archive.dump');
  // What decryption yields is trusted only once GCM's tag checked out at its end; until then it is only in scratch.
  await pipeline(decryptFile(backup.path, key), createWriteStream(archive, { mode: 0o600 }));
  return { archive, encrypted: true };
}

/** Reads the archive's table of contents with pg_restore --list: it must be a pg_dump archive with every Parley schema. */
async function inspectArchive(archive: string, settings: RestoreSettings): Promise<{ summary: string }> {
  let toc: string;
  try {
    toc = await outputOf('pg_restore', ['--list', archive], { binDir: settings.PG_BIN_DIR });
  } catch (error) {
    throw new BackupError(`the backup is not an archive pg_restore can read: ${(error as Error).message}`);
  }
  const entries = toc.split('\n').filter((line) => /^\d+;/.test(line));
  const schemas = new Set(entries.map((line) => / SCHEMA - (\S+) /.exec(line)?.[1]).filter(Boolean));
  const missing = PARLEY_SCHEMAS.filter((schema) => !schemas.has(schema));
  if (missing.length > 0)
    throw new BackupError(
      `the backup is not a whole Parley backup: it lacks the schema${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  const tables = PARLEY_SCHEMAS.map((schema) => `${schema} ${entries.filter((line) => line.includes(` TABLE ${schema} `)).length} tables`);
  const header = (label: string) => new RegExp(`^;\\s+${label}:\\s*(.+)$`, 'm').exec(toc)?.[1]?.trim();
  const from = [
    header('dbname') && `database ${header('dbname')}`,
    header('Dumped from database version') && `PostgreSQL ${header('Dumped from database version')}`,
  ]
    .filter(Boolean)
    .join(', ');
  return { summary: `it holds ${tables.join(', ')}${from ? ` (dumped from ${from})` : ''}` };
}

/**
 * pg_restore into the database, in one transaction. With --force, Parley's
 * schemas already there are set aside (renamed) first and dropped only once
 * the restore committed; a failed restore puts them back as they were.
 */
async function restoreInto(databaseUrl: string, archive: string, settings: RestoreSettings, force: boolean): Promise<void> {
  const where = printableDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'parley-restore' });
  try {
    await client.connect();
  } catch (error) {
    throw new BackupError(`cannot connect to DATABASE_URL (${where}): ${(error as Error).message}`);
  }
  const setAside: [string, string][] = [];
  try {
    const present = (
      await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname = any($1) order by nspname', [PARLEY_SCHEMAS])
    ).rows.map((row) => row.nspname);
    const others = Number(
      (
        await client.query<{ count: string }>(
          `select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname <> all($1)
             and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`,
          [PARLEY_SCHEMAS],
        )
      ).rows[0]!.count,
    );
    if (!force && (present.length > 0 || others > 0)) {
      const what = [
        present.length > 0 && `Parley's schemas ${present.join(', ')}`,
        others > 0 && `${others} other tables, views or sequences`,
      ]
        .filter(Boolean)
        .join(' and ');
      throw new BackupError(
        `the database ${where} is not empty (it has ${what}): restore into an empty database (e.g. createdb), or pass --force to replace Parley's schemas in this one`,
      );
    }
    const sessions = Number(
      (
        await client.query<{ count: string }>(
          'select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        )
      ).rows[0]!.count,
    );
    if (sessions > 0) {
      console.error(
        `restore: note: ${sessions} other session(s) are connected to ${where}; stop Parley's services (scale them to 0) while restoring`,
      );
    }
    if (present.length > 0) {
      const suffix = `_before_restore_${timestampOf(new Date()).toLowerCase()}`;
      await client.query('begin');
      for (const schema of present) {
        await client.query(`alter schema ${quote(schema)} rename to ${quote(schema + suffix)}`);
        setAside.push([schema, schema + suffix]);
      }
      await client.query('commit');
      console.log(`restore: --force: set aside ${setAside.map(([, aside]) => aside).join(', ')} until the restore has committed`);
    }
  } catch (error) {
    await client.query('rollback').catch(() => {});
    setAside.length = 0;
    await client.end();
    throw error;
  }

  const { dbname, env } = connectionFor(databaseUrl);
  const restore = runPostgresTool(
    'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${dbname}`, archive],
    { binDir: settings.PG_BIN_DIR, env, stdout: 'ignore' },
  );
  try {
    await restore.done;
  } catch (error) {
    let after = 'nothing was restored (one transaction)';
    if (setAside.length > 0) {
      try {
        await client.query('begin');
        for (const [schema, aside] of setAside) await client.query(`alter schema ${quote(aside)} rename to ${quote(schema)}`);
        await client.query('commit');
        after += `, and Parley's schemas are back as they were`;
      } catch (putBack) {
        after += `; putting Parley's schemas back failed (${(putBack as Error).message}): they are ${setAside.map(([, a]) => a).join(', ')}, rename them back by hand`;
      }
    }
    await client.end();
    throw new BackupError(`${(error as Error).message}\n  ${after}`);
  }
  try {
    for (const [, aside] of setAside) await client.query(`drop schema ${quote(aside)} cascade`);
  } catch (error) {
    console.error(
      `restore: restored, but dropping the set-aside schemas failed (${(error as Error).message}); drop ${setAside.map(([, a]) => a).join(', ')} by hand`,
    );
  } finally {
    await client.end();
  }
}

/** What a restored database holds: its people, conversations and messages, and each schema's last migration. */
async function describeDatabase(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'parley-restore' });
  await client.connect();
  try {
    const count = async (table: string) => Number((await client.query<{ count: string }>(`select count(*) from ${table}`)).rows[0]!.count);
    const users = await count('users."user"');
    const conversations = await count('chat.conversation');
    const messages = await count('chat.message');
    const migrations: string[] = [];
    for (const schema of PARLEY_SCHEMAS) {
      const last = (await client.query<{ name: string }>(`select name from ${quote(schema)}.mikro_orm_migrations order by id desc limit 1`))
        .rows[0]?.name;
      migrations.push(`${schema} ${last ?? 'none'}`);
    }
    return `${users} users, ${conversations} conversations, ${messages} messages; last migrations: ${migrations.join(', ')} (the services apply newer ones on start, or npm run migrate)`;
  } finally {
    await client.end();
  }
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
