import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ErrorCode, httpStatusFor, type RateLimitedError } from '@parley/errors';
import { rootFieldNames } from '@parley/runtime';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import type { GatewayContext } from '../gateway-context';

const fragmentsOf = (document: DocumentNode) => {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return (name: string) => fragments.get(name);
};

/**
 * Every root field of a mutation counts as one request against the caller's
 * rate limits, as if each had been sent alone: the edge counted the request
 * once when it arrived, and this counts the other fields before any of them
 * runs. Refused as a whole (429, Retry-After) when they do not all fit.
 */
export function mutationFieldsRateLimitPlugin(
  charge: (context: GatewayContext, requests: number) => Promise<RateLimitedError | null>,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const fields = rootFieldNames(operation, fragmentsOf(document)).length;
          if (fields <= 1) return;
          const refusal = await charge(contextValue, fields - 1);
          if (!refusal) return;
          const retryAfter = refusal.details['retryAfterSeconds'];
          throw new GraphQLError(refusal.message, {
            originalError: refusal,
            extensions: {
              ...refusal.details,
              code: ErrorCode.RATE_LIMITED,
              http: {
                status: httpStatusFor(ErrorCode.RATE_LIMITED),
                headers: new HeaderMap(retryAfter === undefined ? [] : [['retry-after', String(retryAfter)]]),
              },
            },
          });
        },
      };
    },
  };
}
