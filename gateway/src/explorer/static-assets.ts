import { NotFoundError } from '@parley/errors';
import { sendHttpError, type RouteHandler } from '@parley/runtime';
import { serializeCsp } from '../http/content-security-policy';
import { allowOnlyReads } from '../http/read-only-methods';
import { contentTypeOf, IMMUTABLE, prepareStaticFile, sendStaticFile, type StaticFile } from '../http/static-files';

/**
 * Files that come into being together: read from installed packages, or built
 * by one esbuild run. Their names are known before they load, so a request
 * loads only the set its file belongs to: /sandbox never waits for (or fails
 * with) GraphiQL's bundle.
 */
export interface AssetSet {
  /** The last segment of each file's URL, e.g. "graphiql.js". */
  names: readonly string[];
  /** Every one of `names`, with its content. */
  load(): Promise<{ name: string; body: Buffer }[]>;
}

export interface StaticAssets {
  /** The URL of each named asset, carrying a hash of its content so that new content is a new URL. */
  urls(names: readonly string[]): Promise<Record<string, string>>;
  /** Serves the assets; mount it as a prefix route on `prefix`. */
  handler: RouteHandler;
}

// An unversioned (or outdated) URL may change under the client: it must ask again, cheaply thanks to the ETag.
const REVALIDATE = 'public, max-age=0, must-revalidate';
const ASSET_CSP = serializeCsp({ 'default-src': ["'none'"] });

/**
 * Files served from memory under `prefix`: each set is loaded (and gzipped)
 * once, on first use rather than at start, so a gateway nobody browses never
 * reads or builds GraphiQL's 5 MB bundle, and a missing package fails that
 * request and not the gateway's start. Requests that arrive while a set loads
 * wait for that same load.
 */
export function staticAssets(prefix: string, sets: readonly AssetSet[]): StaticAssets {
  const setOf = new Map<string, number>();
  sets.forEach((set, index) => {
    for (const name of set.names) {
      if (setOf.has(name)) throw new Error(`Explorer asset ${name} is in two sets`);
      setOf.set(name, index);
    }
  });
  const loading: (Promise<Map<string, StaticFile>> | undefined)[] = sets.map(() => undefined);
  const load = (index: number) =>
    (loading[index] ??= loadSet(sets[index]!).catch((error: unknown) => {
      // Let the next request try again rather than remember a failure forever.
      loading[index] = undefined;
      throw error;
    }));
  const find = async (name: string) => {
    const index = setOf.get(name);
    return index === undefined ? undefined : (await load(index)).get(name);
  };

  return {
    async urls(names) {
      const entries = await Promise.all(
        names.map(async (name) => {
          const asset = await find(name);
          if (!asset) throw new Error(`No explorer asset named ${name}`);
          return [name, `${prefix}${name}?v=${asset.version}`] as const;
        }),
      );
      return Object.fromEntries(entries);
    },
    handler: async (req, res) => {
      if (!allowOnlyReads(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://gateway.invalid');
      const name = url.pathname.slice(prefix.length);
      const asset = await find(name);
      if (!asset) return sendHttpError(res, new NotFoundError(`No explorer asset named ${name}`));
      sendStaticFile(req, res, asset, {
        'cache-control': url.searchParams.get('v') === asset.version ? IMMUTABLE : REVALIDATE,
        // A script run as a worker (Monaco's) takes its policy from its own response, not from the page:
        // it needs nothing but its own code, and this keeps it to that. <script> and <link> ignore it.
        'content-security-policy': ASSET_CSP,
      });
    },
  };
}

async function loadSet(set: AssetSet): Promise<Map<string, StaticFile>> {
  const files = await set.load();
  const names = files.map((file) => file.name);
  if (names.length !== set.names.length || !set.names.every((name) => names.includes(name))) {
    throw new Error(`Explorer assets ${names.join(', ')} loaded where ${set.names.join(', ')} were expected`);
  }
  const loaded = await Promise.all(files.map(async ({ name, body }) => [name, await prepare(name, body)] as const));
  return new Map(loaded);
}

async function prepare(name: string, body: Buffer): Promise<StaticFile> {
  const contentType = contentTypeOf(name);
  if (!contentType) throw new Error(`No content type known for explorer asset ${name}`);
  return prepareStaticFile(body, contentType.type, contentType.compressible);
}
