import type { IncomingMessage } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { requireViewer } from '@parley/auth';
import { fromGraphQLError } from '@parley/errors';
import type { RequestScope } from '@parley/runtime';
import type { EdgeDependencies } from '../http/edge-routes';
import type { GatewayContext } from '../gateway-context';

/** Someone calling the REST API, and what they can do: run operations on the graph as themselves. */
export interface GraphCaller {
  context: GatewayContext;
  /** The operation's data; its first error (if any) is thrown as the route's refusal. */
  run<Result, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result>;
}

export interface GraphCallers {
  /** Whoever calls, signed in or not (signing in, refreshing, signing out). */
  anyone(req: IncomingMessage, scope: RequestScope): Promise<GraphCaller>;
  /** A signed-in caller (access token or API key); anyone else is refused with 401 before the graph is asked. */
  signedIn(req: IncomingMessage, scope: RequestScope): Promise<GraphCaller>;
  /**
   * Whoever calls, with their Authorization header left unread: for routes whose credential is something else (the
   * browser session's cookie), so that a stale access token a page still sends cannot get them refused.
   */
  withoutBearer(req: IncomingMessage, scope: RequestScope): Promise<GraphCaller>;
}

/**
 * Every route reaches the graph through here: the caller's context is the one
 * /graphql builds (a bad token is refused the same way), and operations run
 * through the gateway's own pipeline, so the REST API has no rules of its own.
 */
export function graphCallers({ contextFor, runOperation }: Pick<EdgeDependencies, 'contextFor' | 'runOperation'>): GraphCallers {
  const callerWith = (context: GatewayContext): GraphCaller => {
    async function run<Result, Variables extends Record<string, unknown>>(
      document: TypedDocumentNode<Result, Variables>,
      variables: Variables,
    ): Promise<Result> {
      // An absent field must reach the graph absent (so argument defaults apply), never as undefined.
      const result = await runOperation({ query: document, variables: JSON.parse(JSON.stringify(variables)) }, context);
      const [error] = result.errors ?? [];
      if (error) throw fromGraphQLError(error);
      if (!result.data) throw new Error('The gateway answered neither data nor errors.');
      return result.data as Result;
    }
    return { context, run };
  };
  return {
    async anyone(req, scope) {
      return callerWith(await contextFor(req, scope));
    },
    async signedIn(req, scope) {
      const context = await contextFor(req, scope);
      // Answered 401 with WWW-Authenticate: Bearer, as the REST dialect gives UNAUTHENTICATED.
      requireViewer(context.viewer, 'Sign in first: send "Authorization: Bearer <access token or API key>".');
      return callerWith(context);
    },
    async withoutBearer(req, scope) {
      return callerWith(await contextFor(withoutAuthorization(req), scope));
    },
  };
}

/** The request as it is, but for its Authorization header (the rest, such as its socket, read through to the request). */
function withoutAuthorization(req: IncomingMessage): IncomingMessage {
  if (req.headers.authorization === undefined) return req;
  const { authorization: _unread, ...headers } = req.headers;
  return Object.create(req, { headers: { value: headers, enumerable: true } }) as IncomingMessage;
}
