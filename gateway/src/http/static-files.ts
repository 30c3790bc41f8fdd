import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/**
 * Files the gateway serves from memory (the explorers' assets, the web
 * client's build): each is hashed and gzipped once when it loads, then every
 * request picks the representation the client takes, with a strong ETag and
 * 304 for a copy the client already holds.
 */
export interface StaticFile {
  contentType: string;
  /** The first 16 hex digits of the content's SHA-256: what a versioned URL carries. */
  version: string;
  identity: Representation;
  /** Absent when gzip would not make the file smaller (or the type does not compress). */
  gzip: Representation | undefined;
}

interface Representation {
  body: Buffer;
  etag: string;
}

/** A versioned (content-hashed) URL never changes content, so browsers need not even revalidate it. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** By extension: the type, and whether gzip is worth trying (images and fonts are compressed already). */
const CONTENT_TYPES: Record<string, { type: string; compressible: boolean }> = {
  '.html': { type: 'text/html; charset=utf-8', compressible: true },
  '.js': { type: 'text/javascript; charset=utf-8', compressible: true },
  '.mjs': { type: 'text/javascript; charset=utf-8', compressible: true },
  '.css': { type: 'text/css; charset=utf-8', compressible: true },
  '.svg': { type: 'image/svg+xml', compressible: true },
  '.png': { type: 'image/png', compressible: false },
  '.ico': { type: 'image/x-icon', compressible: true },
  '.json': { type: 'application/json; charset=utf-8', compressible: true },
  '.webmanifest': { type: 'application/manifest+json; charset=utf-8', compressible: true },
  '.woff2': { type: 'font/woff2', compressible: false },
  '.txt': { type: 'text/plain; charset=utf-8', compressible: true },
  '.map': { type: 'application/json; charset=utf-8', compressible: true },
};

/** The type of a file by its name's extension, or undefined for one the gateway does not know. */
export function contentTypeOf(name: string): { type: string; compressible: boolean } | undefined {
  return CONTENT_TYPES[extname(name).toLowerCase()];
}

const compress = promisify(gzip);

export async function prepareStaticFile(body: Buffer, contentType: string, compressible = true): Promise<StaticFile> {
  const hash = createHash('sha256').update(body).digest('hex');
  const gzipped = compressible ? await compress(body) : undefined;
  return {
    contentType,
    version: hash.slice(0, 16),
    identity: { body, etag: `"${hash.slice(0, 32)}"` },
    // Each encoding is its own representation, so it gets its own strong ETag.
    gzip: gzipped && gzipped.length < body.length ? { body: gzipped, etag: `"${hash.slice(0, 32)}-gzip"` } : undefined,
  };
}

/**
 * Answers with `file` (200, or 304 when If-None-Match names it; no body for
 * HEAD), gzipped when the client takes it. `headers` are the caller's
 * (cache-control, policies); type, ETag, encoding and length are added here, and the HTTP shell has set the
 * security headers every answer carries (libs/runtime/src/security-headers.ts).
 */
export function sendStaticFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, headers: Record<string, string>): void {
  const representation = file.gzip && acceptsGzip(req.headers) ? file.gzip : file.identity;
  const all: Record<string, string | number> = {
    ...headers,
    'content-type': file.contentType,
    etag: representation.etag,
  };
  if (file.gzip) all['vary'] = 'accept-encoding';
  if (representation === file.gzip) all['content-encoding'] = 'gzip';
  if (matchesEtag(req.headers['if-none-match'], representation.etag)) {
    res.writeHead(304, all);
    res.end();
    return;
  }
  res.writeHead(200, { ...all, 'content-length': representation.body.length });
  res.end(req.method === 'HEAD' ? undefined : representation.body);
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
