import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { REQUEST_ID_HEADER, type InternalCredential } from '@parley/runtime';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../gateway-context';
import type { SubgraphFetcher } from './subgraph-fetcher';
import type { SubgraphAnswer } from './subgraph-http';

/**
 * How the gateway asks one subgraph for its part of a query plan.
 *
 * Apollo's RemoteGraphQLDataSource does the same through node-fetch objects
 * (a Headers, a Request, a Response per fetch) it needs only to hand to its
 * hooks; this one builds the headers once as a plain object and reads the
 * answer as a string. What a subgraph sees is unchanged: a JSON POST of the
 * operation, the internal credential (every subgraph refuses requests without
 * it), the caller's token (every subgraph verifies it again), the request id,
 * and who is asking (user agent, the address the gateway settled on). An
 * answer that is not 2xx becomes the error Apollo's data source makes of it
 * (`extensions.response` with status and body), so a subgraph's 503 OVERLOADED
 * reaches the client as it did (`relayedOverload`).
 */
export function createSubgraphDataSource(
  url: string,
  fetcher: SubgraphFetcher,
  credential: InternalCredential,
): GraphQLDataSource<GatewayContext> {
  return {
    async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
      const { request } = options;
      if (!request.query) throw new Error('Missing query');
      const headers: Record<string, string> = { 'content-type': 'application/json', ...credential.headers };
      // Health checks and schema loading carry no caller.
      if ('incomingRequestContext' in options) {
        const context = options.context;
        if (context.authorization) headers['authorization'] = context.authorization;
        if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
        // Who the person is (sessions show the device; limits count per address): the address the gateway
        // settled on, alone; a subgraph believes it because the request carries the internal credential.
        if (context.userAgent) headers['user-agent'] = context.userAgent;
        if (context.clientAddress) headers['x-forwarded-for'] = context.clientAddress;
      }
      const { query, variables, operationName, extensions } = request;
      const answer = await fetcher.fetch(url, headers, JSON.stringify({ query, variables, operationName, extensions }));
      const body = bodyOf(answer);
      if (answer.status < 200 || answer.status > 299) throw errorFromAnswer(url, answer, body);
      if (typeof body !== 'object' || body === null) throw new Error(`Expected JSON response body, but received: ${answer.body}`);
      return body as GatewayGraphQLResponse;
    },
  };
}

function bodyOf(answer: SubgraphAnswer): unknown {
  const contentType = answer.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/json') && !contentType.startsWith('application/graphql-response+json')) return answer.body;
  return JSON.parse(answer.body) as unknown;
}

/** The error Apollo's RemoteGraphQLDataSource.errorFromResponse makes, field for field. */
function errorFromAnswer(url: string, answer: SubgraphAnswer, body: unknown): GraphQLError {
  const extensions: Record<string, unknown> = {
    response: { url, status: answer.status, statusText: answer.statusText, body },
  };
  if (answer.status === 401) extensions['code'] = 'UNAUTHENTICATED';
  else if (answer.status === 403) extensions['code'] = 'FORBIDDEN';
  return new GraphQLError(`${answer.status}: ${answer.statusText}`, { extensions });
}
