import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentTypeOf, prepareStaticFile, type StaticFile } from '../http/static-files';

/** Where `npm run build -w web` writes the web client: the repository's web/dist, found from this package. */
export const DEFAULT_WEB_CLIENT_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** The page every route of the app answers with. */
export const INDEX_HTML = 'index.html';

/** A build in memory: every file by its path relative to the directory, '/'-separated ("assets/index-3f2a.js"). */
export type WebClientBuild = ReadonlyMap<string, StaticFile>;

/**
 * Reads the whole build into memory, each file hashed and gzipped once; null
 * when there is no build there (no directory, or no index.html in it). The
 * files are the directory's listing at this moment: regular files only (a
 * symbolic link is not followed out of it), none whose path has a segment
 * starting with "." (.parley-build.json, an editor's leftovers). A request is
 * answered from this map by exact name, so nothing it says can reach a file
 * outside it.
 */
export async function loadWebClientBuild(dir: string): Promise<WebClientBuild | null> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  const names = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((name) => !name.split('/').some((segment) => segment.startsWith('.')));
  if (!names.includes(INDEX_HTML)) return null;
  const files = await Promise.all(
    names.map(async (name) => {
      const type = contentTypeOf(name) ?? { type: 'application/octet-stream', compressible: false };
      return [name, await prepareStaticFile(await readFile(join(dir, name)), type.type, type.compressible)] as const;
    }),
  );
  return new Map(files);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
