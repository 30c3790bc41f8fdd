import type { GraphQLFormattedError } from 'graphql';
import { ParleyError } from './domain-errors';
import { ErrorCode } from './error-codes';

/**
 * Apollo Server's `formatError` for every Parley service: the one place where
 * error classes become `extensions.code`.
 *
 * - A ParleyError keeps its message and gains its code and public details.
 * - Errors that Apollo Server or graphql-js already classified (parse,
 *   validation, bad variables) keep their shape.
 * - Anything else is an unexpected failure: its message may carry internals
 *   (SQL, hostnames), so the client sees a generic message and the log the cause.
 */
export function toGraphQLErrorShape(
  formatted: GraphQLFormattedError,
  error: unknown,
  onUnexpected?: (error: unknown) => void,
): GraphQLFormattedError {
  const original = unwrap(error);
  if (original instanceof ParleyError) {
    return {
      ...formatted,
      message: original.message,
      extensions: { ...original.details, code: original.code },
    };
  }
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  onUnexpected?.(original);
  return {
    message: 'Internal server error: the request could not be completed. Try again; if it persists, report the request id.',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

function unwrap(error: unknown): unknown {
  let current = error;
  // GraphQLError wraps resolver errors in `originalError`, possibly twice.
  for (let i = 0; i < 3; i++) {
    if (current && typeof current === 'object' && 'originalError' in current && current.originalError) {
      current = current.originalError;
    } else break;
  }
  return current;
}
