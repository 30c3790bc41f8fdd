import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ForbiddenError,
  InternalServerError,
  NotFoundError,
  type ParleyError,
  RequestTimeoutError,
  toHttpError,
  UnauthenticatedError,
  unavailableDependency,
} from '@parley/errors';
import type { Metrics } from '@parley/telemetry';
import type { Logger } from './logger';
import { checkReadiness, type ReadinessCheck } from './readiness';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { setSecurityHeaders } from './security-headers';

export interface RequestScope {
  requestId: string;
  logger: Logger;
  /**
   * Lets go of the request's admission slot (`admitted` in admission.ts) before the answer starts: for a handler
   * about to wait on work that is not this process's, such as a model's generation. Does nothing without admission.
   */
  leaveAdmission(): void;
  /**
   * Whether the service is shutting down (`close` called). It still answers, but a handler about to start long work
   * (a model's reply) should refuse it, retriably, so that the drain ends with what the service already held.
   */
  draining(): boolean;
}

const outsideAdmission = () => {};

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, scope: RequestScope) => Promise<void> | void;

export interface HttpServiceOptions {
  logger: Logger;
  /** Exact-path routes, e.g. { '/graphql': handler }. */
  routes: Record<string, RouteHandler>;
  readiness: ReadinessCheck[];
  /** Routes matched by prefix when no exact route matches, longest first. */
  prefixRoutes?: Record<string, RouteHandler>;
  /** PEM certificate and key: the service terminates TLS itself (HTTPS, and WSS on the same server). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The process's metrics: every answered request is counted by route, and `/metrics` serves them all. */
  telemetry?: HttpTelemetry;
  /** How long a request's body may take to arrive whole, from its headers (BODY_TIMEOUT_MS); `DEFAULT_BODY_TIMEOUT_MS` otherwise. */
  bodyTimeoutMs?: number;
  /** How a route refuses in its own dialect (GraphQL's on /graphql …): the body timeout's 408 is sent so. Plain JSON otherwise. */
  refusalFor?: (path: string) => (res: ServerResponse, error: ParleyError) => void;
}

/** BODY_TIMEOUT_MS's default: a body of the largest size any route takes (1 MB) arrives well within it on a slow link. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** What a host gives a service for its metrics: the shell adds the service's name. */
export type ServiceTelemetry = Omit<HttpTelemetry, 'service'>;

export interface HttpTelemetry {
  metrics: Metrics;
  /** The `service` label of this shell's request series. */
  service: string;
  /** When set, `/metrics` answers only `Authorization: Bearer <token>` (METRICS_TOKEN): for a port the public reaches. */
  scrapeToken?: string | undefined;
  /** The public reaches this port (the gateway's): without a token, `/metrics` answers private addresses only. */
  publicPort?: boolean;
  /** False: this shell does not serve `/metrics` (an embedded subgraph: the gateway's port serves the shared registry). */
  serve?: boolean;
}

export interface HttpService {
  server: Server;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /**
   * Drains: /readyz answers 503 `draining` and every answer says `connection: close`, while the service still takes
   * requests until those it held at the call have ended; then it stops accepting, lets the rest finish and closes
   * idle keep-alive sockets. Past `graceMs` from the call it cuts what is left.
   */
  close(graceMs?: number): Promise<void>;
  /** Whether `close` was called: what `RequestScope.draining` says, for answers given outside HTTP too. */
  draining(): boolean;
}

/**
 * The HTTP shell every Parley service shares: request ids, /healthz and /readyz,
 * a route table, and a close that drains instead of cutting requests off.
 */
