import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { toGraphQLErrorShape } from '@parley/errors';
import {
  createHttpService,
  graphqlRoute,
  graphqlUrl,
  REQUEST_ID_HEADER,
  type Logger,
  type ReadinessCheck,
  type ListeningServer,
} from '@parley/runtime';
import type { GraphQLSchema } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { createKeepAliveFetcher } from './keep-alive-fetcher';
import type { Authenticate } from './request-authentication';
import { attachWebSocketServer } from './websocket-server';

export interface GatewayOptions {
  /** Composed supergraph SDL (with @join directives). */
  supergraphSdl: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls?: Record<string, string>;
  authenticate: Authenticate;
  logger: Logger;
  readiness: ReadinessCheck[];
}

export interface Gateway {
  listen(port: number, host?: string): Promise<ListeningServer>;
}

/**
 * The one public entry point: Apollo Gateway planning over the subgraphs, the
 * access token verified once here (bad tokens are refused before any
 * planning) and again by each subgraph, and graphql-ws on the same path.
 */
export async function createGateway({
  supergraphSdl,
  subgraphUrls = {},
  authenticate,
  logger,
  readiness,
}: GatewayOptions): Promise<Gateway> {
  const { fetcher, close: closeFetcher } = createKeepAliveFetcher();
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url: subgraphUrls[name] ?? url,
        fetcher,
        willSendRequest({ request, context }) {
          if (!request.http) return;
          const headers = request.http.headers;
          if (context.authorization) headers.set('authorization', context.authorization);
          if (context.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
          // Who the person is (sessions show the device; limits count per address).
          if (context.userAgent) headers.set('user-agent', context.userAgent);
          if (context.clientAddress) headers.set('x-forwarded-for', context.clientAddress);
        },
      }),
  });
  let schema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    schema = apiSchema;
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    includeStacktraceInErrorResponses: false,
    // Our shutdown drains HTTP first; Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) =>
      toGraphQLErrorShape(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error in gateway')),
  });
  await apollo.start();

  const http = createHttpService({
    logger,
    readiness,
    routes: {
      '/graphql': graphqlRoute({
        server: apollo,
        context: async (req, { requestId, logger: requestLogger }) => ({
          ...(await authenticate(req.headers.authorization)),
          requestId,
          logger: requestLogger,
          userAgent: req.headers['user-agent'],
          clientAddress: forwardedFor(req),
        }),
      }),
    },
  });
  const ws = attachWebSocketServer({
    httpServer: http.server,
    path: '/graphql',
    apollo,
    schema: () => {
      if (!schema) throw new Error('The gateway has not loaded its schema yet');
      return schema;
    },
    authenticate,
    logger,
  });

  return {
    async listen(port, host = '127.0.0.1') {
      const address = await http.listen(port, host);
      return {
        url: graphqlUrl(host, address.port),
        port: address.port,
        async close() {
          await ws.close();
          await http.close();
          await apollo.stop();
          closeFetcher();
        },
      };
    },
  };
}

/** The X-Forwarded-For to send on: what came in, plus the address this request came from. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const peer = req.socket.remoteAddress;
  const incoming = req.headers['x-forwarded-for'];
  const prior = Array.isArray(incoming) ? incoming.join(', ') : incoming;
  if (!peer) return prior;
  return prior ? `${prior}, ${peer}` : peer;
}
