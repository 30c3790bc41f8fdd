import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { ParleyError } from '@parley/errors';
import { requestIdFrom, type Logger } from '@parley/runtime';
import { GraphQLError, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayContext } from './gateway-context';
import type { Authenticate } from './request-authentication';

export interface WebSocketOptions {
  httpServer: Server;
  path: string;
  apollo: ApolloServer<GatewayContext>;
  /** The gateway's current API schema (it changes only when the supergraph does). */
  schema: () => GraphQLSchema;
  authenticate: Authenticate;
  logger: Logger;
}

type ConnectionExtra = {
  authorization: string | undefined;
  context: GatewayContext;
};

/**
 * graphql-ws (graphql-transport-ws protocol) on the gateway's /graphql path.
 * Operations run through the same Apollo Gateway execution as HTTP, so query
 * planning, limits and error shapes are shared. The token comes in
 * connection_init's payload; a bad one closes the socket with 4403.
 */
export function attachWebSocketServer({ httpServer, path, apollo, schema, authenticate, logger }: WebSocketOptions) {
  const wss = new WebSocketServer({ server: httpServer, path, maxPayload: 1_000_000 });
  const disposable = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.['authorization'] ?? ctx.connectionParams?.['Authorization'];
        const authorization = typeof raw === 'string' ? raw : undefined;
        try {
          const authentication = await authenticate(authorization);
          const requestId = requestIdFrom(undefined);
          const request = ctx.extra.request;
          ctx.extra.authorization = authentication.authorization;
          ctx.extra.context = {
            ...authentication,
            requestId,
            logger: logger.child({ requestId, transport: 'ws' }),
            userAgent: request.headers['user-agent'],
            clientAddress: request.socket.remoteAddress,
          };
          return true;
        } catch (error) {
          if (!(error instanceof ParleyError)) throw error;
          // graphql-ws closes with 4403 Forbidden.
          logger.info({ reason: error.message }, 'websocket connection refused');
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        if (!ctx.extra.context) return [new GraphQLError('The connection is not initialised.')];
        try {
          return {
            schema: schema(),
            document: parse(payload.query),
            variableValues: payload.variables ?? undefined,
            operationName: payload.operationName ?? undefined,
            contextValue: ctx.extra.context,
          };
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')];
        }
      },
      execute: async (args): Promise<ExecutionResult> => {
        const response = await apollo.executeOperation(
          {
            query: args.document,
            variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
            operationName: args.operationName ?? undefined,
          },
          { contextValue: args.contextValue as GatewayContext },
        );
        if (response.body.kind !== 'single') {
          return { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket.')] };
        }
        return response.body.singleResult as ExecutionResult;
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
