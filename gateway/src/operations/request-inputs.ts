import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLProtocolError, ProtocolErrorCode, toRequestError } from '@parley/errors';
import { graphQLNulCharacterRefusal, unresolvedOperationMessage } from '@parley/runtime';

/**
 * What a request's inputs must be before the gateway plans anything: an
 * operationName the document has (a client's mistake, 400, as GraphQL over
 * HTTP asks; Apollo Gateway answered 500), and text without NUL characters
 * (libs/runtime/src/nul-characters.ts), refused as BAD_USER_INPUT naming the
 * input rather than failing in PostgreSQL. Over HTTP, WebSocket and the REST
 * API alike, since all three run through Apollo.
 */
export function requestInputsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) {
            throw toRequestError(
              new GraphQLProtocolError(ProtocolErrorCode.OPERATION_RESOLUTION_FAILURE, unresolvedOperationMessage(request.operationName)),
            );
          }
          const refusal = graphQLNulCharacterRefusal(document, request.variables);
          if (refusal) throw toRequestError(refusal);
        },
      };
    },
  };
}
