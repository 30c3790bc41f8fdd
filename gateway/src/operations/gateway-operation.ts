import type { ApolloServer } from '@apollo/server';
import { ErrorCode } from '@parley/errors';
import { GraphQLError, print, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../gateway-context';

/** One query or mutation the gateway runs as someone (their context), exactly as if it had come over HTTP. */
export interface GatewayOperation {
  query: DocumentNode;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
}

/** Resolves with the formatted result (errors already carry their public `extensions.code`). */
export type RunOperation = (operation: GatewayOperation, context: GatewayContext) => Promise<FormattedExecutionResult>;

/**
 * Operations through Apollo Server's own pipeline: validation, query planning
 * over the subgraphs and `formatError` are the ones HTTP requests get, so
 * WebSocket queries and what subscriptions fetch behave the same.
 */
export function createOperationRunner(apollo: ApolloServer<GatewayContext>): RunOperation {
  // Apollo prints a DocumentNode to text on every call to find its cached plan; the text is printed once here instead.
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode) => {
    let text = printed.get(document);
    if (text === undefined) printed.set(document, (text = print(document)));
    return text;
  };
  return async (operation, context) => {
    const response = await apollo.executeOperation({ ...operation, query: textOf(operation.query) }, { contextValue: context });
    if (response.body.kind !== 'single') {
      // @defer/@stream answer in several parts; one WebSocket `next` message carries one result.
      return {
        errors: [
          { message: 'Incremental delivery (@defer, @stream) is not supported here.', extensions: { code: ErrorCode.BAD_USER_INPUT } },
        ],
      };
    }
    return response.body.singleResult;
  };
}

/**
 * A formatted error back into a GraphQLError with the same message and
 * extensions, so graphql-js can report it again at another path (a
 * subscription's) without it being taken for an unexpected failure.
 */
export function errorFromFormatted(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions } });
}
