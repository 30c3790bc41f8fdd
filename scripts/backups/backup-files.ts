import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from './backup-error';
import { CHECKSUM_SUFFIX, backupsAmong, expiredBackups, parseBackupName, type BackupName, type RetentionPolicy } from './backup-names';

/** SHA-256 (hex) of a file's bytes. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** BACKUP_DIR must exist and be writable: a missing mount should fail the backup, not fill the container's own disk. */
export async function checkBackupDirectory(dir: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new BackupError(`BACKUP_DIR ${dir} does not exist: mount the backup volume there (or create the directory)`);
  }
  if (!info.isDirectory()) throw new BackupError(`BACKUP_DIR ${dir} is not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new BackupError(
      `BACKUP_DIR ${dir} is not writable by this user (uid ${process.getuid?.() ?? '?'}): give it write access (e.g. fsGroup)`,
    );
  }
}

/** Writes a small file whole or not at all: to a temporary name, then renamed. */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.partial-${process.pid}`;
  try {
    await writeFile(temporary, content, { mode: 0o600, flush: true });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Temporary files a backup writes in BACKUP_DIR before they get their final name. */
export const partialName = (name: string, suffix: string) => `.${name}.partial-${suffix}`;
const PARTIAL = /^\.parley-.*\.partial-[0-9a-z]+$/;

/** The backups in a directory, newest first. */
export async function backupsInDirectory(dir: string): Promise<BackupName[]> {
  return backupsAmong(await readdir(dir));
}

/**
 * Deletes the backups a policy expires from a directory (each with its
 * checksum), and what failed runs left: temporary files and checksums without
 * a backup, once they are a day old. Answers the names of the backups deleted.
 */
export async function applyRetentionInDirectory(dir: string, policy: RetentionPolicy, now: Date, keep: string): Promise<string[]> {
  const entries = await readdir(dir);
  const expired = expiredBackups(backupsAmong(entries), policy, now, keep);
  for (const backup of expired) {
    await rm(join(dir, backup.name), { force: true });
    await rm(join(dir, backup.name + CHECKSUM_SUFFIX), { force: true });
  }
  const present = new Set(entries);
  const dayAgo = now.getTime() - 24 * 60 * 60 * 1000;
  for (const entry of entries) {
    const orphanChecksum =
      entry.endsWith(CHECKSUM_SUFFIX) &&
      parseBackupName(entry.slice(0, -CHECKSUM_SUFFIX.length)) &&
      !present.has(entry.slice(0, -CHECKSUM_SUFFIX.length));
    if (!orphanChecksum && !PARTIAL.test(entry)) continue;
    const info = await stat(join(dir, entry)).catch(() => null);
    if (info && info.mtimeMs < dayAgo) await rm(join(dir, entry), { force: true });
  }
  return expired.map((backup) => backup.name);
}

export const formatBytes = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : bytes < 1024 ** 3
        ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
        : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
