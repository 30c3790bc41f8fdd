import type { IncomingMessage } from 'node:http';
import { trustedProxies } from '@parley/auth';
import { sendJson } from '@parley/runtime';
import type { EdgeDependencies, EdgeRoutes } from '../http/edge-routes';
import { requestOrigin } from '../http/request-origin';
import { authRoutes } from './auth-routes';
import { browserSessionRoutes } from './browser-session-routes';
import { chatCompletionRoute } from './chat-completion-route';
import { graphCallers } from './graph-caller';
import { historyRoutes } from './history-routes';
import { openApiDocument } from './openapi-document';
import { restRoute, unknownRoute } from './rest-route';
import { userRoutes } from './user-routes';

export interface RestApiOptions {
  /** Largest request body accepted (the same default as /graphql). */
  maxBodyBytes: number;
  /** Longest POST /api/v1/chat/completions waits for a reply without `stream`. */
  maxCompletionWaitSeconds: number;
  /** Interval of keep-alive comments on Server-Sent Events. */
  keepAliveMs: number;
  /**
   * The origin a request was sent to, for the browser session routes' same-origin check: the gateway passes edge
   * protection's (which believes X-Forwarded-Proto from TRUSTED_PROXIES); by default no proxy is believed.
   */
  originOf: (req: IncomingMessage) => string | null;
}

const noProxies = trustedProxies([]);

export const defaultRestApiOptions: RestApiOptions = {
  maxBodyBytes: 1_000_000,
  maxCompletionWaitSeconds: 120,
  keepAliveMs: 15_000,
  originOf: (req) => requestOrigin(req, noProxies),
};

/**
 * The REST API of the seed design, under /api/v1: a thin mapping onto the
 * graph. Every route turns a request into GraphQL operations run through the
 * gateway as the caller, so rules, limits, ownership and error codes are the
 * graph's; what is here is HTTP (methods, statuses, bodies, Server-Sent Events).
 * Described at /api/v1/openapi.json; see "REST API" in gateway/README.md.
 */
export function restApiRoutes(deps: EdgeDependencies, overrides: Partial<RestApiOptions> = {}): EdgeRoutes {
  const options = { ...defaultRestApiOptions, ...overrides };
  const callers = graphCallers(deps);
  const history = historyRoutes(callers);
  const document = openApiDocument();
  const notFound = unknownRoute();
  return {
    routes: {
      ...authRoutes(callers, options.maxBodyBytes),
      ...browserSessionRoutes(callers, { maxBodyBytes: options.maxBodyBytes, originOf: options.originOf }),
      '/api/v1/chat/completions': chatCompletionRoute(callers, deps, {
        maxBodyBytes: options.maxBodyBytes,
        maxWaitSeconds: options.maxCompletionWaitSeconds,
        keepAliveMs: options.keepAliveMs,
      }),
      ...history.routes,
      ...userRoutes(callers, options.maxBodyBytes),
      '/api/v1/openapi.json': restRoute({
        async GET(_req, res) {
          res.setHeader('cache-control', 'public, max-age=300');
          sendJson(res, 200, document);
        },
      }),
      '/api/v1': notFound,
    },
    prefixRoutes: {
      ...history.prefixRoutes,
      // Longest prefix wins, so this answers only what no route above serves.
      '/api/v1/': notFound,
    },
  };
}
