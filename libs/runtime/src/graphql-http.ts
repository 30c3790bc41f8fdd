import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { BadRequestError, ParleyError, PayloadTooLargeError, toRequestError } from '@parley/errors';
import { sendGraphQLError } from './error-answers';
import { BodyTooLargeError, readBody, type RequestScope, type RouteHandler } from './http-server';

export interface GraphQLRouteOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: (req: IncomingMessage, scope: RequestScope) => Promise<TContext>;
  maxBodyBytes?: number;
}

/**
 * A thin adapter from Node's http request to Apollo Server's transport-free
 * `executeHTTPGraphQLRequest` (no framework in between: it is the hot path).
 */
export function graphqlRoute<TContext extends BaseContext>({
  server,
  context,
  maxBodyBytes = 1_000_000,
}: GraphQLRouteOptions<TContext>): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, scope: RequestScope) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          return sendGraphQLError(res, new PayloadTooLargeError(error.message));
        }
        throw error;
      }
      const contentType = headers.get('content-type') ?? '';
      if (contentType.includes('json')) {
        try {
          body = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          return sendGraphQLError(res, new BadRequestError('The request body is not valid JSON.'));
        }
      } else {
        body = raw;
      }
    }
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const result = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? 'GET').toUpperCase(),
        headers,
        search: queryStart === -1 ? '' : url.slice(queryStart),
        body,
      },
      // A refusal while building the context (a bad token) refuses the whole request, with its HTTP status.
      context: async () => {
        try {
          return await context(req, scope);
        } catch (error) {
          throw error instanceof ParleyError ? toRequestError(error) : error;
        }
      },
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
