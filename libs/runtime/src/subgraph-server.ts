import type { IncomingMessage } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { viewerFromAuthorization, type AccessTokenVerifier, type Viewer } from '@parley/auth';
import { toGraphQLErrorShape } from '@parley/errors';
import type { DocumentNode } from 'graphql';
import { graphqlRoute } from './graphql-http';
import { createHttpService, graphqlUrl, type RequestScope, type RouteHandler } from './http-server';
import type { Logger } from './logger';
import type { ReadinessCheck } from './readiness';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  /** Verifies the bearer token the gateway forwarded: each subgraph checks it again (zero trust). */
  verifier: AccessTokenVerifier;
  /** Builds the per-request context around the verified viewer: a fresh EntityManager fork, DataLoaders. */
  context: (viewer: Viewer | null, scope: RequestScope, req: IncomingMessage) => TContext | Promise<TContext>;
  readiness: ReadinessCheck[];
  /** Extra HTTP routes beside /graphql, e.g. the users service's JWKS. */
  routes?: Record<string, RouteHandler>;
}

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface SubgraphServer {
  name: string;
  listen(port: number, host?: string): Promise<ListeningServer>;
}

/** One federated subgraph over HTTP: @apollo/subgraph schema, Parley's error shape, health routes. */
export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const { name, typeDefs, resolvers, logger, verifier, context, readiness, routes = {} } = options;
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]),
    formatError: (formatted, error) =>
      toGraphQLErrorShape(formatted, error, (cause) => logger.error({ err: cause }, 'unexpected error in resolver')),
    includeStacktraceInErrorResponses: false,
    // Our shutdown drains HTTP first; Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    logger,
  });
  await apollo.start();
  const http = createHttpService({
    logger,
    readiness,
    routes: {
      ...routes,
      '/graphql': graphqlRoute({
        server: apollo,
        context: async (req, scope) => context(await viewerFromAuthorization(req.headers.authorization, verifier), scope, req),
      }),
    },
  });
  return {
    name,
    async listen(port, host = '127.0.0.1') {
      const address = await http.listen(port, host);
      return {
        url: graphqlUrl(host, address.port),
        port: address.port,
        async close() {
          await http.close();
          await apollo.stop();
        },
      };
    },
  };
}
