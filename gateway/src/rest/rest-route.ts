import type { IncomingMessage, ServerResponse } from 'node:http';
import { MethodNotAllowedError, NotFoundError, toRestError } from '@parley/errors';
import type { RequestScope, RouteHandler } from '@parley/runtime';
import { asRestError, internalError, sendRestError } from './rest-errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type MethodHandler = (req: IncomingMessage, res: ServerResponse, scope: RequestScope) => Promise<void>;

/**
 * One resource of the REST API: a handler per method, and what every REST
 * answer has in common: 405 with `Allow` for any other method, refusals in
 * the REST error shape, and `no-store` (answers are personal: tokens,
 * profiles, conversations).
 */
export function restRoute(methods: Partial<Record<HttpMethod, MethodHandler>>): RouteHandler {
  const allow = Object.keys(methods).join(', ');
  return async (req, res, scope) => {
    res.setHeader('cache-control', 'no-store');
    try {
      const handler = methods[(req.method ?? 'GET').toUpperCase() as HttpMethod];
      if (!handler) {
        return sendRestError(res, toRestError(new MethodNotAllowedError(`${req.method} is not allowed here; use ${allow}.`)), { allow });
      }
      await handler(req, res, scope);
    } catch (error) {
      const refusal = asRestError(error);
      if (!refusal) scope.logger.error({ err: error }, 'REST request failed');
      // A stream already under way reports its own errors; all that is left is to stop.
      if (res.headersSent) return void (res.writableEnded ? undefined : res.end());
      sendRestError(res, refusal ?? internalError(scope.requestId));
    }
  };
}

/** What /api/v1 answers for a path it has no route for, whatever the method. */
export function unknownRoute(): RouteHandler {
  return (req, res) => {
    res.setHeader('cache-control', 'no-store');
    const path = (req.url ?? '/').split('?', 1)[0];
    sendRestError(res, toRestError(new NotFoundError(`No route ${req.method} ${path}; the routes are described at /api/v1/openapi.json.`)));
  };
}
