import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { viewerFromAuthorization, type AccessTokenVerifier } from '@parley/auth';
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
import { attachWebSocketServer } from './websocket-server';

export interface GatewayOptions {
  /** Composed supergraph SDL (with @join directives). */
  supergraphSdl: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls?: Record<string, string>;
  verifier: AccessTokenVerifier;
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
export async function createGateway({ supergraphSdl, subgraphUrls = {}, verifier, logger, readiness }: GatewayOptions): Promise<Gateway> {
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
          if (context.authorization) request.http.headers.set('authorization', context.authorization);
          if (context.requestId) request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
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
          viewer: await viewerFromAuthorization(req.headers.authorization, verifier),
          authorization: req.headers.authorization,
          requestId,
          logger: requestLogger,
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
    verifier,
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
