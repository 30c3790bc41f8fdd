import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import {
  BadRequestError,
  MethodNotAllowedError,
  ParleyError,
  PayloadTooLargeError,
  toRequestError,
  UnsupportedMediaTypeError,
} from '@parley/errors';
import { sendGraphQLError } from './error-answers';
import { BodyTooLargeError, readBody, type RequestScope, type RouteHandler } from './http-server';
import type { SubgraphExecution } from './subgraph-execution';

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
      const read = await readGraphQLBody(req, res, headers.get('content-type') ?? '', maxBodyBytes);
      if (read === ANSWERED) return;
      body = read;
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

const ANSWERED = Symbol('answered');

/** A POST's body: parsed when it says it is JSON, the text otherwise; a refusal already sent when too large or not JSON. */
async function readGraphQLBody(req: IncomingMessage, res: ServerResponse, contentType: string, maxBodyBytes: number): Promise<unknown> {
  let raw: string;
  try {
    raw = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendGraphQLError(res, new PayloadTooLargeError(error.message));
      return ANSWERED;
    }
    throw error;
  }
  if (!contentType.includes('json')) return raw;
  try {
    return raw === '' ? undefined : JSON.parse(raw);
  } catch {
    sendGraphQLError(res, new BadRequestError('The request body is not valid JSON.'));
    return ANSWERED;
  }
}

export interface SubgraphRouteOptions<TContext> {
  execution: SubgraphExecution<TContext>;
  context: (req: IncomingMessage, scope: RequestScope) => Promise<TContext>;
  maxBodyBytes?: number;
}

/**
 * A subgraph's /graphql: JSON POSTs (what the gateway sends) run by `createSubgraphExecution`. Anything else is
 * refused with a GraphQL error saying what to send: there is no GET, landing page or batching on a subgraph.
 */
export function subgraphGraphqlRoute<TContext>({
  execution,
  context,
  maxBodyBytes = 1_000_000,
}: SubgraphRouteOptions<TContext>): RouteHandler {
  return async (req, res, scope) => {
    if (req.method !== 'POST') return sendGraphQLError(res, new MethodNotAllowedError('A subgraph answers GraphQL over POST only.'));
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.includes('json')) {
      return sendGraphQLError(res, new UnsupportedMediaTypeError('Send the operation as JSON (content-type: application/json).'));
    }
    const body = await readGraphQLBody(req, res, contentType, maxBodyBytes);
    if (body === ANSWERED) return;
    const answer = await execution.run(body, () => context(req, scope));
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  };
}
