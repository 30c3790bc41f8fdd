import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress, trustedProxies } from '@parley/auth';
import {
  graphQLErrorBody,
  httpStatusFor,
  type ParleyError,
  RateLimitedError,
  restErrorBody,
  toOpenAIError,
  toRestError,
  UpstreamUnavailableError,
} from '@parley/errors';
import { admitted, sendJson, type AdmissionController, type RequestScope, type RouteHandler } from '@parley/runtime';
import type { RateLimitDecision, RateLimiter } from './rate-limiter';
import { requestOrigin } from './request-origin';

export interface EdgeProtectionSettings {
  /** Requests per window for one signed-in user (or API key owner), across every gateway replica. */
  perUserLimit: number;
  /** Requests per window from one client address, signed in or not. */
  perAddressLimit: number;
  windowSeconds: number;
  /** Origins allowed to call from a browser: a list, or ["*"]; empty allows none (same-origin only). */
  corsOrigins: string[];
  /** Bound on one GraphQL request from arrival to answer. */
  requestTimeoutMs: number;
  /** The load balancers in front (addresses, CIDR ranges, or "*" for any) whose X-Forwarded-For is believed; empty: none. */
  trustedProxies: string[];
}

/** Which error format a route speaks: GraphQL's, the REST API's, or OpenAI's (for /v1). */
type Dialect = 'graphql' | 'rest' | 'openai';

const dialectOf = (path: string): Dialect => (path.startsWith('/v1/') ? 'openai' : path.startsWith('/api/') ? 'rest' : 'graphql');

/** A refusal in the route's dialect (@parley/errors), with the status the dialect gives its code unless `status` says otherwise. */
function refuse(res: ServerResponse, dialect: Dialect, error: ParleyError, status?: number) {
  if (dialect === 'graphql') return sendJson(res, status ?? httpStatusFor(error.code), graphQLErrorBody(error));
  if (dialect === 'rest') {
    const refusal = toRestError(error);
    return sendJson(res, status ?? refusal.status, restErrorBody(refusal));
  }
  const refusal = toOpenAIError(error);
  return sendJson(res, status ?? refusal.status, refusal.body);
}

/** A route's refusals in its dialect: what the HTTP shell answers its body timeout with. */
export function refusalIn(path: string): (res: ServerResponse, error: ParleyError) => void {
  const dialect = dialectOf(path);
  return (res, error) => refuse(res, dialect, error);
}

function setRateLimitHeaders(res: ServerResponse, decision: RateLimitDecision) {
  // draft-ietf-httpapi-ratelimit-headers: the tightest of the limits that applied.
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(decision.resetSeconds));
  if (!decision.allowed) res.setHeader('Retry-After', String(decision.retryAfterSeconds));
}

/**
 * What every HTTP route of the gateway passes through before its own work:
 * CORS (with preflights), admission control (a bound on requests in progress,
 * http/admission.ts: the cheapest refusal comes first, before any Redis call),
 * per-address and per-user rate limits (Redis sliding windows shared by the
 * replicas, reported in RateLimit-* headers), and for GraphQL a total request
 * timeout. Refusals speak the route's own error dialect with the status its
 * protocol expects.
 */
