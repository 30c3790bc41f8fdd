import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '@parley/errors';
import { sendHttpError, sendJson, type Logger, type RouteHandler } from '@parley/runtime';
import { ASSETS_PREFIX } from '../explorer/explorer-assets';
import { LOCKED_DOWN, serializeCsp } from '../http/content-security-policy';
import type { EdgeRoutes } from '../http/edge-routes';
import { allowOnlyReads } from '../http/read-only-methods';
import { contentTypeOf, IMMUTABLE, sendStaticFile, type StaticFile } from '../http/static-files';
import { INDEX_HTML, loadWebClientBuild, type WebClientBuild } from './web-client-files';

/**
 * The gateway's own paths: the app never answers one of them, nor anything
 * under it (`/api/nope` stays the JSON 404 it was), while a path that merely
 * starts with the same letters (`/graphqlx`) is the app's. The gateway adds
 * the first segment of every route it mounts, so a new API is never shadowed.
 */
export const RESERVED_PATHS = ['/graphql', '/api', '/v1', '/graphiql', '/sandbox', ASSETS_PREFIX, '/healthz', '/readyz', '/metrics', '/ws'];

/** Vite's output for the content-hashed files: a new build is new names, so these are cached for good. */
const HASHED_PREFIX = 'assets/';

const BUILD_COMMAND = 'npm run build -w web';
const NOT_BUILT = `The web client is not built. Build it with \`${BUILD_COMMAND}\` (npm start does so itself), then reload.`;

export interface WebClientOptions {
  /** The build's directory (`npm run build -w web` writes web/dist). */
  dir: string;
  logger: Logger;
  /** Paths that stay the gateway's, each with everything under it: `RESERVED_PATHS` and more. */
  reserved: readonly string[];
  /** Where the app may open graphql-ws beside 'self' (`publicSockets`). */
  sockets: readonly string[];
}

/**
 * The web client (web/, a Vite build) at `/`: every path no other route
 * serves, as a prefix route on "/" (the shortest prefix, so the last one
 * tried). A file of the build is answered as it is; any other path that is
 * not the gateway's is the app's page, index.html, so a deep link (/c/123)
 * opens the app there. The build is read into memory at the first request,
 * not at start, and kept for the life of the process; until it exists every
 * request looks again, so a build made while the gateway runs is served at
 * the next reload.
 */
export function webClientRoutes(options: WebClientOptions): EdgeRoutes {
  return { routes: {}, prefixRoutes: { '/': webClientHandler(options) } };
}

export function webClientHandler({ dir, logger, reserved, sockets }: WebClientOptions): RouteHandler {
  const policy = appPolicy(sockets);
  const roots = [...new Set(reserved.map((path) => path.replace(/\/+$/, '')).filter(Boolean))];
  const isReserved = (path: string) => roots.some((root) => path === root || path.startsWith(`${root}/`));
  const current = currentBuild(dir, logger);

  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const name = fileName(path);
    if (isReserved(path) || (name !== null && isReserved(`/${name}`))) {
      return sendHttpError(res, new NotFoundError(`No route for ${path}`));
    }
    if (!allowOnlyReads(req, res)) return;
    if (name === null) return sendHttpError(res, new NotFoundError(`No file ${path} in the web client`));
    const build = await current();
    if (!build) return sendNotBuilt(req, res);
    const file = build.get(name);
    if (file) return send(req, res, file, name.startsWith(HASHED_PREFIX) ? IMMUTABLE : 'no-cache', policy);
    // A file the build does not have (an outdated hashed name, a missing icon) is a 404, not the page in its place.
    if (name.startsWith(HASHED_PREFIX) || contentTypeOf(name)) {
      return sendHttpError(res, new NotFoundError(`No file ${path} in the web client`));
    }
    send(req, res, build.get(INDEX_HTML)!, 'no-cache', policy);
  };
}

/** The build, loaded once; null while there is none (each call then looks again, and the first says so in the log). */
function currentBuild(dir: string, logger: Logger): () => Promise<WebClientBuild | null> {
  let loaded: WebClientBuild | undefined;
  let loading: Promise<WebClientBuild | null> | undefined;
  let reportedMissing = false;
  return async () => {
    if (loaded) return loaded;
    loading ??= (async () => {
      const startedAt = performance.now();
      const build = await loadWebClientBuild(dir);
      if (!build) {
        if (!reportedMissing) logger.warn({ dir }, `the web client is not built, so / answers 503; run \`${BUILD_COMMAND}\``);
        reportedMissing = true;
        return null;
      }
      const bytes = [...build.values()].reduce((sum, file) => sum + file.identity.body.length, 0);
      logger.info({ dir, files: build.size, bytes, durationMs: Math.round(performance.now() - startedAt) }, 'loaded the web client');
      loaded = build;
      return build;
    })().finally(() => (loading = undefined));
    return loading;
  };
}

/**
 * The build's name for a request path ("" for "/"), or null for one that is
 * not a plain relative name: undecodable, a backslash, a NUL, or a "." or
 * ".." segment. Lookups are by exact name in the loaded build either way;
 * this refuses the attempt outright rather than answer it with the app.
 */
function fileName(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || /[\\\0]/.test(decoded)) return null;
  const name = decoded.slice(1);
  return name.split('/').some((segment) => segment === '.' || segment === '..') ? null : name;
}

/**
 * The app's policy, for its page and every file of it: its own scripts,
 * styles, fonts and images (and data: images), calls to its own origin over
 * HTTP and WebSocket (graphql-ws), and nothing inline: Vite emits external
 * module scripts. It applies to a worker too, which takes its policy from its
 * own response.
 */
function appPolicy(sockets: readonly string[]): string {
  return serializeCsp({
    ...LOCKED_DOWN,
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...sockets],
    'manifest-src': ["'self'"],
    'form-action': ["'self'"],
  });
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile, cacheControl: string, policy: string): void {
  sendStaticFile(req, res, file, {
    'cache-control': cacheControl,
    'content-security-policy': policy,
  });
}

/** 503 with what to do: a short page for a browser, JSON for anything else. */
function sendNotBuilt(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('cache-control', 'no-store');
  if (!/\btext\/html\b/i.test(req.headers.accept ?? '')) return sendJson(res, 503, { error: 'web_client_not_built', message: NOT_BUILT });
  const body = Buffer.from(
    `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Parley · web client not built</title>
  </head>
  <body>
    <h1>The web client is not built</h1>
    <p>Build it with <code>${BUILD_COMMAND}</code> (<code>npm start</code> does so itself), then reload this page.</p>
    <p>The API is up meanwhile: GraphQL at <code>/graphql</code>, and <a href="/graphiql">GraphiQL</a> to try it.</p>
  </body>
</html>
`,
    'utf8',
  );
  res.writeHead(503, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'content-security-policy': serializeCsp(LOCKED_DOWN),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
