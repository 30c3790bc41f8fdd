import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { forwardedClientAddress, viewerFromAuthorization, type AccessTokenVerifier, type Viewer } from '@parley/auth';
import {
  BadRequestError,
  graphQLErrorBody,
  httpStatusFor,
  InternalServerError,
  OverloadedError,
  type ParleyError,
  toOpenAIError,
  unavailableDependency,
} from '@parley/errors';
import type { DocumentNode } from 'graphql';
import {
  admitted,
  createAdmissionController,
  defaultSubgraphAdmission,
  OVERLOAD_RETRY_AFTER_SECONDS,
  waitForAdmission,
  type AdmissionLimits,
} from './admission';
import { sendGraphQLError, sendOpenAIError } from './error-answers';
import { internalCredential } from './internal-credential';
import { subgraphGraphqlRoute } from './graphql-http';
import { createHttpService, graphqlUrl, sendHttpError, type RequestScope, type RouteHandler, type ServiceTelemetry } from './http-server';
import type { Logger } from './logger';
import type { ReadinessCheck } from './readiness';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { createSubgraphExecution } from './subgraph-execution';

export interface SubgraphServerOptions<TContext extends object> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  /** Verifies the bearer token the gateway forwarded: each subgraph checks it again (zero trust). */
  verifier: AccessTokenVerifier;
  /**
   * INTERNAL_SERVICE_TOKEN: every /graphql request must present it (`internalCredential`), over HTTP and in-process
   * alike; anything else is refused before its body is read. The gateway and Parley's services send it.
   */
  internalToken: string;
  /** Builds the per-request context around the verified viewer: a fresh EntityManager fork, DataLoaders. */
  context: (viewer: Viewer | null, scope: RequestScope, req: RequestHead) => TContext | Promise<TContext>;
  readiness: ReadinessCheck[];
  /** Extra HTTP routes beside /graphql, e.g. the users service's JWKS. */
  routes?: Record<string, RouteHandler>;
  /** How much it takes on at once (each subgraph's MAX_CONCURRENT_REQUESTS …); `defaultSubgraphAdmission` otherwise. */
  admission?: AdmissionLimits;
  /** The process's metrics, served at /metrics with this subgraph's requests counted (`service` is its name). */
  telemetry?: ServiceTelemetry;
  /** BODY_TIMEOUT_MS: how long a request's body may take to arrive (`createHttpService`). */
  bodyTimeoutMs?: number;
}

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What a context may read of the request: its headers, the peer's address, and the client's. */
export interface RequestHead {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
  /**
   * The address of the person behind the request: the one the gateway forwarded (X-Forwarded-For, believed because
   * the request carried the internal credential), else the peer's (`forwardedClientAddress`).
   */
  clientAddress: string;
}

/** A /graphql answer given without HTTP. */
export interface InProcessAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SubgraphServer {
  name: string;
  listen(port: number, host?: string): Promise<ListeningServer>;
  /**
   * What a POST of `body` to /graphql with `headers` gets, for a gateway in the same process (embedded mode): the
   * same admission bound, request id, verified viewer, context and execution, without writing the request and its
   * answer through a socket to this very process and parsing them again (a third of an embedded read, issue 15).
   */
  answer(body: string, headers: IncomingHttpHeaders): Promise<InProcessAnswer>;
}

/** The peer an in-process request comes from: this machine, as a loopback connection from the gateway would. */
const IN_PROCESS_PEER = { remoteAddress: '127.0.0.1' };

