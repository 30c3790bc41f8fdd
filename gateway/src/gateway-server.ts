import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ErrorCode, ParleyError, toGraphQLErrorShape } from '@parley/errors';
import type { RevokedSessions } from '@parley/auth';
import type { Metrics } from '@parley/telemetry';
import type { MessageStreamLog } from '@parley/message-stream';
import {
  createHttpService,
  graphqlRoute,
  graphqlUrl,
  internalCredential,
  operationLimitRules,
  type Logger,
  type ReadinessCheck,
  type ListeningServer,
  type RequestScope,
  type RouteHandler,
  type ServiceTelemetry,
} from '@parley/runtime';
import { buildSchema, printSchema, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from './gateway-context';
import { createOperationRunner } from './operations/gateway-operation';
import { createEdgeProtection, refusalIn } from './http/edge-protection';
import { createGatewayAdmission, relayedOverload } from './http/admission';
import type { EdgeDependencies } from './http/edge-routes';
import { explorerRoutes } from './explorer/explorer-routes';
import { publicSockets } from './http/content-security-policy';
import { DEFAULT_WEB_CLIENT_DIR } from './web-client/web-client-files';
import { RESERVED_PATHS, webClientRoutes } from './web-client/web-client-routes';
import { createSubgraphDataSource } from './subgraphs/subgraph-data-source';
import { createMessageStreamSubscription, messageStreamField } from './subscriptions/message-stream-subscription';
import { operationCostPlugin } from './operations/operation-cost-plugin';
import { requestInputsPlugin } from './operations/request-inputs';
import { explainTerseRefusals } from './operations/terse-refusals';
import { mutationFieldsRateLimitPlugin } from './operations/root-mutations';
import { operationMetricsPlugin } from './telemetry/operation-metrics';
import { createPersistedQueryCache, loadOperationManifest, operationHash, trustedDocumentsPlugin } from './operations/persisted-operations';
import { defaultGatewayProtection, type GatewayProtection } from './config/protection-settings';
import { partnerApiRoutes } from './partners/partner-api';
import { createMemoryRateLimiter, type RateLimiter } from './http/rate-limiter';
import { retryAfterPlugin } from './http/retry-after-plugin';
import type { Authenticate } from './auth/request-authentication';
import { restApiRoutes } from './rest/rest-api';
import { createSubgraphFetcher } from './subgraphs/subgraph-fetcher';
import { inProcessSubgraphHttp, type InProcessSubgraph } from './subgraphs/in-process-subgraphs';
import { createSubgraphHttp } from './subgraphs/subgraph-http';
import { subgraphReadiness } from './subgraphs/subgraph-readiness';
import { attachWebSocketServer, type WebSocketLimits } from './subscriptions/websocket-server';

export interface GatewayOptions {
  /** Composed supergraph SDL (with @join directives). */
  supergraphSdl: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls?: Record<string, string>;
  authenticate: Authenticate;
  /** Ended sessions, which `authenticate`'s verifier refuses: their open WebSockets are closed with 4403. */
  revokedSessions?: Pick<RevokedSessions, 'has' | 'onRevoked'>;
  /** INTERNAL_SERVICE_TOKEN: presented on every subgraph request (the subgraphs refuse any without it). */
  internalToken: string;
  logger: Logger;
  /** The gateway's own dependencies (Redis in services mode); the subgraphs' readiness is the gateway's to probe (`subgraphReadiness`). */
  readiness: ReadinessCheck[];
  /** The replies' event streams (Redis, or memory in embedded mode) that `Subscription.messageStream` serves. */
  messageStreams: MessageStreamLog;
  /** Protection of the WebSocket endpoint; defaults in `defaultWebSocketLimits`. */
  webSocket?: Partial<WebSocketLimits>;
  /** The models service's base URL (the partners' /v1 is proxied there). */
  modelsUrl: string;
  /** Limits on operations, rate limits, CORS, timeouts; defaults in `defaultGatewayProtection`. */
  protection?: Partial<GatewayProtection>;
  /** False turns admission control off: every request is admitted (a benchmark's comparison with the gateway before it); never in a deployment. */
  admissionControl?: boolean;
  /** Where rate-limit counters live: Redis in services mode (shared by replicas), memory in embedded mode; null turns rate limiting off (benchmarks of the bare gateway). */
  rateLimiter?: RateLimiter | null;
  /** False turns the operation limits off (benchmarks of the bare gateway); never in a deployment. */
  operationLimits?: boolean;
  /** Where automatic persisted queries are kept: Redis in services mode (shared by replicas), memory otherwise. */
  persistedQueryCache?: KeyValueCache<string>;
  /** PEM certificate and key: the gateway terminates TLS (HTTPS and WSS) itself; without, plain HTTP behind a load balancer. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Subgraphs of this very process, by routing URL (embedded mode): asked directly instead of over HTTP
   * (subgraphs/in-process-subgraphs.ts). Every other subgraph is reached over pooled keep-alive HTTP.
   */
  inProcessSubgraphs?: Record<string, InProcessSubgraph>;
  /** The process's metrics: operations, refusals and subscriptions counted, all of them served at /metrics. */
  telemetry?: ServiceTelemetry;
  /** The web client's build, served at / (`npm run build -w web` writes it); the repository's web/dist unless given. */
  webClientDir?: string;
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
  revokedSessions,
  internalToken,
  logger,
  readiness,
  messageStreams,
  webSocket,
  modelsUrl,
  protection: protectionOverrides = {},
  rateLimiter = createMemoryRateLimiter(),
  operationLimits = true,
  admissionControl = true,
  persistedQueryCache = new InMemoryLRUCache<string>(),
  tls,
  inProcessSubgraphs = {},
  telemetry,
  webClientDir = DEFAULT_WEB_CLIENT_DIR,
}: GatewayOptions): Promise<Gateway> {
  const protection: GatewayProtection = {
    ...defaultGatewayProtection,
    ...protectionOverrides,
    operations: { ...defaultGatewayProtection.operations, ...protectionOverrides.operations },
    edge: { ...defaultGatewayProtection.edge, ...protectionOverrides.edge },
    admission: { ...defaultGatewayProtection.admission, ...protectionOverrides.admission },
  };
  const manifest = loadOperationManifest();
  const subgraphHttp = inProcessSubgraphHttp(inProcessSubgraphs, createSubgraphHttp());
  const subgraphNames = new Map<string, string>();
  const routingUrls: Record<string, string> = {};
  const credential = internalCredential(internalToken);
  const fetcher = createSubgraphFetcher({
    http: subgraphHttp,
    timeoutMs: protection.subgraphTimeoutMs,
    retryBudgetMs: protection.subgraphRetryBudgetMs,
    logger,
    subgraphNameOf: (url) => subgraphNames.get(url) ?? new URL(url).host,
  });
  // @apollo/gateway sends usage data to Apollo's servers (an OpenTelemetry meter provider that also probes cloud
  // metadata endpoints) unless this is set, and it offers no option for it: Parley's traffic stays Parley's.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => {
      const routingUrl = subgraphUrls[name] ?? url ?? '';
      subgraphNames.set(routingUrl, name);
      routingUrls[name] = routingUrl;
      return createSubgraphDataSource(routingUrl, fetcher, credential);
    },
  });
  let schema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    // Subscriptions run over a copy: Apollo Server wraps the resolvers of the schema it
    // executes for its plugins, and those wrappers ignore graphql-js's `fieldResolver`.
    schema = buildSchema(printSchema(apiSchema));
  });
  // One verification per request, shared by the rate limiter (which needs the user) and the route.
  const authentications = new WeakMap<IncomingMessage, ReturnType<Authenticate>>();
  const authenticationOf = (req: IncomingMessage) => {
    let pending = authentications.get(req);
    if (!pending) {
      authentications.set(req, (pending = authenticate(req.headers.authorization)));
      if (telemetry) countAuthenticationFailure(telemetry.metrics, pending, req.headers.authorization);
    }
    return pending;
  };
  const admission = admissionControl ? createGatewayAdmission(protection.admission) : null;
  const edgeProtection = createEdgeProtection({
    settings: protection.edge,
    admission,
    rateLimiter: rateLimiter ?? unlimited,
    userOf: async (req) => (await authenticationOf(req)).viewer?.userId ?? null,
    ...(telemetry && {
      onRefusal: (error: ParleyError) => telemetry.metrics.edge.refusals.inc({ service: 'gateway', reason: error.code.toLowerCase() }),
    }),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    validationRules: operationLimits ? operationLimitRules(protection.operations) : [],
    parseOptions: operationLimits ? { maxTokens: protection.operations.maxTokens } : {},
    plugins: [
      requestInputsPlugin(),
      ...(operationLimits ? [operationCostPlugin(protection.operations.maxCost)] : []),
      mutationFieldsRateLimitPlugin(async (context, requests) => {
        const decision = await edgeProtection.admit(context.clientAddress ?? 'unknown', context.viewer?.userId ?? null, requests);
        return decision.allowed ? null : edgeProtection.rateLimitRefusal(decision);
      }),
      ...(protection.trustedDocumentsOnly ? [trustedDocumentsPlugin(manifest)] : []),
      ...(telemetry ? [operationMetricsPlugin(telemetry.metrics)] : []),
      retryAfterPlugin(),
    ],
    persistedQueries: {
      cache: createPersistedQueryCache({
        base: persistedQueryCache,
        manifest,
        trustedOnly: protection.trustedDocumentsOnly,
        ...(telemetry && {
          onLookup: (hit: boolean) => telemetry.metrics.cacheLookups.inc({ cache: 'persisted_queries', result: hit ? 'hit' : 'miss' }),
        }),
      }),
      ttl: 7 * 24 * 3600,
    },
    // Batches multiply every limit above by their length; clients send one operation per request.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: !protection.production,
    hideSchemaDetailsFromClientErrors: protection.production,
    includeStacktraceInErrorResponses: false,
    // Our shutdown drains HTTP first; Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) =>
      toGraphQLErrorShape(explainTerseRefusals(formatted), relayedOverload(error) ?? error, (cause) =>
        logger.error({ err: cause }, 'unexpected error in gateway'),
      ),
  });
  await apollo.start();

  const contextFor = async (req: IncomingMessage, { requestId, logger: requestLogger }: RequestScope): Promise<GatewayContext> => ({
    ...(await authenticationOf(req)),
    requestId,
    logger: requestLogger,
    userAgent: req.headers['user-agent'],
    clientAddress: edgeProtection.addressOf(req),
  });
  const runOperation = createOperationRunner(apollo);
  const edge: EdgeDependencies = { runOperation, contextFor, messageStreams, modelsUrl, internalHeaders: credential.headers, logger };
  const sockets = publicSockets(protection.publicOrigin);
  const apis = [
    restApiRoutes(edge, { originOf: edgeProtection.originOf }),
    partnerApiRoutes(edge, { retryBudgetMs: protection.subgraphRetryBudgetMs }),
    explorerRoutes(edge, { sockets }),
  ];
  // The web client answers every path no route above serves, except those under the gateway's own: the fixed
  // ones, and the first segment of every route mounted here, so that a new API is never shadowed by the app.
  const mounted = ['/graphql', ...apis.flatMap((api) => [...Object.keys(api.routes), ...Object.keys(api.prefixRoutes ?? {})])];
  apis.push(
    webClientRoutes({
      dir: webClientDir,
      logger,
      reserved: [...RESERVED_PATHS, ...mounted.map((path) => path.split('/', 2).join('/'))],
      sockets,
    }),
  );
  const protect = (table: Record<string, RouteHandler>) =>
    Object.fromEntries(Object.entries(table).map(([path, handler]) => [path, edgeProtection.wrap(path, handler)]));
  const http = createHttpService({
    logger,
    // Apollo built a data source per subgraph while starting, so every routing URL is known by now.
    readiness: [...readiness, ...subgraphReadiness({ subgraphUrls: routingUrls })],
    routes: protect(
      Object.assign(
        { '/graphql': graphqlRoute({ server: apollo, context: contextFor, maxBodyBytes: protection.operations.maxBodyBytes }) },
        ...apis.map((api) => api.routes),
      ),
    ),
    prefixRoutes: protect(Object.assign({}, ...apis.map((api) => api.prefixRoutes ?? {}))),
    ...(tls ? { tls } : {}),
    ...(telemetry && { telemetry: { ...telemetry, service: 'gateway', publicPort: true } }),
    bodyTimeoutMs: protection.bodyTimeoutMs,
    refusalFor: refusalIn,
  });
  const ws = attachWebSocketServer({
    httpServer: http.server,
    paths: ['/graphql', '/ws/chat'],
    runOperation,
    subscriptions: {
      messageStream: messageStreamField(
        createMessageStreamSubscription({ messageStreams, runOperation, retryBudgetMs: protection.subscriptionRetryBudgetMs }),
      ),
    },
    schema: () => {
      if (!schema) throw new Error('The gateway has not loaded its schema yet');
      return schema;
    },
    authenticate,
    addressOf: edgeProtection.addressOf,
    logger,
    ...(webSocket ? { limits: webSocket } : {}),
    admission,
    operationLimits: operationLimits ? protection.operations : null,
    metrics: telemetry?.metrics,
    revokedSessions,
    ...(admissionControl ? { maxConnections: protection.admission.webSocketConnections } : {}),
    ...(protection.trustedDocumentsOnly ? { isTrusted: (query: string) => manifest[operationHash(query)] !== undefined } : {}),
    admit: async (request, context) => {
      const decision = await edgeProtection.admit(edgeProtection.addressOf(request), context.viewer?.userId ?? null);
      return decision.allowed ? null : edgeProtection.rateLimitRefusal(decision);
    },
  });

  return {
    async listen(port, host = '127.0.0.1') {
      const address = await http.listen(port, host);
      return {
        url: tls ? graphqlUrl(host, address.port).replace(/^http:/, 'https:') : graphqlUrl(host, address.port),
        port: address.port,
        async close() {
          await ws.close();
          await http.close();
          await apollo.stop();
          subgraphHttp.close();
        },
      };
    },
  };
}

/** A credential the gateway refused, by kind: the alert on authentication failures watches these. */
function countAuthenticationFailure(metrics: Metrics, pending: Promise<unknown>, header: string | undefined): void {
  pending.catch((error: unknown) => {
    if (!(error instanceof ParleyError) || error.code !== ErrorCode.UNAUTHENTICATED) return;
    // Not bearerTokenFrom: a malformed header is one of the failures counted here, and it would throw again.
    metrics.edge.authenticationFailures.inc({ reason: /^bearer\s+pk_/i.test(header ?? '') ? 'api_key' : 'access_token' });
  });
}

/** No rate limiting at all (the bare gateway of a benchmark). */
const unlimited: RateLimiter = {
  hit: async (checks, windowSeconds) =>
    checks.map(({ limit }) => ({ allowed: true, limit, remaining: limit, resetSeconds: windowSeconds, retryAfterSeconds: 0 })),
};
