import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { viewerFromAuthorization, type AccessTokenVerifier, type Viewer } from '@parley/auth';
import { toOpenAIError, type OverloadedError } from '@parley/errors';
import type { DocumentNode } from 'graphql';
import { admitted, createAdmissionController, defaultSubgraphAdmission, type AdmissionLimits } from './admission';
import { sendGraphQLError, sendOpenAIError } from './error-answers';
import { subgraphGraphqlRoute } from './graphql-http';
import { createHttpService, graphqlUrl, sendHttpError, type RequestScope, type RouteHandler } from './http-server';
import type { Logger } from './logger';
import type { ReadinessCheck } from './readiness';
import { createSubgraphExecution } from './subgraph-execution';

export interface SubgraphServerOptions<TContext extends object> {
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
  /** How much it takes on at once (each subgraph's MAX_CONCURRENT_REQUESTS …); `defaultSubgraphAdmission` otherwise. */
  admission?: AdmissionLimits;
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

/** One federated subgraph over HTTP: @apollo/subgraph schema, executed by `createSubgraphExecution`, Parley's error shape, health routes. */
export async function createSubgraphServer<TContext extends object>(options: SubgraphServerOptions<TContext>): Promise<SubgraphServer> {
  const {
    name,
    typeDefs,
    resolvers,
    logger,
    verifier,
    context,
    readiness,
    routes = {},
    admission: admissionLimits = defaultSubgraphAdmission,
  } = options;
  const execution = createSubgraphExecution<TContext>({
    schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]),
    onUnexpected: (cause) => logger.error({ err: cause }, 'unexpected error in resolver'),
  });
  // Every route but /healthz and /readyz (which the HTTP shell answers first) enters through this one bound.
  const admission = createAdmissionController({
    service: `The ${name} service`,
    refusalDetails: { service: name },
    limits: admissionLimits,
  });
  const allRoutes: Record<string, RouteHandler> = {
    ...routes,
    '/graphql': subgraphGraphqlRoute({
      execution,
      context: async (req, scope) => context(await viewerFromAuthorization(req.headers.authorization, verifier), scope, req),
    }),
  };
  const http = createHttpService({
    logger,
    readiness,
    routes: Object.fromEntries(Object.entries(allRoutes).map(([path, handler]) => [path, admitted(admission, handler, refusalIn(path))])),
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
        },
      };
    },
  };
}

/** A refusal in the dialect of the route it refuses: GraphQL's on /graphql, OpenAI's on /v1, the services' plain JSON elsewhere. */
function refusalIn(path: string): (res: ServerResponse, refusal: OverloadedError) => void {
  if (path === '/graphql') return sendGraphQLError;
  if (path.startsWith('/v1/')) return (res, refusal) => sendOpenAIError(res, toOpenAIError(refusal));
  return sendHttpError;
}
