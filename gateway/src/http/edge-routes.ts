import type { IncomingMessage } from 'node:http';
import type { MessageStreamLog } from '@parley/message-stream';
import type { Logger, RequestScope, RouteHandler } from '@parley/runtime';
import type { GatewayContext } from '../gateway-context';
import type { RunOperation } from '../operations/gateway-operation';

/**
 * What the gateway's HTTP APIs beside /graphql (REST, the partners'
 * OpenAI-compatible API, the explorer) are built from. They hold no logic of
 * their own: they translate a request into operations on the graph (or, for
 * /v1, a call to the models service) as the caller.
 */
export interface EdgeDependencies {
  /** A query or mutation through the gateway's own pipeline (limits, planning, error shape), as the caller. */
  runOperation: RunOperation;
  /** The caller's context from their request (bearer token or API key verified); rejects with a ParleyError on a bad credential. */
  contextFor(req: IncomingMessage, scope: RequestScope): Promise<GatewayContext>;
  /** The replies' event streams, for streaming a reply over Server-Sent Events. */
  messageStreams: MessageStreamLog;
  /** The models service's base URL; its OpenAI-compatible API is under /v1. */
  modelsUrl: string;
  /** The internal credential, presented beside a caller's token to the models service (which answers the gateway only). */
  internalHeaders: Readonly<Record<string, string>>;
  logger: Logger;
}

export interface EdgeRoutes {
  /** Exact paths. */
  routes: Record<string, RouteHandler>;
  /** Paths matched by prefix (e.g. "/api/v1/chat/history/" for DELETE …/{id}). */
  prefixRoutes?: Record<string, RouteHandler>;
}
