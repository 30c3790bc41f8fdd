import { ProtocolErrorCode } from '@parley/errors';
import type { GraphQLFormattedError } from 'graphql';

/**
 * Two refusals graphql-js and Apollo word tersely (and the second without a
 * code), in words a client developer can act on.
 */
export function explainTerseRefusals(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.message === 'provided sha does not match query') {
    return {
      ...formatted,
      message:
        "The persisted query's sha256Hash does not match the query sent with it (provided sha does not match query); send the SHA-256 (hex) of the exact text.",
      extensions: { ...formatted.extensions, code: ProtocolErrorCode.BAD_REQUEST },
    };
  }
  const limit = /Document contains more that (\d+) tokens/.exec(formatted.message)?.[1];
  if (limit === undefined) return formatted;
  return {
    ...formatted,
    message: `The document has more than ${limit} tokens (names, punctuation, values); the parser stopped there. Send a smaller operation.`,
  };
}