export function createHttpService({
  logger,
  routes,
  readiness,
  prefixRoutes = {},
  tls,
  telemetry,
  bodyTimeoutMs = DEFAULT_BODY_TIMEOUT_MS,
  refusalFor = () => sendHttpError,
}: HttpServiceOptions): HttpService {
  let draining = false;
  const isDraining = () => draining;
  /** Each request in progress, settled when its answer has ended (or its connection went). */
  const inProgress = new Set<Promise<void>>();
  const prefixes = Object.keys(prefixRoutes).sort((a, b) => b.length - a.length);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const ended = new Promise<void>((done) => res.once('close', done));
    inProgress.add(ended);
    void ended.then(() => inProgress.delete(ended));
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    setSecurityHeaders(res, { https: tls !== undefined });
    // While draining, tell keep-alive clients to reconnect elsewhere.
    if (draining) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (telemetry) countRequest(telemetry, req, res, routeLabel(path));
    const scope: RequestScope = {
      requestId,
      logger: logger.child({ requestId }),
      leaveAdmission: outsideAdmission,
      draining: isDraining,
    };
    scope.logger.debug({ method: req.method, path }, 'request');
    let bodyTimedOut = false;
    // A body that trickles in holds a socket, a parser and often an admission slot: it must arrive whole in time, or
    // the request is answered 408 and its connection closed (a slow client is not waited on anywhere, issue 19).
    const bodyTimer = setTimeout(() => {
      if (req.complete) return;
      bodyTimedOut = true;
      scope.logger.warn({ method: req.method, path, bodyTimeoutMs }, 'the request body did not arrive in time: connection closed');
      if (!res.headersSent) {
        // Node ends the socket once this answer is flushed, and then destroys it.
        res.setHeader('connection', 'close');
        refusalFor(path)(
          res,
          new RequestTimeoutError(
            `The request body did not arrive within ${bodyTimeoutMs} ms. Send the whole body at once, then try again.`,
          ),
        );
      } else if (res.writableFinished) {
        // Answered before its body came (a refusal, a timeout of the route's own): Node would keep reading the rest.
        req.socket.destroySoon();
      } else {
        req.socket.destroy();
      }
    }, bodyTimeoutMs);
    bodyTimer.unref();
    // Cleared once the body is whole and the answer given; an answer given before the body keeps it running.
    res.once('close', () => {
      if (req.complete) clearTimeout(bodyTimer);
    });
    try {
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        const report = await checkReadiness(readiness);
        const ready = report.ready && !draining;
        return sendJson(res, ready ? 200 : 503, { ...report, ready, ...(draining ? { draining: true } : {}) });
      }
      if (path === '/metrics' && telemetry && telemetry.serve !== false) return await serveMetrics(req, res, telemetry);
      const handler = routes[path] ?? prefixRoute(path);
      if (!handler) return sendHttpError(res, new NotFoundError(`No route for ${path}`));
      await handler(req, res, scope);
    } catch (error) {
      // The route was still reading the body when it timed out: its 408 is the answer, and the socket is going.
      if (bodyTimedOut) return;
      // A dependency that is down (Redis) is the retriable 503 a client can wait out, and its connection logs the outage.
      const unavailable = unavailableDependency(error);
      if (!unavailable) scope.logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendHttpError(res, unavailable ?? new InternalServerError('Internal server error', { requestId }));
      else res.destroy();
    }
  };
  const server: Server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, handle) : createServer(handle);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Node's own bound (a plain 408 and a cut socket), behind the body timeout above.
  server.requestTimeout = Math.max(120_000, bodyTimeoutMs + 10_000);

  /** A request's route as a label: the route table's key it matched, so paths with ids or junk stay bounded. */
  function routeLabel(path: string): string {
    if (routes[path] || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
    return prefixes.find((p) => path.startsWith(p)) ?? 'other';
  }

  function prefixRoute(path: string): RouteHandler | undefined {
    const prefix = prefixes.find((p) => path.startsWith(p));
    return prefix === undefined ? undefined : prefixRoutes[prefix];
  }

  return {
    server,
    draining: isDraining,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close(graceMs = 10_000) {
      draining = true;
      if (!server.listening) return;
      let cut!: () => void;
      const graceOver = new Promise<void>((resolve) => (cut = resolve));
      const force = setTimeout(() => {
        cut();
        server.closeAllConnections();
      }, graceMs);
      force.unref();
      // Still listening while what it held finishes: a caller with nowhere else to go (one replica) is answered
      // instead of refused, and the service is unreachable only from here to its next start, however long the
      // requests it held take (a model's reply: seconds). Those that arrive meanwhile are answered too.
      await Promise.race([Promise.all([...inProgress]), graceOver]);
      await new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        server.close(() => {
          clearTimeout(force);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function countRequest({ metrics, service }: HttpTelemetry, req: IncomingMessage, res: ServerResponse, route: string): void {
  const started = performance.now();
  const method = req.method ?? 'GET';
  res.once('close', () => {
    // A client that left before any answer is not a 200 (the status's default).
    const status = res.headersSent ? String(res.statusCode) : 'aborted';
    metrics.http.requests.inc({ service, route, method, status });
    metrics.http.duration.observe({ service, route, method }, (performance.now() - started) / 1000);
  });
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, { metrics, scrapeToken, publicPort }: HttpTelemetry): Promise<void> {
  if (scrapeToken && !sameSecret(req.headers.authorization ?? '', `Bearer ${scrapeToken}`)) {
    return sendHttpError(res, new UnauthenticatedError('/metrics needs Authorization: Bearer <METRICS_TOKEN>.'));
  }
  // A public port without a token serves its metrics to its own network only: never through a proxy or balancer
  // (which forwards the caller's address), never to a public address.
  if (!scrapeToken && publicPort && (req.headers['x-forwarded-for'] !== undefined || !isPrivateAddress(req.socket.remoteAddress))) {
    return sendHttpError(
      res,
      new ForbiddenError('/metrics on this port answers only its private network; set METRICS_TOKEN to scrape it from elsewhere.'),
    );
  }
  const text = await metrics.text();
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Loopback and the private ranges (RFC 1918, RFC 4193), as IPv4, IPv6 or IPv4-mapped IPv6. */
function isPrivateAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(v4)) return true;
  return address === '::1' || /^f[cd][0-9a-f]{2}:/i.test(address);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The URL clients use for a service bound to host:port (a wildcard bind is reached on loopback). */
export function graphqlUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown}:${port}/graphql`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A refusal on a service's own HTTP routes, in their plain dialect (`toHttpError`): `{ error: "not_found", message, ...details }`. */
export function sendHttpError(res: ServerResponse, error: ParleyError): void {
  const { status, body } = toHttpError(error);
  sendJson(res, status, body);
}

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`Request body is larger than the limit of ${limitBytes} bytes`);
  }
}

/** Reads a request body, refusing more than `limitBytes` without buffering it all first. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      return reject(new BodyTooLargeError(limitBytes));
    }
    // A client that already went away will send no 'end': refuse instead of waiting forever.
    if (req.destroyed || req.readableAborted) return reject(new Error('The client closed the connection before sending the body'));
    req.once('close', () => {
      if (!req.readableEnded) reject(new Error('The client closed the connection before sending the body'));
    });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
