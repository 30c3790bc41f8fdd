import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { extname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { sendJson, type RouteHandler } from '@parley/runtime';
import { allowOnlyReads } from './read-only-methods';

export interface AssetSource {
  /** The last segment of the asset's URL, e.g. "graphiql.min.js". */
  name: string;
  /** Where the file is on disk. */
  path: string;
}

export interface StaticAssets {
  /** Each asset's URL by name, carrying a hash of its content so that new content is a new URL. */
  urls(): Promise<Record<string, string>>;
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

const compress = promisify(gzip);

/**
 * Files served from memory under `prefix`: read (and gzipped) once, on first
 * use rather than at start, so a gateway nobody browses never reads GraphiQL's
 * 3.5 MB bundle. `sources` is called then too, so a missing package fails
 * that request and not the gateway's start.
 */
export function staticAssets(prefix: string, sources: () => AssetSource[]): StaticAssets {
  let loading: Promise<Map<string, LoadedAsset>> | undefined;
  const load = () =>
    (loading ??= loadAll(sources()).catch((error: unknown) => {
      // Let the next request try again rather than remember a failure forever.
      loading = undefined;
      throw error;
    }));

  return {
    async urls() {
      const assets = await load();
      return Object.fromEntries([...assets].map(([name, asset]) => [name, `${prefix}${name}?v=${asset.version}`]));
    },
    handler: async (req, res) => {
      if (!allowOnlyReads(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://gateway.invalid');
      const name = url.pathname.slice(prefix.length);
      const asset = (await load()).get(name);
      if (!asset) return sendJson(res, 404, { error: 'not_found', message: `No explorer asset named ${name}` });
      const representation = asset.gzip && acceptsGzip(req.headers) ? asset.gzip : asset.identity;
      const headers: Record<string, string | number> = {
        'content-type': asset.contentType,
        'cache-control': url.searchParams.get('v') === asset.version ? IMMUTABLE : REVALIDATE,
        etag: representation.etag,
        vary: 'accept-encoding',
        'x-content-type-options': 'nosniff',
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

async function loadAll(sources: AssetSource[]): Promise<Map<string, LoadedAsset>> {
  const loaded = await Promise.all(sources.map(async (source) => [source.name, await loadOne(source)] as const));
  return new Map(loaded);
}

async function loadOne({ name, path }: AssetSource): Promise<LoadedAsset> {
  const contentType = CONTENT_TYPES[extname(name)];
  if (!contentType) throw new Error(`No content type known for explorer asset ${name}`);
  const body = await readFile(path);
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
