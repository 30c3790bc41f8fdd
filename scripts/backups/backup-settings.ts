import { env } from '@parley/runtime';
import { z } from 'zod';
import { parseEncryptionKey } from './encryption';
import { parseS3Url, type S3Target } from './s3';

/**
 * The environment of npm run backup and npm run restore. An empty variable
 * counts as unset (a chart or a compose file often passes "" for "none").
 */

const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankIsUnset, schema.optional());
const positiveWhole = (what: string) =>
  optional(
    z.coerce
      .number({ message: `must be a whole number of ${what}` })
      .int(`must be a whole number of ${what}`)
      .positive('must be at least 1'),
  );

const destinationSettings = {
  /** A directory (a mounted volume) backups are written to. */
  BACKUP_DIR: optional(z.string()),
  /** https://host/bucket/prefix of an S3-compatible store (path-style). */
  BACKUP_S3_URL: optional(z.string()),
  BACKUP_S3_ACCESS_KEY_ID: optional(z.string()),
  BACKUP_S3_SECRET_ACCESS_KEY: optional(z.string()),
  BACKUP_S3_REGION: z.preprocess(blankIsUnset, z.string().default('us-east-1')),
  /** 32 random bytes, base64: AES-256-GCM on the client, so a copied backup is unreadable without it. */
  BACKUP_ENCRYPTION_KEY: optional(z.string()),
  /** The directory of pg_dump and pg_restore, when PATH does not have the right version. */
  PG_BIN_DIR: optional(z.string()),
};

const _destination = z.object(destinationSettings);
type Destination = z.output<typeof _destination>;

function checkDestination(settings: Destination, ctx: z.RefinementCtx): void {
  if (settings.BACKUP_S3_URL !== undefined) {
    const location = parseS3Url(settings.BACKUP_S3_URL);
    if (typeof location === 'string') ctx.addIssue({ code: 'custom', path: ['BACKUP_S3_URL'], message: location });
    for (const name of ['BACKUP_S3_ACCESS_KEY_ID', 'BACKUP_S3_SECRET_ACCESS_KEY'] as const) {
      if (settings[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'must be set when BACKUP_S3_URL is' });
    }
  }
  if (settings.BACKUP_ENCRYPTION_KEY !== undefined) {
    const key = parseEncryptionKey(settings.BACKUP_ENCRYPTION_KEY);
    if (typeof key === 'string') ctx.addIssue({ code: 'custom', path: ['BACKUP_ENCRYPTION_KEY'], message: key });
  }
}

const databaseUrl = env.url(['postgres:', 'postgresql:'], 'a postgres:// URL of the database to back up');

export const backupSettingsSchema = z
  .object({
    DATABASE_URL: databaseUrl,
    ...destinationSettings,
    /** Backups older than this many days are deleted (the last BACKUP_KEEP_LAST always stay). */
    BACKUP_RETENTION_DAYS: positiveWhole('days'),
    /** The newest this many backups always stay; alone, older ones are deleted. */
    BACKUP_KEEP_LAST: positiveWhole('backups'),
  })
  .superRefine((settings, ctx) => {
    if (settings.BACKUP_DIR === undefined && settings.BACKUP_S3_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_DIR'],
        message: 'set BACKUP_DIR (a mounted directory) or BACKUP_S3_URL (https://host/bucket/prefix), or both: where backups go',
      });
    }
    checkDestination(settings, ctx);
  });

export const restoreSettingsSchema = z
  .object({
    /** Optional here: `--verify` needs no database. */
    DATABASE_URL: optional(databaseUrl),
    ...destinationSettings,
  })
  .superRefine(checkDestination);

export type BackupSettings = z.output<typeof backupSettingsSchema>;
export type RestoreSettings = z.output<typeof restoreSettingsSchema>;

/** The S3 target of validated settings, or null when BACKUP_S3_URL is not set. */
export function s3TargetOf(settings: Destination): S3Target | null {
  if (settings.BACKUP_S3_URL === undefined) return null;
  const location = parseS3Url(settings.BACKUP_S3_URL);
  if (typeof location === 'string') throw new Error(location);
  return {
    ...location,
    region: settings.BACKUP_S3_REGION,
    accessKeyId: settings.BACKUP_S3_ACCESS_KEY_ID!,
    secretAccessKey: settings.BACKUP_S3_SECRET_ACCESS_KEY!,
  };
}

/** The encryption key of validated settings, or null. */
export function encryptionKeyOf(settings: Destination): Buffer | null {
  if (settings.BACKUP_ENCRYPTION_KEY === undefined) return null;
  const key = parseEncryptionKey(settings.BACKUP_ENCRYPTION_KEY);
  if (typeof key === 'string') throw new Error(key);
  return key;
}