export function createEdgeProtection({
  settings,
  admission = null,
  rateLimiter,
  userOf,
  onRefusal = () => {},
}: {
  settings: EdgeProtectionSettings;
  /** None: every request is admitted (the edge's own tests; a benchmark's comparison with the gateway before admission control). */
  admission?: AdmissionController | null;
  rateLimiter: RateLimiter;
  /** Who is calling, from the request's credential (null when anonymous or the credential is bad: the route refuses those itself). */
  userOf: (req: IncomingMessage) => Promise<string | null>;
  /** Hears every refusal the edge answers (rate limit, overload, timeout): the gateway counts them. */
  onRefusal?: (error: ParleyError) => void;
}) {
  const refused = (res: ServerResponse, dialect: Dialect, error: ParleyError, status?: number) => {
    onRefusal(error);
    refuse(res, dialect, error, status);
  };
  const anyOrigin = settings.corsOrigins.includes('*');
  const allowed = new Set(settings.corsOrigins);

  function applyCors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !(anyOrigin || allowed.has(origin))) return;
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id');
  }

  const trusted = trustedProxies(settings.trustedProxies);
  /** Who is calling, by address: the one rule of libs/auth, for rate limits and for what the subgraphs are told. */
  function addressOf(req: IncomingMessage): string {
    return clientAddress(req, trusted);
  }
  /** The origin the request was sent to (the browser session routes' same-origin check), believing the same proxies. */
  function originOf(req: IncomingMessage): string | null {
    return requestOrigin(req, trusted);
  }

  /** Counts a request (or `requests` of them) from `address` (and `userId`); the decision to report is the tightest one. */
  async function admit(address: string, userId: string | null, requests = 1): Promise<RateLimitDecision> {
    const checks = [{ key: `ip:${address}`, limit: settings.perAddressLimit }];
    if (userId !== null) checks.push({ key: `user:${userId}`, limit: settings.perUserLimit });
    const decisions = await rateLimiter.hit(checks, settings.windowSeconds, requests);
    // The one to report: a refusing one if any, else the one with the least left.
    return decisions.reduce((tightest, d) =>
      (!d.allowed && tightest.allowed) || (d.allowed === tightest.allowed && d.remaining < tightest.remaining) ? d : tightest,
    );
  }

  /** The refusal of a request `admit` did not allow, in the words every transport gives it. */
  function rateLimitRefusal(decision: RateLimitDecision): RateLimitedError {
    return new RateLimitedError(
      `Too many requests: at most ${decision.limit} per ${settings.windowSeconds} s. Try again in ${decision.retryAfterSeconds} s.`,
      decision.retryAfterSeconds,
    );
  }

  function wrap(path: string, handler: RouteHandler): RouteHandler {
    const dialect = dialectOf(path);
    const limited = rateLimitedAndTimed(path, dialect, handler);
    const guarded = admission ? admitted(admission, limited, (res, refusal) => refused(res, dialect, refusal)) : limited;
    return async (req, res, scope: RequestScope) => {
      applyCors(req, res);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        if (res.hasHeader('Access-Control-Allow-Origin')) {
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
          res.setHeader(
            'Access-Control-Allow-Headers',
            'authorization, content-type, accept, apollo-require-preflight, x-apollo-operation-name, x-request-id',
          );
          res.setHeader('Access-Control-Max-Age', '600');
        }
        res.writeHead(204);
        return void res.end();
      }
      return guarded(req, res, scope);
    };
  }

  function rateLimitedAndTimed(path: string, dialect: Dialect, handler: RouteHandler): RouteHandler {
    return async (req, res, scope: RequestScope) => {
      const decision = await admit(addressOf(req), await userOf(req).catch(() => null));
      setRateLimitHeaders(res, decision);
      if (!decision.allowed) return refused(res, dialect, rateLimitRefusal(decision));
      if (dialect !== 'graphql') return handler(req, res, scope);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), settings.requestTimeoutMs)));
      try {
        const outcome = await Promise.race([Promise.resolve(handler(req, res, scope)).then(() => 'done' as const), timedOut]);
        if (outcome === 'timeout' && !res.headersSent) {
          scope.logger.warn({ path, timeoutMs: settings.requestTimeoutMs }, 'request timed out');
          // 504 rather than UPSTREAM_UNAVAILABLE's 503: the gateway gave up waiting.
          refused(
            res,
            dialect,
            new UpstreamUnavailableError(
              `The request took longer than ${settings.requestTimeoutMs} ms and was abandoned. Try again, or ask for less.`,
            ),
            504,
          );
        }
      } finally {
        clearTimeout(timer);
      }
    };
  }

  return { wrap, admit, rateLimitRefusal, addressOf, originOf };
}
