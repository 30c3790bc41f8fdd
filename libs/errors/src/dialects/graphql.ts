import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, httpStatusFor, isKnownErrorCode } from '../codes';
import { unavailableDependency } from '../dependency-failures';
import { InternalServerError, ParleyError, parleyErrorFor, UNEXPECTED_FAILURE_MESSAGE } from '../parley-error';
import { retryAfterSecondsOf } from '../retry-after';

/**
 * The GraphQL dialect: `{ message, extensions: { ...details, code } }`.
 * Extensions that are transport, not meaning: the code and message themselves,
 * Apollo's status hint and stack trace, and which subgraph answered (the graph
 * is one API). Other dialects drop them from a ParleyError's details too.
 */
export const TRANSPORT_EXTENSIONS: ReadonlySet<string> = new Set(['code', 'message', 'http', 'stacktrace', 'serviceName']);

/** The public details of an error: its extensions (or details) without the transport's. */
export function publicDetails(extensions: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extensions).filter(([key]) => !TRANSPORT_EXTENSIONS.has(key)));
}

/**
 * Apollo Server's `formatError` for every Parley service: the one place where
 * error classes become `extensions.code`.
 *
 * - A ParleyError keeps its message and gains its code and public details.
 * - Errors that Apollo Server or graphql-js already classified (parse,
 *   validation, bad variables) keep their shape.
 * - A dependency that could not be reached (Redis, `unavailableDependency`)
 *   is UPSTREAM_UNAVAILABLE, retriable. Not logged per request: its
 *   connection reports the outage once.
 * - Anything else is an unexpected failure: its message may carry internals
 *   (SQL, hostnames), so the client sees a generic message and the log the cause.
 */
export function toGraphQLErrorShape(
  formatted: GraphQLFormattedError,
  error: unknown,
  onUnexpected?: (error: unknown) => void,
): GraphQLFormattedError {
  const original = unwrap(error);
  const parleyError = original instanceof ParleyError ? original : unavailableDependency(original);
  if (parleyError) {
    return {
      ...formatted,
      message: parleyError.message,
      extensions: { ...parleyError.details, code: parleyError.code },
    };
  }
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  onUnexpected?.(original);
  return {
    message: UNEXPECTED_FAILURE_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** A ParleyError raised before execution (e.g. in the context function), as Apollo Server expects it: with the code's HTTP status. */
export function toRequestError(error: ParleyError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { ...error.details, code: error.code, http: { status: httpStatusFor(error.code) } },
    originalError: error,
  });
}

/** The body of a GraphQL response refused outside Apollo Server (body too large, not JSON, rate limited at the edge). */
export function graphQLErrorBody(error: ParleyError): { errors: [GraphQLFormattedError] } {
  return { errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }] };
}

/**
 * The Retry-After a GraphQL response calls for: the longest wait any of its errors names (a rate limit or an
 * overload, `retryAfterSecondsOf`), so that the operation sent again after it meets none of them; null for none.
 */
export function retryAfterOfErrors(errors: readonly GraphQLFormattedError[] | undefined): number | null {
  let longest: number | null = null;
  for (const error of errors ?? []) {
    const seconds = retryAfterSecondsOf(error.extensions?.['code'], error.extensions ?? {});
    if (seconds !== null && (longest === null || seconds > longest)) longest = seconds;
  }
  return longest;
}

/**
 * The inverse: an error of the graph (formatted, or a GraphQLError) as the
 * ParleyError of its code, with its public extensions as details. An error
 * without a code, or with one outside the table, is a failure of ours
 * (INTERNAL_SERVER_ERROR); its message is kept, as the graph already chose it
 * for clients.
 */
export function fromGraphQLError(error: GraphQLFormattedError | GraphQLError): ParleyError {
  const extensions = error.extensions ?? {};
  const code = extensions['code'];
  const details = publicDetails(extensions);
  return isKnownErrorCode(code) ? parleyErrorFor(code, error.message, details) : new InternalServerError(error.message, details);
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
