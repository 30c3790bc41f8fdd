/**
 * What a backup is called, wherever it is kept: `parley-<UTC timestamp>.dump`
 * (or `.dump.enc` when encrypted), the timestamp in ISO 8601 basic form to the
 * second, so names sort by age and say when they were taken. In a directory its
 * SHA-256 is beside it in `<name>.sha256` (`sha256sum -c` reads it); on S3 it is
 * the object's `x-amz-meta-sha256`.
 */

const BACKUP_NAME = /^parley-(\d{8}T\d{6}Z)\.dump(\.enc)?$/;

export const CHECKSUM_SUFFIX = '.sha256';

export interface BackupName {
  name: string;
  takenAt: Date;
  encrypted: boolean;
}

/** 2026-01-15T03:00:00.000Z → 20260115T030000Z */
export function timestampOf(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '');
}

export function backupName(takenAt: Date, encrypted: boolean): string {
  return `parley-${timestampOf(takenAt)}.dump${encrypted ? '.enc' : ''}`;
}

/** The backup a file or object name is, or null for anything else (checksums, temporary files, someone else's files). */
export function parseBackupName(name: string): BackupName | null {
  const match = BACKUP_NAME.exec(name);
  if (!match) return null;
  const t = match[1]!;
  const takenAt = new Date(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`);
  if (Number.isNaN(takenAt.getTime()) || timestampOf(takenAt) !== t) return null;
  return { name, takenAt, encrypted: match[2] !== undefined };
}

/** Backups among names, newest first. */
export function backupsAmong(names: Iterable<string>): BackupName[] {
  const backups: BackupName[] = [];
  for (const name of names) {
    const backup = parseBackupName(name);
    if (backup) backups.push(backup);
  }
  return backups.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || (a.name < b.name ? 1 : -1));
}

export interface RetentionPolicy {
  /** Backups older than this many days go (unless they are among the last `keepLast`). */
  retentionDays?: number | undefined;
  /** The newest this many backups always stay; alone, everything older goes. */
  keepLast?: number | undefined;
}

/**
 * Which backups a policy deletes. With both settings a backup goes only when it
 * is older than `retentionDays` and not one of the newest `keepLast`, so backups
 * that stopped for a while never leave you with none. With neither, nothing goes.
 * `keep` (the backup just taken) never goes.
 */
export function expiredBackups(backups: BackupName[], policy: RetentionPolicy, now: Date, keep?: string): BackupName[] {
  const { retentionDays, keepLast } = policy;
  if (retentionDays === undefined && keepLast === undefined) return [];
  const newestFirst = [...backups].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
  const cutoff = retentionDays === undefined ? undefined : now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
  return newestFirst.filter((backup, i) => {
    if (backup.name === keep) return false;
    if (keepLast !== undefined && i < keepLast) return false;
    return cutoff === undefined ? true : backup.takenAt.getTime() < cutoff;
  });
}

/** A checksum file's line, as sha256sum writes it. */
export const checksumLine = (sha256: string, name: string) => `${sha256}  ${name}\n`;

/** The SHA-256 a checksum file gives for `name`, or null when it names nothing or another file. */
export function parseChecksumFile(text: string, name: string): string | null {
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/i.exec(line.trim());
    if (match && match[2] === name) return match[1]!.toLowerCase();
  }
  return null;
}
