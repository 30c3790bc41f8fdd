/**
 * npm run backup: a logical backup of Parley's PostgreSQL schemas (users,
 * chat, models, translation, each with its migrations table) of DATABASE_URL,
 * in pg_dump's custom format, to BACKUP_DIR and/or an S3-compatible bucket
 * (BACKUP_S3_URL), optionally encrypted (BACKUP_ENCRYPTION_KEY), with its
 * SHA-256 beside it, then retention (BACKUP_RETENTION_DAYS, BACKUP_KEEP_LAST).
 * docs/BACKUPS.md has the procedure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadConfig } from '@parley/runtime';
import { BackupError, runScript } from './backups/backup-error';
import { applyRetentionInDirectory, checkBackupDirectory, formatBytes, partialName, writeFileAtomically } from './backups/backup-files';
import { CHECKSUM_SUFFIX, backupName, backupsAmong, checksumLine, expiredBackups, type RetentionPolicy } from './backups/backup-names';
import { backupSettingsSchema, encryptionKeyOf, s3TargetOf, type BackupSettings } from './backups/backup-settings';
import { encryptStream } from './backups/encryption';
import { PARLEY_SCHEMAS, connectionFor, printableDatabase, runPostgresTool } from './backups/postgres-tools';
import { S3Client } from './backups/s3';

await runScript('backup', async () => {
  const settings = loadConfig(backupSettingsSchema, process.env);
  const key = encryptionKeyOf(settings);
  const target = s3TargetOf(settings);
  const s3 = target ? new S3Client(target) : null;
  const dir = settings.BACKUP_DIR;
  if (dir) await checkBackupDirectory(dir);

  const takenAt = new Date();
  const name = backupName(takenAt, key !== null);
  // Written under a temporary name in BACKUP_DIR (the same filesystem, so the rename is atomic), or in a private
  // temporary directory when the backup only goes to S3.
  const scratch = dir ? null : await mkdtemp(join(tmpdir(), 'parley-backup-'));
  const partial = join(dir ?? scratch!, partialName(name, randomBytes(4).toString('hex')));
  let kept: string | null = null;
  try {
    const { sha256, bytes } = await dumpInto(partial, settings, key);
    const summary = `${formatBytes(bytes)}, sha256 ${sha256}${key ? ', encrypted' : ''}`;
    const source = `${printableDatabase(settings.DATABASE_URL)} (schemas ${PARLEY_SCHEMAS.join(', ')})`;
    let stored = partial;
    if (dir) {
      const final = join(dir, name);
      if (await exists(final))
        throw new BackupError(`${final} already exists: another backup ran in the same second; nothing was overwritten`);
      // The checksum first: a backup under its final name always has one.
      await writeFileAtomically(final + CHECKSUM_SUFFIX, checksumLine(sha256, name));
      await rename(partial, final);
      stored = kept = final;
      console.log(`backup: wrote ${final} (${summary}) from ${source}`);
    }
    if (s3) {
      try {
        await s3.putFile(s3.keyOf(name), stored, sha256);
      } catch (error) {
        if (kept && error instanceof BackupError) throw new BackupError(`${kept} was written, but uploading it failed: ${error.message}`);
        throw error;
      }
      console.log(`backup: uploaded ${s3.location}/${name} (${summary})${dir ? '' : ` from ${source}`}`);
    }
  } finally {
    await rm(partial, { force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }

  // Only after the new backup is safely stored do older ones go.
  const policy: RetentionPolicy = { retentionDays: settings.BACKUP_RETENTION_DAYS, keepLast: settings.BACKUP_KEEP_LAST };
  if (policy.retentionDays === undefined && policy.keepLast === undefined) return;
  const rule = [policy.keepLast && `keep the last ${policy.keepLast}`, policy.retentionDays && `delete after ${policy.retentionDays} days`]
    .filter(Boolean)
    .join(', ');
  if (dir) {
    const deleted = await applyRetentionInDirectory(dir, policy, takenAt, name);
    console.log(`backup: retention (${rule}) in ${dir}: ${deleted.length === 0 ? 'nothing to delete' : `deleted ${deleted.join(', ')}`}`);
  }
  if (s3) {
    const names = (await s3.list('parley-')).map((object) => s3.nameOf(object.key)).filter((n): n is string => n !== null);
    const expired = expiredBackups(backupsAmong(names), policy, takenAt, name);
    for (const backup of expired) await s3.delete(s3.keyOf(backup.name));
    console.log(
      `backup: retention (${rule}) in ${s3.location}: ${expired.length === 0 ? 'nothing to delete' : `deleted ${expired.map((b) => b.name).join(', ')}`}`,
    );
  }
});

/** pg_dump of Parley's schemas into `path` (encrypted on the way when there is a key); its SHA-256 and size as written. */
async function dumpInto(path: string, settings: BackupSettings, key: Buffer | null): Promise<{ sha256: string; bytes: number }> {
  const { dbname, env } = connectionFor(settings.DATABASE_URL);
  const dump = runPostgresTool(
    'pg_dump',
    [
      '--format=custom',
      // Every Parley schema must be there: a database that lacks one is not Parley's, or not migrated.
      '--strict-names',
      ...PARLEY_SCHEMAS.map((schema) => `--schema=${schema}`),
      '--no-password',
      `--dbname=${dbname}`,
    ],
    { binDir: settings.PG_BIN_DIR, env },
  );
  const hash = createHash('sha256');
  let bytes = 0;
  const written = pipeline(
    dump.child.stdout,
    async function* (source: AsyncIterable<Buffer>) {
      yield* key ? encryptStream(source, key) : source;
    },
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true }),
  );
  const [dumped, wrote] = await Promise.allSettled([dump.done, written]);
  // A failed write (a full volume) makes pg_dump die of a broken pipe: the write's error is the one to act on.
  if (wrote.status === 'rejected') throw new BackupError(`writing ${path} failed: ${(wrote.reason as Error).message}`);
  if (dumped.status === 'rejected') {
    const error = dumped.reason as Error;
    if (/no matching schemas were found/.test(error.message)) {
      throw new BackupError(
        `${error.message}\n  (is DATABASE_URL, ${printableDatabase(settings.DATABASE_URL)}, Parley's database? Run npm run migrate once, or start the services, to create every schema)`,
      );
    }
    throw error;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
