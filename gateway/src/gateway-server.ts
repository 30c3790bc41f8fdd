import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { toGraphQLErrorShape } from '@parley/errors';
import type { MessageStreamLog } from '@parley/message-stream';
import {
  createHttpService,
  graphqlRoute,
  graphqlUrl,
  REQUEST_ID_HEADER,
  type Logger,
  type ReadinessCheck,
  type ListeningServer,
} from '@parley/runtime';
import { buildSchema, printSchema, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { createOperationRunner } from './gateway-operation';
import { createKeepAliveFetcher } from './keep-alive-fetcher';
import { createMessageStreamSubscription, messageStreamField } from './message-stream-subscription';
import type { Authenticate } from './request-authentication';
import { attachWebSocketServer, type WebSocketLimits } from './websocket-server';

export interface GatewayOptions {
  /** Composed supergraph SDL (with @join directives). */
  supergraphSdl: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls?: Record<string, string>;
  authenticate: Authenticate;
  logger: Logger;
  readiness: ReadinessCheck[];
  /** The replies' event streams (Redis, or memory in embedded mode) that `Subscription.messageStream` serves. */
  messageStreams: MessageStreamLog;
  /** Protection of the WebSocket endpoint; defaults in `defaultWebSocketLimits`. */
  webSocket?: Partial<WebSocketLimits>;
}

export interface Gateway {
  listen(port: number, host?: string): Promise<ListeningServer>;
}

/**
 * The one public entry point: Apollo Gateway planning over the subgraphs, the
 * access token verified once here (bad tokens are refused before any
 * planning) and again by each subgraph, and graphql-ws on the same path,
 * where the gateway itself serves subscriptions (Apollo Gateway cannot).
 */
export async function createGateway({
  supergraphSdl,
  subgraphUrls = {},
  authenticate,
  logger,
  readiness,
  messageStreams,
  webSocket,
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
    // Subscriptions run over a copy: Apollo Server wraps the resolvers of the schema it
    // executes for its plugins, and those wrappers ignore graphql-js's `fieldResolver`.
    schema = buildSchema(printSchema(apiSchema));
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
  const runOperation = createOperationRunner(apollo);
  const ws = attachWebSocketServer({
    httpServer: http.server,
    path: '/graphql',
    runOperation,
    subscriptions: {
      messageStream: messageStreamField(createMessageStreamSubscription({ messageStreams, runOperation })),
    },
    schema: () => {
      if (!schema) throw new Error('The gateway has not loaded its schema yet');
      return schema;
    },
    authenticate,
    logger,
    ...(webSocket ? { limits: webSocket } : {}),
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