/** One federated subgraph over HTTP: @apollo/subgraph schema, executed by `createSubgraphExecution`, Parley's error shape, health routes. */
export async function createSubgraphServer<TContext extends object>(options: SubgraphServerOptions<TContext>): Promise<SubgraphServer> {
  const {
    name,
    typeDefs,
    resolvers,
    logger,
    verifier,
    internalToken,
    context,
    readiness,
    routes = {},
    admission: admissionLimits = defaultSubgraphAdmission,
    telemetry,
    bodyTimeoutMs,
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
  const credential = internalCredential(internalToken);
  // The one check of the internal credential, for both ways in (HTTP and `answer`).
  const refusalOf = (headers: IncomingHttpHeaders, peer: string | undefined): ParleyError | null => {
    const refusal = credential.refusal(headers);
    if (refusal) logger.warn({ peer, code: refusal.code }, 'a /graphql request without the internal credential was refused');
    return refusal;
  };
  const contextOf = async (req: Omit<RequestHead, 'clientAddress'>, scope: RequestScope) =>
    context(await viewerFromAuthorization(req.headers.authorization, verifier), scope, {
      headers: req.headers,
      socket: req.socket,
      clientAddress: forwardedClientAddress(req),
    });
  const graphqlRoute = subgraphGraphqlRoute({ execution, context: (req, scope) => contextOf(req, scope) });
  const allRoutes: Record<string, RouteHandler> = {
    ...routes,
    '/graphql': async (req, res, scope) => {
      const refusal = refusalOf(req.headers, req.socket.remoteAddress);
      if (refusal) return sendGraphQLError(res, refusal);
      return graphqlRoute(req, res, scope);
    },
  };
  const http = createHttpService({
    logger,
    readiness,
    ...(telemetry && { telemetry: { ...telemetry, service: name } }),
    ...(bodyTimeoutMs !== undefined && { bodyTimeoutMs }),
    refusalFor: refusalIn,
    routes: Object.fromEntries(Object.entries(allRoutes).map(([path, handler]) => [path, admitted(admission, handler, refusalIn(path))])),
  });
  const errorAnswer = (requestId: string, error: ParleyError, status = httpStatusFor(error.code)): InProcessAnswer => ({
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      [REQUEST_ID_HEADER]: requestId,
      ...(error instanceof OverloadedError && { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) }),
    },
    body: JSON.stringify(graphQLErrorBody(error)),
  });
  return {
    name,
    async answer(body, headers) {
      const requestId = requestIdFrom(headers[REQUEST_ID_HEADER]);
      const requestLogger = logger.child({ requestId });
      requestLogger.debug({ method: 'POST', path: '/graphql', transport: 'in-process' }, 'request');
      const refusal = refusalOf(headers, IN_PROCESS_PEER.remoteAddress);
      if (refusal) return errorAnswer(requestId, refusal);
      const slot = await waitForAdmission(admission);
      if (slot instanceof OverloadedError) return errorAnswer(requestId, slot);
      const scope: RequestScope = { requestId, logger: requestLogger, leaveAdmission: () => slot.release(), draining: http.draining };
      try {
        let operation: unknown;
        try {
          operation = body === '' ? undefined : JSON.parse(body);
        } catch {
          return errorAnswer(requestId, new BadRequestError('The request body is not valid JSON.'));
        }
        const answered = await execution.run(operation, () => contextOf({ headers, socket: IN_PROCESS_PEER }, scope));
        return {
          status: answered.status,
          headers: { 'content-type': 'application/json; charset=utf-8', [REQUEST_ID_HEADER]: requestId },
          body: answered.body,
        };
      } catch (error) {
        // As the HTTP shell answers what escapes a route: a dependency that is down is retriable, anything else a 500.
        const unavailable = unavailableDependency(error);
        if (!unavailable) scope.logger.error({ err: error }, 'request failed');
        return errorAnswer(requestId, unavailable ?? new InternalServerError('Internal server error', { requestId }));
      } finally {
        slot.release();
      }
    },
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
function refusalIn(path: string): (res: ServerResponse, refusal: ParleyError) => void {
  if (path === '/graphql') return sendGraphQLError;
  if (path.startsWith('/v1/')) return (res, refusal) => sendOpenAIError(res, toOpenAIError(refusal));
  return sendHttpError;
}
