import { mkdirSync } from 'node:fs';
import { ForeignOwnerError, makeTreePrivate } from '@parley/database';
import type { Logger } from '@parley/runtime';

/** The data directory cannot be made private to this process's user: the embedded platform does not start on it. */
export class DataDirectoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataDirectoryError';
  }
}

/**
 * The embedded data directory (PARLEY_DATA_DIR) holds PostgreSQL's files, whose write-ahead log has e-mails,
 * messages and password hashes in clear, and the generated secrets: it and everything in it is this user's alone
 * (directories 0700, files 0600). A looser one this user owns (an older Parley's, a copy, a restore) is tightened and
 * the change logged; one that belongs to another user is refused, since that user could read or swap its files.
 */
export function makeDataDirectoryPrivate(dataDir: string, logger: Logger): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let tightened;
  try {
    tightened = makeTreePrivate(dataDir);
  } catch (error) {
    if (!(error instanceof ForeignOwnerError)) throw error;
    throw new DataDirectoryError(
      `The data directory ${dataDir} is not this user's: ${error.message}. It holds the database and its secrets, so Parley ` +
        `uses only a directory of its own user: set PARLEY_DATA_DIR to another directory, or give this one to uid ${process.getuid?.()} (chown -R).`,
      { cause: error },
    );
  }
  const { directories, files } = tightened;
  if (directories.length + files.length === 0) return;
  logger.warn(
    { dataDir, directories: directories.length, files: files.length, examples: [...directories, ...files].slice(0, 5) },
    `the data directory was readable by other users: made ${directories.length} directories 0700 and ${files.length} files 0600`,
  );
}
