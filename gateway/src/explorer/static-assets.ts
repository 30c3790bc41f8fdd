import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { extname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { NotFoundError } from '@parley/errors';
import { sendHttpError, type RouteHandler } from '@parley/runtime';
import { serializeCsp } from './content-security-policy';
import { allowOnlyReads } from './read-only-methods';

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

interface LoadedAsset {
  contentType: string;
  version: string;
  identity: { body: Buffer; etag: string };
  gzip: { body: Buffer; etag: string } | undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
// A versioned URL never changes content, so browsers need not even revalidate it.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// An unversioned (or outdated) URL may change under the client: it must ask again, cheaply thanks to the ETag.
const REVALIDATE = 'public, max-age=0, must-revalidate';
const ASSET_CSP = serializeCsp({ 'default-src': ["'none'"] });

const compress = promisify(gzip);

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
  const loading: (Promise<Map<string, LoadedAsset>> | undefined)[] = sets.map(() => undefined);
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
      const representation = asset.gzip && acceptsGzip(req.headers) ? asset.gzip : asset.identity;
      const headers: Record<string, string | number> = {
        'content-type': asset.contentType,
        'cache-control': url.searchParams.get('v') === asset.version ? IMMUTABLE : REVALIDATE,
        etag: representation.etag,
        vary: 'accept-encoding',
        'x-content-type-options': 'nosniff',
        // A script run as a worker (Monaco's) takes its policy from its own response, not from the page:
        // it needs nothing but its own code, and this keeps it to that. <script> and <link> ignore it.
        'content-security-policy': ASSET_CSP,
      };
      if (representation === asset.gzip) headers['content-encoding'] = 'gzip';
      if (matchesEtag(req.headers['if-none-match'], representation.etag)) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': representation.body.length });
      res.end(req.method === 'HEAD' ? undefined : representation.body);
    },
  };
}

async function loadSet(set: AssetSet): Promise<Map<string, LoadedAsset>> {
  const files = await set.load();
  const names = files.map((file) => file.name);
  if (names.length !== set.names.length || !set.names.every((name) => names.includes(name))) {
    throw new Error(`Explorer assets ${names.join(', ')} loaded where ${set.names.join(', ')} were expected`);
  }
  const loaded = await Promise.all(files.map(async ({ name, body }) => [name, await prepare(name, body)] as const));
  return new Map(loaded);
}

async function prepare(name: string, body: Buffer): Promise<LoadedAsset> {
  const contentType = CONTENT_TYPES[extname(name)];
  if (!contentType) throw new Error(`No content type known for explorer asset ${name}`);
  const hash = createHash('sha256').update(body).digest('hex');
  const gzipped = await compress(body);
  return {
    contentType,
    version: hash.slice(0, 16),
    identity: { body, etag: `"${hash.slice(0, 32)}"` },
    // Each encoding is its own representation, so it gets its own strong ETag.
    gzip: gzipped.length < body.length ? { body: gzipped, etag: `"${hash.slice(0, 32)}-gzip"` } : undefined,
  };
}

/** Whether the client takes gzip, honouring `q=0` (refused) and the `*` wildcard. */
function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const header = headers['accept-encoding'];
  if (!header) return false;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    weights.set(coding, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}

/** If-None-Match uses the weak comparison: a `W/` prefix does not stop a match. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
