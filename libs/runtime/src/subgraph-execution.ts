import { ErrorCode, ParleyError, ProtocolErrorCode, httpStatusFor, toGraphQLErrorShape } from '@parley/errors';
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { graphQLNulCharacterRefusal } from './nul-characters';
import { operationCost, operationCostRefusal } from './operations/operation-cost';
import { operationLimitRules, subgraphOperationLimits, type OperationLimits } from './operations/operation-limits';

/** A GraphQL answer: the HTTP status and the JSON body. */
export interface GraphQLAnswer {
  status: number;
  body: string;
}

export interface SubgraphExecution<TContext> {
  /**
   * Runs one GraphQL request (the parsed JSON body) with the context `context()` builds; a ParleyError thrown while
   * building it refuses the whole request with its code's status. Never throws.
   */
  run(request: unknown, context: () => Promise<TContext>): Promise<GraphQLAnswer>;
}

/** Why no operation of a document could be run, for the client that named it (or named none among several). */
export function unresolvedOperationMessage(operationName: string | null | undefined): string {
  return `The document has ${operationName ? `no operation named "${operationName}"` : 'several operations and no operationName'}.`;
}

/** How many distinct documents a subgraph keeps parsed and validated: the gateway sends one per query plan fetch. */
export const CACHED_DOCUMENTS = 1000;

/**
 * GraphQL over one subgraph's schema without Apollo Server's request pipeline.
 *
 * A subgraph is called by the gateway only, with the query plan's fetches: a
 * few hundred distinct documents, each a JSON POST. Apollo Server's pipeline
 * (content negotiation, a sha-256 of every document, the plugin hooks, cache
 * hints per resolved field) was a quarter of a subgraph's CPU for a small
 * query (bench/profile, issue 15). This keeps what a subgraph needs of it:
 * documents parsed and validated once, the standard error codes and statuses
 * (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for
 * variables, BAD_REQUEST), and every error shaped by `toGraphQLErrorShape`,
 * as everywhere else. The gateway's depth, alias, root-field, token and cost
 * rules apply here too, with `limits` (`subgraphOperationLimits`): a second
 * line for a request that did not come through the gateway's.
 */
export function createSubgraphExecution<TContext>({
  schema,
  onUnexpected,
  maxCachedDocuments = CACHED_DOCUMENTS,
  limits = subgraphOperationLimits,
}: {
  schema: GraphQLSchema;
  /** Sees each failure that is not a ParleyError (a bug): clients get a generic message and INTERNAL_SERVER_ERROR. */
  onUnexpected: (error: unknown) => void;
  maxCachedDocuments?: number;
  limits?: OperationLimits;
}): SubgraphExecution<TContext> {
  const rules = [...specifiedRules, ...operationLimitRules(limits)];
  // Insertion order is use order (a hit is moved to the end), so the first key is the least recently used.
  const documents = new Map<string, DocumentNode>();

  const refusal = (status: number, code: string, errors: readonly GraphQLError[]): GraphQLAnswer => ({
    status,
    body: JSON.stringify({ errors: errors.map((e) => shaped(e, code)) }),
  });
  const shaped = (error: GraphQLError, code?: string): GraphQLFormattedError => {
    const formatted = error.toJSON();
    const withCode =
      code && formatted.extensions?.['code'] === undefined ? { ...formatted, extensions: { ...formatted.extensions, code } } : formatted;
    return toGraphQLErrorShape(withCode, error, onUnexpected);
  };

  const documentFor = (query: string): DocumentNode | GraphQLAnswer => {
    const cached = documents.get(query);
    if (cached) {
      documents.delete(query);
      documents.set(query, cached);
      return cached;
    }
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: limits.maxTokens });
    } catch (error) {
      return refusal(400, ProtocolErrorCode.GRAPHQL_PARSE_FAILED, [error as GraphQLError]);
    }
    const invalid = validate(schema, document, rules);
    if (invalid.length > 0) return refusal(400, ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED, invalid);
    documents.set(query, document);
    if (documents.size > maxCachedDocuments) documents.delete(documents.keys().next().value!);
    return document;
  };

  return {
    async run(request, context) {
      const { query, variables, operationName } = (request ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
      if (typeof query !== 'string' || query === '') {
        return refusal(400, ProtocolErrorCode.BAD_REQUEST, [new GraphQLError('Send a GraphQL operation as {"query": "…"}.')]);
      }
      if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) {
        return refusal(400, ProtocolErrorCode.BAD_REQUEST, [new GraphQLError('"variables" must be an object.')]);
      }
      if (operationName != null && typeof operationName !== 'string') {
        return refusal(400, ProtocolErrorCode.BAD_REQUEST, [new GraphQLError('"operationName" must be a string.')]);
      }
      const document = documentFor(query);
      if (!('kind' in document)) return document;
      const operation = getOperationAST(document, operationName ?? undefined);
      if (!operation) {
        return refusal(400, ProtocolErrorCode.OPERATION_RESOLUTION_FAILURE, [new GraphQLError(unresolvedOperationMessage(operationName))]);
      }
      // The gateway refuses these first; a subgraph checks again for whoever else reaches it.
      const nul = graphQLNulCharacterRefusal(document, variables);
      if (nul) return refusal(400, ErrorCode.BAD_USER_INPUT, [new GraphQLError(nul.message, { originalError: nul })]);
      if (operation.operation === 'subscription') {
        return refusal(400, ProtocolErrorCode.BAD_REQUEST, [new GraphQLError('Subscriptions are served by the gateway over graphql-ws.')]);
      }
      // Costed with this request's variables (page sizes), so it is checked per request, not once per document.
      const cost = operationCost(schema, document, operationName ?? undefined, (variables ?? {}) as Record<string, unknown>);
      if (cost > limits.maxCost) {
        return refusal(400, ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED, [operationCostRefusal(cost, limits.maxCost)]);
      }
      let contextValue: TContext;
      try {
        contextValue = await context();
      } catch (error) {
        if (!(error instanceof ParleyError)) throw error;
        return {
          status: httpStatusFor(error.code),
          body: JSON.stringify({ errors: [toGraphQLErrorShape({ message: error.message }, error)] }),
        };
      }
      const result = await execute({
        schema,
        document,
        operationName: operationName ?? undefined,
        variableValues: (variables ?? undefined) as Record<string, unknown> | undefined,
        contextValue,
      });
      // Errors and no data: the variables did not fit the operation (graphql-js stops before running anything).
      if (!('data' in result) && result.errors) return refusal(400, ErrorCode.BAD_USER_INPUT, result.errors);
      const body: { errors?: GraphQLFormattedError[]; data?: unknown; extensions?: unknown } = {};
      if (result.errors) body.errors = result.errors.map((e) => shaped(e));
      body.data = result.data;
      if (result.extensions) body.extensions = result.extensions;
      return { status: 200, body: JSON.stringify(body) };
    },
  };
}
