import type { IncomingMessage, Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Metrics } from '@parley/telemetry';
import { clientAddress, trustedProxies, type RevokedSessions } from '@parley/auth';
import { BadUserInputError, ForbiddenError, OverloadedError, ParleyError, ProtocolErrorCode, toGraphQLErrorShape } from '@parley/errors';
import { requestIdFrom, securityHeaderLines, waitForAdmission, type AdmissionController, type Logger } from '@parley/runtime';
import {
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from '../gateway-context';
import type { RunOperation } from '../operations/gateway-operation';
import type { Authenticate } from '../auth/request-authentication';
import { webSocketUpgradeRefusal } from '../http/admission';
import { createDocumentCache } from '../operations/document-cache';
import { createSessionSockets } from './session-revocation';
import type { OperationLimits } from '@parley/runtime';
import { explainTerseRefusals } from '../operations/terse-refusals';
import { createSubscribe, subscriptionExecutionArgs, type SubscriptionField, type ValidationCache } from './subscription-execution';

export interface WebSocketLimits {
  /** Deepest field nesting a subscription may select (queries and mutations get Apollo's checks, as over HTTP). */
  maxDepth: number;
  /** Operations of any kind one connection may have running at once; each open subscription holds a stream. */
  maxOperationsPerConnection: number;
  /** Every socket is pinged this often; one that has not answered a ping within as long again is cut. */
  keepAliveMs: number;
}

export const defaultWebSocketLimits: WebSocketLimits = { maxDepth: 10, maxOperationsPerConnection: 25, keepAliveMs: 15_000 };

export interface WebSocketOptions {
  httpServer: Server;
  /** Paths that accept WebSocket upgrades (e.g. /graphql, and /ws/chat for clients of the seed's API); others are refused. */
  paths: string[];
  /** Queries and mutations run here, through the same Apollo Gateway execution as HTTP. */
  runOperation: RunOperation;
  /** Subscription root fields by name: Apollo Gateway cannot execute subscriptions, so graphql-js runs these. */
  subscriptions: Record<string, SubscriptionField>;
  /** The gateway's current API schema (it changes only when the supergraph does). */
  schema: () => GraphQLSchema;
  authenticate: Authenticate;
  /** The caller's address, by the same rule as HTTP requests (the gateway's trusted proxies); the socket's peer by default. */
  addressOf?: (request: IncomingMessage) => string;
  logger: Logger;
  limits?: Partial<WebSocketLimits>;
  /** Rate limits per operation, the same counters as HTTP requests: a refusal to send, or null to go ahead. */
  admit?: (request: IncomingMessage, context: GatewayContext) => Promise<ParleyError | null>;
  /** Trusted-documents mode: whether a subscription's text is one of the manifest's (queries and mutations are checked by Apollo). */
  isTrusted?: (query: string) => boolean;
  /** The gateway's admission bound (http/admission.ts): queries and mutations over a connection take a slot as over HTTP. */
  admission?: AdmissionController | null;
  /** Open connections this server takes; past it an upgrade is refused with 503 and Retry-After. No cap by default. */
  maxConnections?: number;
  /** Counts open subscriptions and the events written to them. */
  metrics?: Metrics | undefined;
  /** Ended sessions: a connection's socket is closed with 4403 when its session ends (session-revocation.ts). */
  revokedSessions?: Pick<RevokedSessions, 'has' | 'onRevoked'> | undefined;
  /**
   * The gateway's operation limits (MAX_QUERY_TOKENS, aliases, depth, cost…): every document is parsed within the
   * token limit, and subscriptions are validated against the rest, as HTTP requests are. None: depth only.
   */
  operationLimits?: OperationLimits | null;
}

type ConnectionExtra = {
  authorization: string | undefined;
  context: GatewayContext;
};

/**
 * graphql-ws (graphql-transport-ws protocol) on the gateway's /graphql path.
 * The token comes in connection_init's payload; a bad one closes the socket
 * with 4403. Queries and mutations run through Apollo like HTTP requests;
 * subscriptions are validated here and run by graphql-js over the
 * `subscriptions` fields. Errors of both leave in the shape HTTP gives them.
 */
export function attachWebSocketServer({
  httpServer,
  paths,
  runOperation,
  subscriptions,
  schema,
  authenticate,
  addressOf = (request) => clientAddress(request, trustedProxies([])),
  logger,
  limits = {},
  admit = async () => null,
  isTrusted = () => true,
  admission = null,
  maxConnections = Infinity,
  metrics,
  revokedSessions,
  operationLimits = null,
}: WebSocketOptions) {
  const { maxDepth, maxOperationsPerConnection, keepAliveMs } = { ...defaultWebSocketLimits, ...limits };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1_000_000 });
  // Refusals of an upgrade are written to the socket by hand, past the HTTP shell: they carry its headers here.
  const https = httpServer instanceof HttpsServer;
  const sessionSockets = revokedSessions && createSessionSockets(revokedSessions);
  // One server for several paths: ws's own `path` option takes one, and a second server would refuse the first one's upgrades.
  httpServer.on('upgrade', (request, socket, head) => {
    const pathname = (request.url ?? '/').split('?', 1)[0]!;
    if (!paths.includes(pathname)) {
      socket.end(['HTTP/1.1 404 Not Found', ...securityHeaderLines({ https }), 'Connection: close', '', ''].join('\r\n'));
      return;
    }
    // ws adds a client to `clients` as it completes the handshake, synchronously: the count includes every upgrade before this one.
    if (wss.clients.size >= maxConnections) {
      socket.end(webSocketUpgradeRefusal(maxConnections, { https }));
      return;
    }
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  });
  const parsedDocument = createDocumentCache({ maxTokens: operationLimits?.maxTokens });
  const validated: ValidationCache = new WeakMap();
  const format = (error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError =>
    // Apollo's results are formatted already; graphql-js's (subscriptions) are GraphQLErrors still.
    error instanceof GraphQLError
      ? toGraphQLErrorShape(explainTerseRefusals(error.toJSON()), error, (cause) =>
          logger.error({ err: cause }, 'unexpected error in a websocket operation'),
        )
      : error;
  const refusal = (error: ParleyError) => [new GraphQLError(error.message, { originalError: error })];
  /** Each connection's streaming operations (subscriptions), by id: what the subscription gauge counts. */
  const openStreams = new WeakMap<object, Set<string>>();
  const streaming = (ctx: object) => {
    let ids = openStreams.get(ctx);
    if (!ids) openStreams.set(ctx, (ids = new Set()));
    return ids;
  };

  const disposable = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      connectionInitWaitTimeout: 5_000,
      subscribe: createSubscribe(),
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization'];
        const authorization = typeof raw === 'string' ? raw : undefined;
        try {
          const authentication = await authenticate(authorization);
          const sessionId = authentication.viewer?.sessionId;
          if (sessionId && sessionSockets && !sessionSockets.track(sessionId, ctx.extra.socket)) {
            logger.info({ reason: 'the session ended' }, 'websocket connection refused');
            return false;
          }
          const requestId = requestIdFrom(undefined);
          const request = ctx.extra.request;
          ctx.extra.authorization = authentication.authorization;
          ctx.extra.context = {
            ...authentication,
            requestId,
            logger: logger.child({ requestId, transport: 'ws' }),
            userAgent: request.headers['user-agent'],
            clientAddress: addressOf(request),
          };
          return true;
        } catch (error) {
          if (!(error instanceof ParleyError)) throw error;
          // graphql-ws closes with 4403 Forbidden.
          logger.info({ reason: error.message }, 'websocket connection refused');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        if (!ctx.extra.context) return refusal(new BadUserInputError('The connection is not initialised.'));
        const refused = await admit(ctx.extra.request, ctx.extra.context);
        if (refused) return refusal(refused);
        // graphql-ws lists this operation already, so the count includes it.
        if (Object.keys(ctx.subscriptions).length > maxOperationsPerConnection) {
          return refusal(
            new BadUserInputError(
              `At most ${maxOperationsPerConnection} operations may run at once on one connection; complete one first or open another connection.`,
            ),
          );
        }
        let document: DocumentNode;
        try {
          document = parsedDocument(payload.query);
        } catch (error) {
          const message = error instanceof GraphQLError ? error.message : 'The query could not be parsed.';
          return [new GraphQLError(message, { extensions: { code: ProtocolErrorCode.GRAPHQL_PARSE_FAILED } })];
        }
        const request = {
          schema: schema(),
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: ctx.extra.context,
        };
        if (getOperationAST(document, request.operationName)?.operation === 'subscription') {
          if (!isTrusted(payload.query)) {
            return refusal(
              new ForbiddenError(
                "This gateway runs only the operations of Parley's clients (trusted documents), and this subscription is not among them.",
              ),
            );
          }
          return subscriptionExecutionArgs(request, { fields: subscriptions, maxDepth, validated, limits: operationLimits });
        }
        return request;
      },
      execute: async (args): Promise<ExecutionResult> => {
        const slot = admission ? await waitForAdmission(admission) : null;
        if (slot instanceof OverloadedError) return { errors: refusal(slot) };
        try {
          return (await runOperation(
            {
              query: args.document,
              variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
              operationName: args.operationName ?? undefined,
            },
            args.contextValue as GatewayContext,
          )) as ExecutionResult;
        } finally {
          slot?.release();
        }
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        if (metrics && Symbol.asyncIterator in result) {
          streaming(ctx).add(id);
          metrics.pipeline.activeSubscriptions.inc();
        }
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (metrics && openStreams.get(ctx)?.has(id)) metrics.pipeline.streamEventsDelivered.inc();
        return result.errors ? { ...result, errors: result.errors.map(format) } : undefined;
      },
      // graphql-ws completes every streaming operation, also when the socket closed abruptly.
      onComplete: (ctx, id) => {
        if (metrics && openStreams.get(ctx)?.delete(id)) metrics.pipeline.activeSubscriptions.dec();
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
    },
    wss,
    keepAliveMs,
  );
  return {
    async close() {
      sessionSockets?.close();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
