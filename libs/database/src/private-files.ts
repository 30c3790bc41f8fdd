import { chmodSync, lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';

/** What `makeTreePrivate` tightened, relative to its root: directories made 0700, files made 0600. */
export interface TightenedModes {
  directories: string[];
  files: string[];
}

/** An entry of a tree that must be this user's belongs to someone else: nothing was changed past it. */
export class ForeignOwnerError extends Error {
  constructor(
    readonly path: string,
    readonly ownerUid: number,
  ) {
    super(`${path} belongs to uid ${ownerUid}, not to this process's user (uid ${process.getuid?.()})`);
    this.name = 'ForeignOwnerError';
  }
}

/**
 * Makes every directory under `root` (itself included) 0700 and every file 0600 where group or others had any
 * access, and says which it changed. Refuses (ForeignOwnerError) an entry owned by another user: a tree someone
 * else can write to is not private however its modes read. Symbolic links are neither followed nor changed,
 * except `root` itself. Without POSIX users (Windows) it does nothing.
 */
export function makeTreePrivate(root: string): TightenedModes {
  const uid = process.getuid?.();
  const tightened: TightenedModes = { directories: [], files: [] };
  if (uid === undefined) return tightened;
  const visit = (path: string, info: Stats) => {
    if (info.uid !== uid) throw new ForeignOwnerError(path, info.uid);
    if (info.isSymbolicLink()) return;
    const directory = info.isDirectory();
    if ((info.mode & 0o077) !== 0) {
      chmodSync(path, directory ? 0o700 : 0o600);
      (directory ? tightened.directories : tightened.files).push(relative(root, path) || '.');
    }
    if (directory) for (const name of readdirSync(path)) visit(join(path, name), lstatSync(join(path, name)));
  };
  visit(root, statSync(root));
  return tightened;
}
